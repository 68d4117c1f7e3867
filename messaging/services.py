"""Every write of the message centre.

Lock order: a service that changes a conversation locks its row first
(`select_for_update`) and only then touches its messages, exchanges or blocks, so two
people writing in one thread at once are serialised on that row and the stored unread
counters, the auto-reply clock and the open response exchange never drift.
"""

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from messaging import events
from messaging.auto_replies import AutoReply, auto_reply_choose
from messaging.hours import store_availability
from messaging.models import (
    Block,
    Conversation,
    ConversationEvent,
    Message,
    MessageEmail,
    MessageEmailItem,
    MessageReport,
    MessageReportEvent,
    MessagingPreferences,
    Notification,
    ResponseExchange,
    Side,
    SupportTopic,
)
from portal.fragments import content_changed
from portal.integrity import integrity_check
from portal.models import Order, Photo, Product, Store, User
from portal.notify import NOTIFICATION_KINDS, notify
from portal.rules import rules_at
from portal.selectors import user_is_store_member
from portal.sms import send_sms
from portal.transitions import TransitionNotAllowed as TransitionNotAllowed  # re-exported for callers
from portal.transitions import transition_check
from portal.uploads import ValidatedPhoto, photo_store

PREVIEW_LENGTH = 140
EMAIL_LISTED_MESSAGES = 20


class SendingBlocked(ValidationError):
    """One side of the conversation has blocked the other."""


# --- Notifications (system messages) --------------------------------------------------------


def notification_send(*, user_id: int, kind: str, params: dict[str, Any], now: datetime, url: str = "") -> Notification:
    """Store a notification, dated `now`, and deliver it by e-mail (and SMS where it warrants one) after commit."""
    notification = Notification.objects.create(recipient_id=user_id, kind=kind, params=params, url=url, created_at=now)
    notification_id = notification.pk

    def deliver() -> None:
        from messaging.tasks import deliver_notification

        deliver_notification.delay(notification_id)

    transaction.on_commit(deliver)
    return notification


def notifications_mark_read(*, user: User, notification_ids: list[int] | None = None, now: datetime) -> int:
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_ids is not None:
        unread = unread.filter(pk__in=notification_ids)
    return unread.update(read_at=now)


def preferences_update(
    *, user: User, email_messages: bool, email_notifications: bool, sms_notifications: bool
) -> MessagingPreferences:
    preferences, _created = MessagingPreferences.objects.update_or_create(
        user=user,
        defaults={
            "email_messages": email_messages,
            "email_notifications": email_notifications,
            "sms_notifications": sms_notifications,
        },
    )
    return preferences


# --- Conversations and messages -------------------------------------------------------------


def _other(side: str) -> str:
    return Side.STORE if side == Side.BUYER else Side.BUYER


def _check_blocks(*, conversation: Conversation, side: str) -> None:
    if conversation.is_support or conversation.store_id is None:
        return
    blocked_by = _other(side)
    if Block.objects.filter(
        store_id=conversation.store_id, buyer_id=conversation.buyer_id, by_side=blocked_by
    ).exists():
        if side == Side.BUYER:
            raise SendingBlocked(_("This store does not accept messages from you."), code="blocked")
        raise SendingBlocked(_("This buyer has blocked messages from your store."), code="blocked")


def _validate_message(
    *,
    conversation: Conversation,
    side: str,
    text: str,
    photos: Sequence[Photo | ValidatedPhoto],
    product_id: int | None,
    order_id: int | None,
) -> tuple[Product | None, Order | None]:
    errors: dict[str, list[str]] = {}
    limit = settings.OPINIA_MESSAGE_TEXT_MAX
    if not text and not photos and not product_id and not order_id:
        errors["text"] = [_("Write a message or attach a photo.")]
    if len(text) > limit:
        errors["text"] = [
            _("A message may be at most %(limit)d characters; this one has %(count)d.")
            % {"limit": limit, "count": len(text)}
        ]
    if len(photos) > settings.OPINIA_PHOTOS_PER_ITEM:
        errors["photos"] = [_("Attach at most %(limit)d photos.") % {"limit": settings.OPINIA_PHOTOS_PER_ITEM}]
    product = None
    if product_id:
        product = Product.objects.filter(pk=product_id, store_id=conversation.store_id or 0).first()
        if product is None or conversation.is_support:
            errors["product"] = [_("This product is not sold by this store.")]
    order = None
    if order_id:
        orders = Order.objects.filter(pk=order_id, buyer_id=conversation.buyer_id)
        if not conversation.is_support:
            orders = orders.filter(store_id=conversation.store_id or 0)
        order = orders.first()
        if order is None:
            errors["order"] = [_("This order is not between this buyer and this store.")]
    if errors:
        raise ValidationError(errors)
    if conversation.is_support and conversation.status == Conversation.Status.CLOSED:
        raise ValidationError(_("This support chat is closed. Start a new one if you need more help."), code="closed")
    _check_blocks(conversation=conversation, side=side)
    return product, order


