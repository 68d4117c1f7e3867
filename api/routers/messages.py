"""Store keys, messages: the store's conversations with buyers, their threads, answers (text,
photos through the one photo pipeline, product and order cards) and marking read — through
`messaging.services` and `messaging.selectors` only. Another store's conversation is a 404."""

from datetime import datetime
from typing import Literal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from ninja import File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from pydantic import Field

from api.auth import request_store, store_key
from api.fields import fields_as
from api.pagination import MAX_LIMIT, decode_cursor
from api.routers.feedback import ID, IdempotencyKey, store_actor
from api.schemas import KEY_PROBLEMS, dump, problems, utc
from api.writes import api_write, json_response
from messaging import selectors as messaging_selectors
from messaging import services as messaging_services
from messaging.auto_replies import auto_reply_render
from messaging.models import Conversation, Message, Side
from portal.models import Photo
from portal.pagination import Cursor, cursor_encode
from portal.uploads import PhotosField

router = Router(tags=["messages"])

PHOTOS = File(None, description="Up to 5 photos: JPEG, PNG or WebP, each at most the portal's photo size.")


class ConversationOut(Schema):
    id: int
    buyer_name: str
    status: Literal["open", "closed"]
    order_number: str | None = Field(description="The order the conversation is about, if any.")
    product_slug: str | None
    last_message_at: datetime
    preview: str = Field(description="The last written message, shortened.")
    preview_side: Literal["buyer", "store", ""]
    unread: int = Field(description="Messages from the buyer the store has not read.")


class ConversationPage(Schema):
    items: list[ConversationOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


class PhotoOut(Schema):
    url: str
    thumbnail_url: str


class ProductCardOut(Schema):
    id: int
    slug: str
    title: str


class OrderCardOut(Schema):
    id: int
    number: str


class MessageOut(Schema):
    id: int
    side: Literal["buyer", "store"]
    automatic: bool = Field(description="The store's automatic reply outside working hours.")
    removed: bool = Field(description="Removed by moderators: its text and photos are not shown.")
    text: str
    photos: list[PhotoOut]
    product: ProductCardOut | None
    order: OrderCardOut | None
    created_at: datetime


class ThreadOut(Schema):
    conversation: ConversationOut
    messages: list[MessageOut] = Field(description="A page of the thread, oldest first.")
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the page of older messages; null at the thread's start."
    )


class MarkedReadOut(Schema):
    conversation_id: int
    marked_read: int = Field(description="How many messages were unread.")


def conversation_out(conversation: Conversation) -> dict[str, object]:
    preview, preview_side = conversation.preview_for(Side.STORE)
    return {
        "id": conversation.pk,
        "buyer_name": conversation.buyer.public_name,
        "status": conversation.status,
        "order_number": conversation.order.number if conversation.order is not None else None,
        "product_slug": conversation.product.slug if conversation.product is not None else None,
        "last_message_at": utc(conversation.last_message_at),
        "preview": preview,
        "preview_side": preview_side,
        "unread": conversation.unread_for(Side.STORE),
    }


def message_out(request: HttpRequest, message: Message) -> dict[str, object]:
    removed = message.removed_at is not None
    return {
        "id": message.pk,
        "side": message.side,
        "automatic": message.is_auto_reply,
        "removed": removed,
        # A platform auto-reply (holiday, busy) is stored as a kind: rendered in the active language.
        "text": "" if removed else auto_reply_render(message),
        "photos": []
        if removed
        else [
            {
                "url": request.build_absolute_uri(reverse("portal:photo", args=[photo.uuid])),
                "thumbnail_url": request.build_absolute_uri(reverse("portal:photo_thumbnail", args=[photo.uuid])),
            }
            for photo in message.photos.all()
            # A photo still processing (or failed) has no image to serve yet: left out, as on the site.
            if photo.status == Photo.Status.READY
        ],
        "product": {"id": message.product.pk, "slug": message.product.slug, "title": message.product.title}
        if message.product is not None
        else None,
        "order": {"id": message.order.pk, "number": message.order.number} if message.order is not None else None,
        "created_at": utc(message.created_at),
    }


def thread_out(request: HttpRequest, conversation: Conversation, before_id: int | None) -> dict[str, object]:
    page = messaging_selectors.thread_messages(conversation=conversation, before_id=before_id)
    next_cursor = None
    if len(page) == messaging_selectors.THREAD_PAGE_SIZE:
        next_cursor = cursor_encode(Cursor(page[0].created_at, page[0].pk))
    return {
        "conversation": conversation_out(conversation),
        "messages": [message_out(request, message) for message in page],
        "next_cursor": next_cursor,
    }


