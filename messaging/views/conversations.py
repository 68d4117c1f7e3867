"""HTTP for one conversation: the thread, live polling, sending, photos, closing and rating; writing to a store."""

from typing import Any

from django.contrib import messages as flash
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from messaging import selectors, services
from messaging.auto_replies import auto_reply_render
from messaging.forms import MessageForm, RatingForm
from messaging.hours import store_availability, support_availability
from messaging.models import Message, Side
from messaging.ratelimit import message_rate_limited
from messaging.selectors import ConversationAccess
from messaging.views.common import (
    centre_context,
    conversation_for_reading,
    conversation_for_writing,
    int_or_none,
    login_required_live,
    rate_limited,
    rate_message,
)
from portal.buyer_record import buyer_record
from portal.form_errors import add_service_error
from portal.http import HtmxHttpRequest, object_view
from portal.http import request_user as _user
from portal.models import Order, Photo, Product, Store, User
from portal.selectors import store_get_public, store_week

# --- Threads -----------------------------------------------------------------------------------


def decorate_messages(messages: list[Message], access: ConversationAccess) -> list[Message]:
    """Label each message for this reader: the buyer sees the store, never the agent."""
    conversation = access.conversation
    for message in messages:
        mine = access.side is not None and message.side == access.side
        message.is_mine = mine  # type: ignore[attr-defined]
        if message.side == Side.BUYER:
            label = _("You") if access.side == Side.BUYER else conversation.buyer.public_name
            agent = ""
        else:
            label = _("Opinia support") if conversation.is_support else conversation.store.name  # type: ignore[union-attr]
            agent = ""
            if access.side != Side.BUYER:
                # Colleagues and staff see which agent wrote; the buyer never does.
                agent = message.sender.public_name if message.sender else _("automatic reply")
        message.author_label = label  # type: ignore[attr-defined]
        if message.is_auto_reply:
            message.text = auto_reply_render(message)  # a platform reply, in this reader's language
        message.agent_label = agent  # type: ignore[attr-defined]
        message.can_report = (  # type: ignore[attr-defined]
            access.side is not None and message.side != access.side and not message.is_auto_reply
        )
    return messages


def _thread_context(request: HttpRequest, access: ConversationAccess, form: MessageForm | None) -> dict[str, Any]:
    conversation = access.conversation
    before = int_or_none(request.GET.get("before"))
    page = decorate_messages(selectors.thread_messages(conversation=conversation, before_id=before), access)
    blocks = selectors.blocks_between(conversation=conversation)
    now = timezone.now()
    context: dict[str, Any] = {
        "access": access,
        "conversation": conversation,
        "thread": page,
        "last_id": max((m.pk for m in page), default=0) if not before else 0,
        "has_older": bool(page) and conversation.messages.filter(pk__lt=page[0].pk).exists(),
        "oldest_id": page[0].pk if page else 0,
        "form": form or MessageForm(),
        "blocked_by_me": access.side in blocks,
        "blocked_by_other": access.side is not None
        and (Side.BUYER if access.side == Side.STORE else Side.STORE) in blocks,
        "rating_form": RatingForm(),
        "now": now,
    }
    if conversation.store is not None:
        hours = list(conversation.store.working_hours.all())
        # The whole week, in the store's local time, so a day without hours reads "closed".
        context["week"] = store_week(store=conversation.store, hours=hours)
        context["store_today"] = conversation.store.local_now(now).weekday()
        availability = store_availability(store=conversation.store, now=now, hours=hours)
        context["availability"] = availability
        context["store_open"] = availability.is_open
    if conversation.is_support:
        context["support"] = support_availability(now=now)
    if access.side == Side.STORE and conversation.store is not None:
        context["buyer_record"] = buyer_record(buyer=conversation.buyer, store=conversation.store)
    if access.side is not None and not conversation.is_support:
        # Either side may put one of this buyer's orders with this store on a message.
        context["buyer_orders"] = Order.objects.filter(buyer=conversation.buyer, store=conversation.store).order_by(
            "-placed_at"
        )[:10]
    return context


def _render_thread(
    request: HttpRequest, access: ConversationAccess, form: MessageForm | None = None, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "messaging/thread.html",
        {**centre_context(request, "thread"), **_thread_context(request, access, form)},
        status=status,
    )


@login_required_live
@object_view(load=conversation_for_reading, methods=["GET", "HEAD"])
def thread(request: HttpRequest, access: ConversationAccess, conversation_id: int) -> HttpResponse:
    if access.side is not None:
        services.conversation_mark_read(conversation_id=conversation_id, side=access.side, now=timezone.now())
    return _render_thread(request, access)


@login_required_live
@object_view(load=conversation_for_reading, methods=["GET", "HEAD"])
def poll(request: HttpRequest, access: ConversationAccess, conversation_id: int) -> HttpResponse:
    """Messages after `after`, for htmx polling; 204 (nothing swapped) when there are none."""
    after = int_or_none(request.GET.get("after")) or 0
    new = selectors.thread_messages(conversation=access.conversation, after_id=after)
    if not new:
        return HttpResponse(status=204)
    if access.side is not None:
        services.conversation_mark_read(conversation_id=conversation_id, side=access.side, now=timezone.now())
    return render(
        request,
        "messaging/_poll.html",
        {
            "access": access,
            "conversation": access.conversation,
            "thread": decorate_messages(new, access),
            "last_id": new[-1].pk,
        },
    )


def _message_photo_for_user(request: HttpRequest, message_id: int, photo_uuid: str) -> tuple[Message, Photo]:
    return selectors.message_photo_get_for_user(user=request.user, message_id=message_id, photo_uuid=photo_uuid)