def _preview(text: str, photos: Sequence[Photo]) -> str:
    if text:
        flat = " ".join(text.split())
        return flat if len(flat) <= PREVIEW_LENGTH else flat[: PREVIEW_LENGTH - 1] + "…"
    if photos:
        return "📷"
    return "…"


def _photos_store(
    *,
    conversation: Conversation | None,
    sender: User,
    side: str,
    text: str,
    photos: Sequence[ValidatedPhoto],
    product_id: int | None,
    order_id: int | None,
    now: datetime,
) -> list[Photo]:
    """Check the message as it would be sent, then write its photos; before the conversation is locked.

    Files are written outside the transaction that locks the conversation (STYLE rule 5), so
    the message is checked first, on the unlocked row (or on the conversation about to be
    opened): a message refused for its text, its photo count, a closed chat or a block
    stores no photo at all. What only the locked re-check can refuse (a block set in the
    meantime) leaves its photos attached to nothing, for the unattached-photo prune.
    `conversation` is None when it does not exist: the locked read then fails and nothing is stored.
    """
    if not photos or conversation is None:
        return []
    _validate_message(
        conversation=conversation,
        side=side,
        text=(text or "").strip(),
        photos=photos,
        product_id=product_id,
        order_id=order_id,
    )
    return [photo_store(owner=sender, photo=photo, now=now) for photo in photos]


def _message_add(
    *,
    conversation: Conversation,
    sender: User,
    side: str,
    text: str,
    photos: Sequence[Photo],
    product_id: int | None,
    order_id: int | None,
    now: datetime,
) -> Message:
    """Add a message to a conversation whose row the caller has locked."""
    text = (text or "").strip()
    product, order = _validate_message(
        conversation=conversation, side=side, text=text, photos=photos, product_id=product_id, order_id=order_id
    )
    # Messages to support agents are answered in the portal, never e-mailed.
    wants_email = not (conversation.is_support and side == Side.BUYER)
    delay = timedelta(minutes=settings.OPINIA_UNREAD_EMAIL_DELAY_MINUTES)
    message = Message.objects.create(
        conversation=conversation,
        side=side,
        sender=sender,
        text=text,
        product=product,
        order=order,
        created_at=now,
        email_due_at=now + delay if wants_email else None,
    )
    if photos:
        message.photos.add(*photos)

    # Writing in a thread means having read it: the sender's side is caught up.
    conversation.last_message_at = now
    conversation.last_message_preview = conversation.last_human_preview = _preview(text, photos)
    conversation.last_message_side = conversation.last_human_side = side
    if order is not None:
        conversation.order = order
    if product is not None:
        conversation.product = product
    if side == Side.BUYER:
        conversation.store_unread += 1
        conversation.buyer_unread = 0
        conversation.buyer_last_read_id = message.pk
    else:
        conversation.buyer_unread += 1
        conversation.store_unread = 0
        conversation.store_last_read_id = message.pk
    Message.objects.filter(
        conversation=conversation, side=_other(side), email_due_at__isnull=False, pk__lt=message.pk
    ).update(email_due_at=None)
    fields = [
        "last_message_at",
        "last_message_preview",
        "last_message_side",
        "last_human_preview",
        "last_human_side",
        "order",
        "product",
        "buyer_unread",
        "store_unread",
        "buyer_last_read_id",
        "store_last_read_id",
    ]

    if not conversation.is_support:
        if side == Side.BUYER:
            events.message_received(message=message, conversation=conversation, now=now)
        if text:
            integrity_check(source="message", source_id=message.pk, now=now)
        _record_exchange(conversation=conversation, side=side, now=now)
        reply = _auto_reply_due(conversation=conversation, now=now) if side == Side.BUYER else None
        if reply is not None:
            _auto_reply(conversation=conversation, reply=reply, now=now)
            fields.append("last_auto_reply_at")
    conversation.save(update_fields=fields)
    return message