@router.get(
    "/store/conversations",
    auth=store_key("messages:read"),
    response={200: ConversationPage, **problems(*KEY_PROBLEMS)},
    summary="The store's conversations",
)
def conversation_list(
    request: HttpRequest,
    cursor: str | None = Query(None, max_length=200),
    limit: int = Query(messaging_selectors.INBOX_PAGE_SIZE, ge=1, le=MAX_LIMIT),
    unread: bool = Query(False, description="Only conversations with unread messages."),
) -> HttpResponse:
    """The store's conversations with buyers, by last activity, newest first, with unread counts."""
    decode_cursor(cursor)  # a damaged cursor is a 422 naming it, not a silent first page
    page = messaging_selectors.inbox_page(
        conversations=messaging_selectors.store_conversations(store=request_store(request)).filter(
            kind=Conversation.Kind.STORE
        ),
        side=Side.STORE,
        filters=messaging_selectors.InboxFilters(unread=unread),
        cursor=cursor or "",
        page_size=limit,
    )
    items = [conversation_out(conversation) for conversation in page.items]
    return json_response(dump(ConversationPage, {"items": items, "next_cursor": page.next_cursor}))


@router.get(
    "/store/conversations/{conversation_id}",
    auth=store_key("messages:read"),
    response={200: ThreadOut, **problems(*KEY_PROBLEMS, 404)},
    summary="Read a conversation's thread",
)
def conversation_read(
    request: HttpRequest, conversation_id: int = ID, cursor: str | None = Query(None, max_length=200)
) -> HttpResponse:
    """The latest page of the thread (oldest first), or with `cursor` the page before. Reading
    does not mark the conversation read: that is its own operation."""
    before_id = None
    if cursor:
        position = decode_cursor(cursor)
        before_id = position.pk if position is not None else None
    conversation = messaging_selectors.conversation_get_for_store(
        store=request_store(request), conversation_id=conversation_id
    )
    return json_response(dump(ThreadOut, thread_out(request, conversation, before_id)))


@router.post(
    "/store/conversations/{conversation_id}/messages",
    auth=store_key("messages:write", photos=settings.OPINIA_PHOTOS_PER_ITEM),
    response={201: MessageOut, **problems(*KEY_PROBLEMS, 404)},
    summary="Answer in a conversation",
)
def message_send(
    request: HttpRequest,
    conversation_id: int = ID,
    text: str = Form("", description="The message; at most the message length of the portal."),
    product_id: int | None = Form(None, ge=1, le=2**63 - 1, description="A product card: one of the store's products."),
    order_id: int | None = Form(
        None, ge=1, le=2**63 - 1, description="An order card: an order between this buyer and the store."
    ),
    photos: list[UploadedFile] | None = PHOTOS,
    idempotency_key: str | None = IdempotencyKey,
) -> HttpResponse:
    """Send a message as the store (multipart/form-data): text, photos, a product or an order card,
    with the checks of the message centre (a message needs text, a photo or a card)."""

    def action() -> tuple[int, str]:
        conversation = messaging_selectors.conversation_get_for_store(
            store=request_store(request), conversation_id=conversation_id
        )
        try:
            validated = PhotosField().clean(list(photos or []))
        except ValidationError as error:
            raise ValidationError({"photos": error.messages}) from None
        with fields_as({"product": "product_id", "order": "order_id"}):
            message = messaging_services.message_send(
                conversation_id=conversation.pk,
                sender=store_actor(request),
                side=Side.STORE,
                text=text.replace("\r\n", "\n").replace("\r", "\n"),
                photos=validated,
                product_id=product_id,
                order_id=order_id,
                now=timezone.now(),
            )
        message = messaging_selectors.message_get_for_store(store=request_store(request), message_id=message.pk)
        return 201, dump(MessageOut, message_out(request, message))

    return api_write(request, action, idempotency_key=idempotency_key)


@router.post(
    "/store/conversations/{conversation_id}/read",
    auth=store_key("messages:write"),
    response={200: MarkedReadOut, **problems(*KEY_PROBLEMS, 404)},
    summary="Mark a conversation read",
)
def conversation_mark_read(
    request: HttpRequest, conversation_id: int = ID, idempotency_key: str | None = IdempotencyKey
) -> HttpResponse:
    """Mark every message of the conversation read for the store."""

    def action() -> tuple[int, str]:
        conversation = messaging_selectors.conversation_get_for_store(
            store=request_store(request), conversation_id=conversation_id
        )
        unread = messaging_services.conversation_mark_read(
            conversation_id=conversation.pk, side=Side.STORE, now=timezone.now()
        )
        return 200, dump(MarkedReadOut, {"conversation_id": conversation.pk, "marked_read": unread})

    return api_write(request, action, idempotency_key=idempotency_key)
