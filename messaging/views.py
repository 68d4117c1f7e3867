"""HTTP for the message centre: inboxes, threads, live polling, support chat, notifications, abuse."""

import hashlib
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from messaging import selectors, services
from messaging.forms import MessageForm, NotificationFilterForm, PreferencesForm, RatingForm, ReportForm
from messaging.hours import store_is_open
from messaging.models import Conversation, Message, Notification, Side
from messaging.ratelimit import conversation_rate_limited, message_rate_limited
from messaging.selectors import ConversationAccess, InboxFilters
from portal.buyer_record import buyer_record
from portal.http import request_user as _user
from portal.models import Order, Photo, Product, Store, User
from portal.notify import NOTIFICATION_TOPICS
from portal.selectors import order_get_for_seller, store_get_for_member, store_get_public, store_week
from portal.uploads import ValidatedPhoto, photo_store

ViewFunction = Callable[..., HttpResponse]


def login_required_live(view: ViewFunction) -> ViewFunction:
    """`login_required`, except for htmx polls after the session ended.

    A poll would follow the redirect and paste the whole login page into the navigation bar
    or the thread; instead the page reloads itself, and that reload goes to the login page.
    """
    guarded = login_required(view)

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated and getattr(request, "htmx", False):
            return HttpResponse(status=204, headers={"HX-Refresh": "true"})
        response: HttpResponse = guarded(request, *args, **kwargs)
        return response

    return wrapper


def _apply_errors(form: Form, error: ValidationError) -> None:
    """Show a service's refusal next to the field it is about, or above the form."""
    if hasattr(error, "error_dict"):
        for name, errors in error.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def _store_photos(user: User, photos: list[ValidatedPhoto]) -> list[Photo]:
    # Written before the service opens its transaction: no file I/O under the conversation lock.
    now = timezone.now()
    return [photo_store(owner=user, photo=photo, now=now) for photo in photos]


def _int_or_none(raw: Any) -> int | None:
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return None
    return value if value > 0 else None


# Views that load a user's object check ownership before the method, so that a stranger
# gets the same 404 for every method and learns nothing from a 405.
ANY_METHOD = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def _rate_message() -> str:
    return _("You are sending messages too quickly. Wait a minute and try again; your text is kept below.")


def _rate_conversation() -> str:
    return _("You have started too many new conversations in the last hour. Try again later; your text is kept below.")


# --- Inboxes -----------------------------------------------------------------------------------


def _filters(request: HttpRequest) -> InboxFilters:
    return InboxFilters(
        unread=request.GET.get("unread") == "1",
        with_order=request.GET.get("order") == "1",
        store_slug=(request.GET.get("store") or "")[:140],
        query=(request.GET.get("q") or "").strip()[:100],
    )


def _inbox_version(items: list[Conversation]) -> str:
    """A short fingerprint of what an inbox page shows; the live poll sends it back."""
    seen = "|".join(
        f"{c.pk}:{c.last_message_at.isoformat()}:{c.unread}:{c.status}:{c.order_id}:{c.preview}"  # type: ignore[attr-defined]
        for c in items
    )
    return hashlib.blake2b(seen.encode(), digest_size=8).hexdigest()


def _centre_context(request: HttpRequest, tab: str) -> dict[str, Any]:
    # The member stores and the unread notifications come from the navigation context
    # processor (nav_stores, nav_counts): no second query for them here.
    return {"tab": tab, "is_support_agent": selectors.user_is_support_agent(request.user)}


def _inbox_response(
    request: HttpRequest, *, conversations: Any, side: str, tab: str, extra: dict[str, Any]
) -> HttpResponse:
    filters = _filters(request)
    page = selectors.inbox_page(
        conversations=conversations, side=side, filters=filters, cursor=request.GET.get("after", "")
    )
    query = request.GET.copy()
    query.pop("after", None)
    query.pop("seen", None)
    version = _inbox_version(page.items)
    if getattr(request, "htmx", False) and request.GET.get("seen") == version:
        # Nothing changed since the last poll: swap nothing, so the list under a keyboard or
        # screen-reader user's focus is not rebuilt every few seconds.
        return HttpResponse(status=204)
    context = {
        **extra,
        "page": page,
        "side": side,
        "filters": filters,
        "base_query": query.urlencode(),
        "page_version": version,
        "is_first_page": not request.GET.get("after"),
    }
    if getattr(request, "htmx", False):
        return render(request, "messaging/_inbox_list.html", context)
    return render(request, "messaging/inbox.html", {**_centre_context(request, tab), **context})