def _record_exchange(*, conversation: Conversation, side: str, now: datetime) -> None:
    """Open an exchange on the buyer's first unanswered message; close it on the store's first human reply."""
    assert conversation.store_id is not None
    open_exchange = ResponseExchange.objects.filter(conversation=conversation, answered_at__isnull=True).first()
    if side == Side.BUYER and open_exchange is None:
        ResponseExchange.objects.create(conversation=conversation, store_id=conversation.store_id, started_at=now)
        content_changed(topic="responses", store_id=conversation.store_id)
    elif side == Side.STORE and open_exchange is not None:
        open_exchange.answered_at = now
        open_exchange.response_seconds = max(0, int((now - open_exchange.started_at).total_seconds()))
        open_exchange.save(update_fields=["answered_at", "response_seconds"])
        content_changed(topic="responses", store_id=conversation.store_id)


def _auto_reply_due(*, conversation: Conversation, now: datetime) -> AutoReply | None:
    """The automatic reply a buyer's message gets now, or None.

    Which text depends on the store's availability (`messaging.auto_replies`): its holiday,
    the "busy" switch, or being outside its working hours (its own time zone, daylight saving
    included). At most one automatic reply of any kind per OPINIA_AUTO_REPLY_INTERVAL_HOURS of
    real elapsed time per conversation: 12 hours across a clock change are still 12 hours.
    """
    store = conversation.store
    if store is None:
        return None
    interval = timedelta(hours=rules_at(now).auto_reply_interval_hours)
    if conversation.last_auto_reply_at is not None and now - conversation.last_auto_reply_at < interval:
        return None
    return auto_reply_choose(store=store, availability=store_availability(store=store, now=now))


def _auto_reply(*, conversation: Conversation, reply: AutoReply, now: datetime) -> Message:
    assert conversation.store is not None
    message = Message.objects.create(
        conversation=conversation,
        side=Side.STORE,
        sender=None,
        is_auto_reply=True,
        text=reply.text,
        auto_kind=reply.kind,
        auto_params=reply.params,
        created_at=now,
    )
    conversation.last_auto_reply_at = now
    conversation.buyer_unread += 1
    # The buyer's inbox shows the auto-reply; the store's keeps the buyer's question.
    conversation.last_message_preview = _preview(reply.text, [])
    conversation.last_message_side = Side.STORE
    return message


def message_send(
    *,
    conversation_id: int,
    sender: User,
    side: str,
    text: str,
    photos: Sequence[ValidatedPhoto] = (),
    product_id: int | None = None,
    order_id: int | None = None,
    now: datetime,
) -> Message:
    """Send a message as `side` (the caller has checked that `sender` may act for it).

    The validated `photos` are stored here, before the conversation row is locked, and
    attached to the message inside the transaction; the worker re-encodes them after commit.
    """
    stored = _photos_store(
        conversation=Conversation.objects.select_related("store").filter(pk=conversation_id).first(),
        sender=sender,
        side=side,
        text=text,
        photos=photos,
        product_id=product_id,
        order_id=order_id,
        now=now,
    )
    with transaction.atomic():
        conversation = (
            Conversation.objects.select_for_update(of=("self",)).select_related("store").get(pk=conversation_id)
        )
        return _message_add(
            conversation=conversation,
            sender=sender,
            side=side,
            text=text,
            photos=stored,
            product_id=product_id,
            order_id=order_id,
            now=now,
        )


def _get_or_create_locked(*, lookup: dict[str, Any], defaults: dict[str, Any]) -> tuple[Conversation, bool]:
    """Fetch and lock the conversation matching `lookup`, creating it if missing.

    Two first messages at once both try to insert; the partial unique constraint lets one
    win, and the other, inside its savepoint, falls back to locking the winner's row.
    """
    existing = Conversation.objects.select_for_update(of=("self",)).select_related("store").filter(**lookup).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            created = Conversation.objects.create(**lookup, **defaults)
    except IntegrityError:
        return Conversation.objects.select_for_update(of=("self",)).select_related("store").get(**lookup), False
    return created, True