@login_required_live
@object_view(load=_message_photo_for_user, methods=["GET", "HEAD"])
def message_photo(
    request: HttpRequest, message_and_photo: tuple[Message, Photo], message_id: int, photo_uuid: str
) -> HttpResponse:
    """One photo of a message, for htmx: a photo still being re-encoded by the worker replaces
    its placeholder once ready, so neither side has to reload the thread to see it."""
    message, photo = message_and_photo
    if photo.status == Photo.Status.PROCESSING:
        return HttpResponse(status=204)  # nothing to swap yet; the placeholder asks again
    return render(request, "messaging/_photo.html", {"message": message, "photo": photo})


@login_required_live
@object_view(load=conversation_for_writing, methods=["POST"])
def send(request: HttpRequest, access: ConversationAccess, conversation_id: int) -> HttpResponse:
    user = _user(request)
    assert access.side is not None
    form = MessageForm(request.POST, request.FILES)
    now = timezone.now()
    if message_rate_limited(user_id=user.pk, now=now):
        form.is_valid()
        form.add_error(None, rate_message())
        return _render_thread(request, access, form, status=429)
    if not form.is_valid():
        return _render_thread(request, access, form, status=400)
    try:
        services.message_send(
            conversation_id=access.conversation.pk,
            sender=user,
            side=access.side,
            text=form.cleaned_data["text"],
            photos=form.cleaned_data["photos"],
            order_id=int_or_none(request.POST.get("order")),
            now=now,
        )
    except services.SendingBlocked as error:
        add_service_error(form, error)
        return _render_thread(request, access, form, status=403)
    except ValidationError as error:
        add_service_error(form, error)
        return _render_thread(request, access, form, status=400)
    return redirect(reverse("messaging:thread", args=[access.conversation.pk]) + "#composer")


@login_required_live
@object_view(load=conversation_for_writing, methods=["POST"])
def mark_read(request: HtmxHttpRequest, access: ConversationAccess, conversation_id: int) -> HttpResponse:
    assert access.side is not None
    services.conversation_mark_read(conversation_id=conversation_id, side=access.side, now=timezone.now())
    if request.htmx:
        return HttpResponse(status=204)
    return redirect("messaging:thread", conversation_id=conversation_id)


@login_required_live
@object_view(load=conversation_for_writing, methods=["POST"])
def close(request: HttpRequest, access: ConversationAccess, conversation_id: int) -> HttpResponse:
    user = _user(request)
    if not access.conversation.is_support:
        raise Http404("Only support chats are closed.")
    try:
        services.support_chat_close(conversation_id=conversation_id, actor=user, now=timezone.now())
    except ValidationError as error:
        flash.error(request, " ".join(error.messages))
    else:
        flash.success(request, _("The support chat is closed."))
    return redirect("messaging:thread", conversation_id=conversation_id)


@login_required_live
@object_view(load=conversation_for_writing, methods=["POST"])
def rate(request: HttpRequest, access: ConversationAccess, conversation_id: int) -> HttpResponse:
    user = _user(request)
    if not access.conversation.is_support or access.side != Side.BUYER:
        raise Http404("No such support chat.")
    form = RatingForm(request.POST)
    if form.is_valid():
        try:
            services.support_chat_rate(
                conversation_id=conversation_id, user=user, rating=form.cleaned_data["rating"], now=timezone.now()
            )
        except ValidationError as error:
            flash.error(request, " ".join(error.messages))
        else:
            flash.success(request, _("Thank you for rating our support."))
    else:
        flash.error(request, _("Choose from 1 to 5 stars."))
    return redirect("messaging:thread", conversation_id=conversation_id)


# --- Starting conversations ---------------------------------------------------------------------


def _start_refs(request: HttpRequest, store: Store, user: User) -> tuple[Product | None, Order | None]:
    data = request.POST if request.method == "POST" else request.GET
    product = None
    product_id = int_or_none(data.get("product"))
    if product_id:
        # Another store's product is a 404 too: the message must not silently lose its card.
        product = Product.objects.filter(pk=product_id, store=store).first()
        if product is None:
            raise Http404("No such product.")
    order = None
    order_id = int_or_none(data.get("order"))
    if order_id:
        # Another buyer's order is a 404, not a card.
        order = Order.objects.filter(pk=order_id, store=store, buyer=user).first()
        if order is None:
            raise Http404("No such order.")
    return product, order


@login_required_live
@require_http_methods(["GET", "POST"])
def start(request: HttpRequest, slug: str) -> HttpResponse:
    """A buyer writes to a store: from a product page, an order, or the store page."""
    user = _user(request)
    store = store_get_public(slug=slug)
    product, order = _start_refs(request, store, user)
    existing = selectors.conversation_for_buyer_and_store(buyer=user, store=store)
    form = MessageForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        now = timezone.now()
        if rate_limited(form, user=user, starts_conversation=existing is None, now=now):
            status = 429
        elif form.is_valid():
            try:
                message, _created = services.conversation_start(
                    buyer=user,
                    store=store,
                    text=form.cleaned_data["text"],
                    photos=form.cleaned_data["photos"],
                    product_id=product.pk if product else None,
                    order_id=order.pk if order else None,
                    now=now,
                )
            except services.SendingBlocked as error:
                add_service_error(form, error)
                status = 403
            except ValidationError as error:
                add_service_error(form, error)
                status = 400
            else:
                return redirect(reverse("messaging:thread", args=[message.conversation_id]) + "#composer")
        else:
            status = 400
    return render(
        request,
        "messaging/start.html",
        {
            **centre_context(request, "start"),
            "store": store,
            "product": product,
            "order": order,
            "existing": existing,
            "blocked": selectors.store_blocks_buyer(store=store, buyer=user),
            "form": form,
        },
        status=status,
    )