@login_required_live
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    # The stores of the 30 most recent conversations: walks the inbox index, never the whole history.
    recent = selectors.buyer_conversations(user=user).order_by("-last_message_at", "-pk")
    stores = sorted(
        {(slug, name) for slug, name in recent.values_list("store__slug", "store__name")[:30] if slug},
        key=lambda pair: pair[1],
    )
    return _inbox_response(
        request,
        conversations=selectors.buyer_conversations(user=user),
        side=Side.BUYER,
        tab="inbox",
        extra={"filter_stores": stores, "inbox_url": reverse("messaging:inbox")},
    )


@login_required_live
@require_http_methods(ANY_METHOD)
def store_inbox(request: HttpRequest, slug: str) -> HttpResponse:
    store = store_get_for_member(user=_user(request), slug=slug)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET"])
    return _inbox_response(
        request,
        conversations=selectors.store_conversations(store=store),
        side=Side.STORE,
        tab=f"store:{store.slug}",
        extra={"store": store, "inbox_url": reverse("messaging:store_inbox", args=[store.slug])},
    )


@login_required_live
@require_http_methods(ANY_METHOD)
def support_inbox(request: HttpRequest) -> HttpResponse:
    if not selectors.user_is_support_agent(request.user):
        raise Http404("No such page.")
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET"])
    status = request.GET.get("status", Conversation.Status.OPEN)
    if status not in Conversation.Status.values:
        status = Conversation.Status.OPEN
    return _inbox_response(
        request,
        conversations=selectors.support_conversations(status=status),
        side=Side.STORE,
        tab="support",
        extra={"support_status": status, "inbox_url": reverse("messaging:support_inbox")},
    )


@login_required_live
@require_GET
def badge(request: HttpRequest) -> HttpResponse:
    return render(request, "messaging/_nav.html", {"badge_count": selectors.unread_badge_count(user=request.user)})


# --- Threads -----------------------------------------------------------------------------------


def _decorate(messages: list[Message], access: ConversationAccess) -> list[Message]:
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
        message.agent_label = agent  # type: ignore[attr-defined]
        message.can_report = (  # type: ignore[attr-defined]
            access.side is not None and message.side != access.side and not message.is_auto_reply
        )
    return messages


def _thread_context(request: HttpRequest, access: ConversationAccess, form: MessageForm | None) -> dict[str, Any]:
    conversation = access.conversation
    before = _int_or_none(request.GET.get("before"))
    page = _decorate(selectors.thread_messages(conversation=conversation, before_id=before), access)
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
        context["store_open"] = store_is_open(store=conversation.store, now=now, hours=hours)
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
        {**_centre_context(request, "thread"), **_thread_context(request, access, form)},
        status=status,
    )


@login_required_live
@require_http_methods(ANY_METHOD)
def thread(request: HttpRequest, conversation_id: int) -> HttpResponse:
    access = selectors.conversation_get_for_user(user=request.user, conversation_id=conversation_id)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET"])
    if access.side is not None:
        services.conversation_mark_read(conversation_id=conversation_id, side=access.side, now=timezone.now())
    return _render_thread(request, access)


@login_required_live
@require_http_methods(ANY_METHOD)
def poll(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """Messages after `after`, for htmx polling; 204 (nothing swapped) when there are none."""
    access = selectors.conversation_get_for_user(user=request.user, conversation_id=conversation_id)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET"])
    after = _int_or_none(request.GET.get("after")) or 0
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
            "thread": _decorate(new, access),
            "last_id": new[-1].pk,
        },
    )