def conversation_start(
    *,
    buyer: User,
    store: Store,
    text: str,
    photos: Sequence[ValidatedPhoto] = (),
    product_id: int | None = None,
    order_id: int | None = None,
    now: datetime,
) -> tuple[Message, bool]:
    """Write to a store: open the buyer's one conversation with it (or reuse it) and add the message.

    Returns the message and whether the conversation is new. A message that fails
    validation leaves no empty conversation behind, and no stored photo.
    """
    if user_is_store_member(user=buyer, store_id=store.pk):
        raise ValidationError(_("You work for this store; answer its buyers from the store's inbox."), code="own")
    lookup: dict[str, Any] = {"kind": Conversation.Kind.STORE, "buyer": buyer, "store": store}
    stored = _photos_store(
        conversation=Conversation.objects.filter(**lookup).first() or Conversation(**lookup),
        sender=buyer,
        side=Side.BUYER,
        text=text,
        photos=photos,
        product_id=product_id,
        order_id=order_id,
        now=now,
    )
    with transaction.atomic():
        conversation, created = _get_or_create_locked(
            lookup=lookup, defaults={"created_at": now, "last_message_at": now}
        )
        message = _message_add(
            conversation=conversation,
            sender=buyer,
            side=Side.BUYER,
            text=text,
            photos=stored,
            product_id=product_id,
            order_id=order_id,
            now=now,
        )
    return message, created


def conversation_start_by_store(
    *, store: Store, sender: User, order: Order, text: str, photos: Sequence[ValidatedPhoto] = (), now: datetime
) -> tuple[Message, bool]:
    """A store member writes to the buyer of one of the store's orders (the only way a store starts a thread)."""
    if order.store_id != store.pk or not user_is_store_member(user=sender, store_id=store.pk):
        raise ValidationError(_("This order is not between this buyer and this store."), code="order")
    lookup: dict[str, Any] = {"kind": Conversation.Kind.STORE, "buyer_id": order.buyer_id, "store": store}
    stored = _photos_store(
        conversation=Conversation.objects.filter(**lookup).first() or Conversation(**lookup),
        sender=sender,
        side=Side.STORE,
        text=text,
        photos=photos,
        product_id=None,
        order_id=order.pk,
        now=now,
    )
    with transaction.atomic():
        conversation, created = _get_or_create_locked(
            lookup=lookup, defaults={"created_at": now, "last_message_at": now}
        )
        message = _message_add(
            conversation=conversation,
            sender=sender,
            side=Side.STORE,
            text=text,
            photos=stored,
            product_id=None,
            order_id=order.pk,
            now=now,
        )
    return message, created


def conversation_mark_read(*, conversation_id: int, side: str, now: datetime) -> int:
    """Mark everything in the conversation read for one side; returns how many were unread."""
    field = "buyer_unread" if side == Side.BUYER else "store_unread"
    # Cheap exit for the common poll: nothing unread means no lock and no write.
    if not Conversation.objects.filter(pk=conversation_id, **{f"{field}__gt": 0}).exists():
        return 0
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().get(pk=conversation_id)
        unread = conversation.unread_for(side)
        last_id = conversation.messages.aggregate(last=Max("id"))["last"] or 0
        if side == Side.BUYER:
            conversation.buyer_unread = 0
            conversation.buyer_last_read_id = last_id
        else:
            conversation.store_unread = 0
            conversation.store_last_read_id = last_id
        conversation.save(update_fields=[field, f"{side}_last_read_id"])
        Message.objects.filter(
            conversation=conversation, side=_other(side), email_due_at__isnull=False, pk__lte=last_id
        ).update(email_due_at=None)
    return unread


def block_set(*, conversation: Conversation, side: str, actor: User, blocked: bool, now: datetime) -> bool:
    """Block (or unblock) the other side of a store conversation; returns whether a block now exists."""
    if conversation.is_support or conversation.store_id is None:
        raise ValidationError(_("Support chats cannot be blocked."), code="support")
    lookup = {"store_id": conversation.store_id, "buyer_id": conversation.buyer_id, "by_side": side}
    if blocked:
        Block.objects.get_or_create(**lookup, defaults={"created_by": actor, "created_at": now})
    else:
        Block.objects.filter(**lookup).delete()
    return blocked


# --- Support chat ----------------------------------------------------------------------------

CONVERSATION_TRANSITIONS: dict[str, set[str]] = {
    Conversation.Status.OPEN: {Conversation.Status.CLOSED},
    Conversation.Status.CLOSED: set(),
}


def support_chat_write(
    *,
    user: User,
    text: str,
    topic: str = "",
    photos: Sequence[ValidatedPhoto] = (),
    order_id: int | None = None,
    now: datetime,
) -> tuple[Message, bool]:
    """Write to platform support: the user's open support chat, or a new one about `topic`.

    A new chat needs one of the support topics; a message added to the open chat keeps its topic.
    The chat opens whether or not support is working now (the user is told when it is back).
    """
    lookup: dict[str, Any] = {"kind": Conversation.Kind.SUPPORT, "buyer": user, "status": Conversation.Status.OPEN}
    if topic and topic not in SupportTopic.values:
        raise ValidationError({"topic": _("Choose one of the topics.")})
    if not topic and not Conversation.objects.filter(**lookup).exists():
        raise ValidationError({"topic": _("Choose what your question is about.")})
    stored = _photos_store(
        conversation=Conversation.objects.filter(**lookup).first() or Conversation(**lookup),
        sender=user,
        side=Side.BUYER,
        text=text,
        photos=photos,
        product_id=None,
        order_id=order_id,
        now=now,
    )
    with transaction.atomic():
        conversation, created = _get_or_create_locked(
            lookup=lookup, defaults={"created_at": now, "last_message_at": now, "topic": topic or SupportTopic.OTHER}
        )
        if created:
            ConversationEvent.objects.create(
                conversation=conversation,
                actor=user,
                kind=ConversationEvent.Kind.OPENED,
                new_status=Conversation.Status.OPEN,
                created_at=now,
            )
        message = _message_add(
            conversation=conversation,
            sender=user,
            side=Side.BUYER,
            text=text,
            photos=stored,
            product_id=None,
            order_id=order_id,
            now=now,
        )
    return message, created


def support_chat_close(*, conversation_id: int, actor: User, now: datetime) -> Conversation:
    """Close a support chat; the user is invited to rate it."""
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().get(pk=conversation_id, kind=Conversation.Kind.SUPPORT)
        to = Conversation.Status.CLOSED
        old = transition_check(
            conversation,
            table=CONVERSATION_TRANSITIONS,
            to=to,
            message=_("Cannot move support chat %(id)s from %(old)s to %(new)s."),
            params={"id": conversation.pk},
        )
        ConversationEvent.objects.create(
            conversation=conversation,
            actor=actor,
            kind=ConversationEvent.Kind.CLOSED,
            old_status=old,
            new_status=to,
            created_at=now,
        )
        conversation.status = to
        conversation.closed_at = now
        conversation.closed_by = actor
        conversation.save(update_fields=["status", "closed_at", "closed_by"])
        if actor.pk != conversation.buyer_id:
            notify(
                user_id=conversation.buyer_id,
                kind="support_chat_closed",
                params={"number": conversation.pk},
                now=now,
            )
    return conversation


def support_chat_rate(*, conversation_id: int, user: User, rating: int, now: datetime) -> Conversation:
    if not 1 <= rating <= 5:
        raise ValidationError({"rating": [_("Choose from 1 to 5 stars.")]})
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().get(
            pk=conversation_id, kind=Conversation.Kind.SUPPORT, buyer=user
        )
        if conversation.status != Conversation.Status.CLOSED:
            raise ValidationError(_("You can rate a support chat once it is closed."), code="open")
        if conversation.rating is not None:
            raise ValidationError(_("You have already rated this support chat."), code="rated")
        conversation.rating = rating
        conversation.rated_at = now
        conversation.save(update_fields=["rating", "rated_at"])
        # Rating changes no status, but it is a change of the chat's record: it gets its row too.
        ConversationEvent.objects.create(
            conversation=conversation,
            actor=user,
            kind=ConversationEvent.Kind.RATED,
            old_status=conversation.status,
            new_status=conversation.status,
            note=f"{rating}/5",
            created_at=now,
        )
    return conversation