@login_required_live
@require_http_methods(ANY_METHOD)
def message_photo(request: HttpRequest, message_id: int, photo_uuid: str) -> HttpResponse:
    """One photo of a message, for htmx: a photo still being re-encoded by the worker replaces
    its placeholder once ready, so neither side has to reload the thread to see it."""
    message, photo = selectors.message_photo_get_for_user(
        user=request.user, message_id=message_id, photo_uuid=photo_uuid
    )
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET"])
    if photo.status == Photo.Status.PROCESSING:
        return HttpResponse(status=204)  # nothing to swap yet; the placeholder asks again
    return render(request, "messaging/_photo.html", {"message": message, "photo": photo})


@login_required_live
@require_http_methods(ANY_METHOD)
def send(request: HttpRequest, conversation_id: int) -> HttpResponse:
    user = _user(request)
    access = selectors.conversation_get_for_user(user=user, conversation_id=conversation_id, for_write=True)
    if request.method not in ("POST",):
        return HttpResponseNotAllowed(["POST"])
    assert access.side is not None
    form = MessageForm(request.POST, request.FILES)
    now = timezone.now()
    if message_rate_limited(user_id=user.pk, now=now):
        form.is_valid()
        form.add_error(None, _rate_message())
        return _render_thread(request, access, form, status=429)
    if not form.is_valid():
        return _render_thread(request, access, form, status=400)
    photos = _store_photos(user, form.cleaned_data["photos"])
    try:
        services.message_send(
            conversation_id=access.conversation.pk,
            sender=user,
            side=access.side,
            text=form.cleaned_data["text"],
            photos=photos,
            order_id=_int_or_none(request.POST.get("order")),
            now=now,
        )
    except services.SendingBlocked as error:
        _apply_errors(form, error)
        return _render_thread(request, access, form, status=403)
    except ValidationError as error:
        _apply_errors(form, error)
        return _render_thread(request, access, form, status=400)
    return redirect(reverse("messaging:thread", args=[access.conversation.pk]) + "#composer")


@login_required_live
@require_http_methods(ANY_METHOD)
def mark_read(request: HttpRequest, conversation_id: int) -> HttpResponse:
    access = selectors.conversation_get_for_user(user=request.user, conversation_id=conversation_id, for_write=True)
    if request.method not in ("POST",):
        return HttpResponseNotAllowed(["POST"])
    assert access.side is not None
    services.conversation_mark_read(conversation_id=conversation_id, side=access.side, now=timezone.now())
    if getattr(request, "htmx", False):
        return HttpResponse(status=204)
    return redirect("messaging:thread", conversation_id=conversation_id)


@login_required_live
@require_http_methods(ANY_METHOD)
def block(request: HttpRequest, conversation_id: int) -> HttpResponse:
    user = _user(request)
    access = selectors.conversation_get_for_user(user=user, conversation_id=conversation_id, for_write=True)
    if request.method not in ("POST",):
        return HttpResponseNotAllowed(["POST"])
    assert access.side is not None
    if access.conversation.is_support:
        raise Http404("Support chats cannot be blocked.")
    blocked = request.POST.get("action") != "unblock"
    services.block_set(
        conversation=access.conversation, side=access.side, actor=user, blocked=blocked, now=timezone.now()
    )
    if access.side == Side.BUYER:
        text = _("You blocked this store: it can no longer message you.") if blocked else _("You unblocked this store.")
    else:
        text = (
            _("You blocked this buyer: they can no longer message your store.")
            if blocked
            else _("You unblocked this buyer.")
        )
    flash.success(request, text)
    return redirect("messaging:thread", conversation_id=conversation_id)