# --- Abuse ---------------------------------------------------------------------------------------

REPORT_TRANSITIONS: dict[str, set[str]] = {
    MessageReport.Status.OPEN: {MessageReport.Status.UPHELD, MessageReport.Status.DISMISSED},
    MessageReport.Status.UPHELD: set(),
    MessageReport.Status.DISMISSED: set(),
}


# Apps that act on a reported message (the disputes app files it as a complaint) register here;
# each listener runs inside the reporting transaction, so a report and its complaint exist together.
MessageReportListener = Callable[[MessageReport], Any]
MESSAGE_REPORT_LISTENERS: list[MessageReportListener] = []


def register_message_report_listener(listener: MessageReportListener) -> None:
    if listener not in MESSAGE_REPORT_LISTENERS:
        MESSAGE_REPORT_LISTENERS.append(listener)


def message_report(
    *, message: Message, reporter: User, reporter_side: str, reason: str, note: str, now: datetime
) -> MessageReport:
    """Report a message of the other side to the moderators, and to every registered listener."""
    if message.side == reporter_side:
        raise ValidationError(_("You can only report messages you received."), code="own")
    if reason not in MessageReport.Reason.values:
        raise ValidationError({"reason": [_("Choose a reason.")]})
    try:
        with transaction.atomic():
            report = MessageReport.objects.create(
                message=message, reporter=reporter, reason=reason, note=note.strip()[:1000], created_at=now
            )
            MessageReportEvent.objects.create(
                report=report, actor=reporter, old_status="", new_status=report.status, created_at=now
            )
            for listener in MESSAGE_REPORT_LISTENERS:
                listener(report)
    except IntegrityError:
        raise ValidationError(_("You have already reported this message."), code="duplicate") from None
    return report


def _latest_preview(messages: Any) -> tuple[str, str]:
    latest = messages.prefetch_related("photos").order_by("-pk").first()
    if latest is None:
        return "", ""
    return _preview(latest.text, list(latest.photos.all())), latest.side


def _preview_refresh(*, conversation: Conversation) -> None:
    """Show the latest messages that are still visible in the inbox rows (the caller holds the row lock)."""
    visible = Message.objects.filter(conversation=conversation, removed_at__isnull=True)
    conversation.last_message_preview, conversation.last_message_side = _latest_preview(visible)
    conversation.last_human_preview, conversation.last_human_side = _latest_preview(visible.filter(is_auto_reply=False))
    conversation.save(
        update_fields=["last_message_preview", "last_message_side", "last_human_preview", "last_human_side"]
    )


def message_report_resolve(*, report_id: int, actor: User, to: str, note: str, now: datetime) -> MessageReport:
    """Uphold (remove the message) or dismiss a report; locked so that two moderators cannot both decide.

    Upholding hides the message everywhere the participants see it: the thread, its photos,
    the unread e-mail and the inbox preview (recomputed from the latest message still shown).
    """
    conversation_id = (
        MessageReport.objects.filter(pk=report_id).values_list("message__conversation_id", flat=True).first()
    )
    with transaction.atomic():
        # Lock order: the conversation first, like every other write of a thread.
        conversation = Conversation.objects.select_for_update().filter(pk=conversation_id or 0).first()
        report = MessageReport.objects.select_for_update().get(pk=report_id)
        old = transition_check(
            report,
            table=REPORT_TRANSITIONS,
            to=to,
            message=_("Cannot move report %(id)s from %(old)s to %(new)s."),
            params={"id": report.pk},
        )
        MessageReportEvent.objects.create(
            report=report, actor=actor, old_status=old, new_status=to, note=note[:500], created_at=now
        )
        report.status = to
        report.resolved_at = now
        report.resolved_by = actor
        report.save(update_fields=["status", "resolved_at", "resolved_by"])
        if to == MessageReport.Status.UPHELD:
            Message.objects.filter(pk=report.message_id, removed_at__isnull=True).update(removed_at=now)
            if conversation is not None:
                _preview_refresh(conversation=conversation)
        notify(
            user_id=report.reporter_id,
            kind="message_report_upheld" if to == MessageReport.Status.UPHELD else "message_report_dismissed",
            params={"number": report.pk, "conversation_id": report.message.conversation_id},
            now=now,
        )
    return report


def message_remove_by_moderator(*, message_id: int, now: datetime) -> bool:
    """Hide a message that moderators found breaking the rules without a report (a trust case).

    The same hiding as an upheld report: the thread, its photos, the unread e-mail and the
    inbox preview. Locks the conversation first, like every write of a thread; returns whether
    the message was still shown (a second removal changes nothing).
    """
    conversation_id = Message.objects.filter(pk=message_id).values_list("conversation_id", flat=True).first()
    if conversation_id is None:
        raise ValidationError(_("This message no longer exists."), code="missing")
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().get(pk=conversation_id)
        removed = Message.objects.filter(pk=message_id, removed_at__isnull=True).update(removed_at=now)
        if removed:
            _preview_refresh(conversation=conversation)
    return bool(removed)


# --- Notification delivery -------------------------------------------------------------------


def notification_deliver(*, notification_id: int, now: datetime) -> None:
    """E-mail (and text) one notification, once: the claims on `emailed_at` / `texted_at` make retries safe.

    Honours the recipient's preferences: a switched-off channel is simply not used. A failed
    e-mail gives its claim back and raises, so the task's retry sends it later.
    """
    notification = Notification.objects.select_related("recipient").filter(pk=notification_id).first()
    if notification is None:
        return
    recipient = notification.recipient
    preferences = MessagingPreferences.objects.filter(user=recipient).first() or MessagingPreferences(user=recipient)
    if preferences.email_notifications and Notification.objects.filter(
        pk=notification_id, emailed_at__isnull=True
    ).update(emailed_at=now):
        # Dates in the text are the reader's, as on the site.
        with timezone.override(recipient.time_zone or settings.TIME_ZONE):
            title = notification.title(recipient.language)
            body = notification.body(recipient.language)
        path = notification.link()
        link = f"{settings.SITE_URL}{path}" if path else settings.SITE_URL
        try:
            send_mail(title, f"{body}\n\n{link}\n", None, [recipient.email])
        except OSError:
            Notification.objects.filter(pk=notification_id).update(emailed_at=None)
            raise
    kind = NOTIFICATION_KINDS.get(notification.kind)
    wants_sms = bool(kind and kind.sms and recipient.phone and preferences.sms_notifications)
    if wants_sms and Notification.objects.filter(pk=notification_id, texted_at__isnull=True).update(texted_at=now):
        with timezone.override(recipient.time_zone or settings.TIME_ZONE):
            text = notification.sms(recipient.language)
        send_sms(to=recipient.phone, text=text)


# --- Unread-message e-mails ------------------------------------------------------------------


def message_email_deliver(*, email_id: int, now: datetime) -> bool:
    """Send one batched e-mail, once: the claim on `sent_at` makes a retried task harmless."""
    email = MessageEmail.objects.select_related("recipient").filter(pk=email_id).first()
    if email is None or not MessageEmail.objects.filter(pk=email_id, sent_at__isnull=True).update(sent_at=now):
        return False
    recipient = email.recipient
    items = list(
        # A message removed by moderators in the meantime is not repeated by e-mail.
        MessageEmailItem.objects.filter(email=email, message__removed_at__isnull=True)
        .select_related("message__conversation__store", "message__conversation__buyer")
        .order_by("message_id")
    )
    if not items:
        return False
    # In the recipient's language and time zone, as they would see it on the site.
    with (
        translation.override(recipient.language or settings.LANGUAGE_CODE),
        timezone.override(recipient.time_zone or settings.TIME_ZONE),
    ):
        subject = translation.ngettext(
            "You have %(count)d unread message on Opinia",
            "You have %(count)d unread messages on Opinia",
            len(items),
        ) % {"count": len(items)}
        body = render_to_string(
            "messaging/email_unread.txt",
            {
                "recipient": recipient,
                # A busy inbox is summed up, not pasted: the rest is one click away.
                "items": [item.message for item in items[:EMAIL_LISTED_MESSAGES]],
                "more": max(0, len(items) - EMAIL_LISTED_MESSAGES),
                "site_url": settings.SITE_URL,
            },
        )
    try:
        send_mail(subject, body, None, [recipient.email])
    except OSError:
        MessageEmail.objects.filter(pk=email_id).update(sent_at=None)
        raise
    return True