@login_required_live
@require_http_methods(ANY_METHOD)
def report(request: HttpRequest, message_id: int) -> HttpResponse:
    user = _user(request)
    message, access = selectors.message_get_for_user(user=user, message_id=message_id)
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    assert access.side is not None
    form = ReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.message_report(
                message=message,
                reporter=user,
                reporter_side=access.side,
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"],
                now=timezone.now(),
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            flash.success(request, _("Thank you. Our moderators will look at this message."))
            return redirect("messaging:thread", conversation_id=message.conversation_id)
    decorated = _decorate([message], access)[0]
    return render(
        request,
        "messaging/report.html",
        {**_centre_context(request, "thread"), "form": form, "message": decorated, "access": access},
        status=400 if request.method == "POST" else 200,
    )


@login_required_live
@require_http_methods(ANY_METHOD)
def close(request: HttpRequest, conversation_id: int) -> HttpResponse:
    user = _user(request)
    access = selectors.conversation_get_for_user(user=user, conversation_id=conversation_id, for_write=True)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
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
@require_http_methods(ANY_METHOD)
def rate(request: HttpRequest, conversation_id: int) -> HttpResponse:
    user = _user(request)
    access = selectors.conversation_get_for_user(user=user, conversation_id=conversation_id, for_write=True)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
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
    product_id = _int_or_none(data.get("product"))
    if product_id:
        # Another store's product is a 404 too: the message must not silently lose its card.
        product = Product.objects.filter(pk=product_id, store=store).first()
        if product is None:
            raise Http404("No such product.")
    order = None
    order_id = _int_or_none(data.get("order"))
    if order_id:
        # Another buyer's order is a 404, not a card.
        order = Order.objects.filter(pk=order_id, store=store, buyer=user).first()
        if order is None:
            raise Http404("No such order.")
    return product, order


def _rate_limited(form: MessageForm, *, user: User, starts_conversation: bool, now: datetime) -> bool:
    """Refuse a message over the per-minute limit, or a new conversation over the hourly one, on the form."""
    if message_rate_limited(user_id=user.pk, now=now) or (
        starts_conversation and conversation_rate_limited(user_id=user.pk, now=now)
    ):
        form.is_valid()  # keep what was typed, shown again with the refusal
        form.add_error(None, _rate_conversation() if starts_conversation else _rate_message())
        return True
    return False


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
        if _rate_limited(form, user=user, starts_conversation=existing is None, now=now):
            status = 429
        elif form.is_valid():
            photos = _store_photos(user, form.cleaned_data["photos"])
            try:
                message, _created = services.conversation_start(
                    buyer=user,
                    store=store,
                    text=form.cleaned_data["text"],
                    photos=photos,
                    product_id=product.pk if product else None,
                    order_id=order.pk if order else None,
                    now=now,
                )
            except services.SendingBlocked as error:
                _apply_errors(form, error)
                status = 403
            except ValidationError as error:
                _apply_errors(form, error)
                status = 400
            else:
                return redirect(reverse("messaging:thread", args=[message.conversation_id]) + "#composer")
        else:
            status = 400
    return render(
        request,
        "messaging/start.html",
        {
            **_centre_context(request, "start"),
            "store": store,
            "product": product,
            "order": order,
            "existing": existing,
            "blocked": selectors.store_blocks_buyer(store=store, buyer=user),
            "form": form,
        },
        status=status,
    )


@login_required_live
@require_http_methods(ANY_METHOD)
def store_write(request: HttpRequest, slug: str, order_id: int) -> HttpResponse:
    """A store member writes to the buyer of one of the store's orders.

    The order page's panel posts here; a refused message is shown again on this page, with
    the reason next to the field and the text kept, instead of being lost on a redirect.
    """
    user = _user(request)
    store = store_get_for_member(user=user, slug=slug)
    order = order_get_for_seller(user=user, store=store, order_id=order_id)
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    form = MessageForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        now = timezone.now()
        if message_rate_limited(user_id=user.pk, now=now):
            form.is_valid()
            form.add_error(None, _rate_message())
            status = 429
        elif form.is_valid():
            photos = _store_photos(user, form.cleaned_data["photos"])
            try:
                message, _created = services.conversation_start_by_store(
                    store=store, sender=user, order=order, text=form.cleaned_data["text"], photos=photos, now=now
                )
            except services.SendingBlocked as error:
                _apply_errors(form, error)
                status = 403
            except ValidationError as error:
                _apply_errors(form, error)
                status = 400
            else:
                return redirect(reverse("messaging:thread", args=[message.conversation_id]) + "#composer")
        else:
            status = 400
    return render(
        request,
        "messaging/store_write.html",
        {
            **_centre_context(request, f"store:{store.slug}"),
            "store": store,
            "order": order,
            # The order card links to the seller's order page.
            "access": {"side": Side.STORE},
            "existing": selectors.conversation_for_buyer_and_store(buyer=order.buyer, store=store),
            "form": form,
        },
        status=status,
    )


@login_required_live
@require_http_methods(["GET", "POST"])
def support_start(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    existing = Conversation.objects.filter(
        kind=Conversation.Kind.SUPPORT, buyer=user, status=Conversation.Status.OPEN
    ).first()
    form = MessageForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        now = timezone.now()
        if _rate_limited(form, user=user, starts_conversation=existing is None, now=now):
            status = 429
        elif form.is_valid():
            photos = _store_photos(user, form.cleaned_data["photos"])
            try:
                message, _created = services.support_chat_write(
                    user=user, text=form.cleaned_data["text"], photos=photos, now=now
                )
            except ValidationError as error:
                _apply_errors(form, error)
                status = 400
            else:
                return redirect("messaging:thread", conversation_id=message.conversation_id)
        else:
            status = 400
    return render(
        request,
        "messaging/support_start.html",
        {**_centre_context(request, "support_start"), "form": form, "existing": existing},
        status=status,
    )


# --- Notifications and preferences ------------------------------------------------------------


@login_required_live
@require_GET
def notifications(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = NotificationFilterForm(request.GET, topics=selectors.notification_topics(user=user))
    topic = form.value("topic") or ""
    page_size = 30
    page = selectors.notifications_page(user=user, before_id=form.value("before"), topic=topic, page_size=page_size)
    items = [
        {"notification": n, "title": n.title(user.language), "body": n.body(user.language), "link": n.link()}
        for n in page
    ]
    # The next page keeps the filter: only the cursor changes.
    older = QueryDict(mutable=True)
    if topic:
        older["topic"] = topic
    if len(page) == page_size:
        older["before"] = str(page[-1].pk)
    return render(
        request,
        "messaging/notifications.html",
        {
            **_centre_context(request, "notifications"),
            "items": items,
            "filter_form": form,
            "topic": topic,
            "older_query": older.urlencode() if len(page) == page_size else "",
        },
    )


@login_required_live
@require_POST
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    services.notifications_mark_read(user=_user(request), now=timezone.now())
    return redirect("messaging:notifications")


@login_required_live
@require_http_methods(ANY_METHOD)
def notification_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    user = _user(request)
    notification = Notification.objects.filter(pk=notification_id, recipient=user).first()
    if notification is None:
        raise Http404("No such notification.")
    if request.method not in ("POST",):
        return HttpResponseNotAllowed(["POST"])
    services.notifications_mark_read(user=user, notification_ids=[notification.pk], now=timezone.now())
    target = notification.link()
    if request.POST.get("open") and target and url_has_allowed_host_and_scheme(target, allowed_hosts=None):
        return redirect(target)
    back = reverse("messaging:notifications")
    topic = request.POST.get("topic", "")
    if topic in NOTIFICATION_TOPICS:  # back to the filtered list the reader was on
        back += "?" + urlencode({"topic": topic})
    return redirect(back)


@login_required_live
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    current = selectors.preferences_for(user=user)
    form = PreferencesForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        services.preferences_update(
            user=user,
            email_messages=form.cleaned_data["email_messages"],
            email_notifications=form.cleaned_data["email_notifications"],
            sms_notifications=form.cleaned_data["sms_notifications"],
        )
        flash.success(request, _("Your message settings were saved."))
        return redirect("messaging:preferences")
    return render(request, "messaging/preferences.html", {**_centre_context(request, "preferences"), "form": form})
