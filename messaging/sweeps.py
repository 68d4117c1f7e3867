"""Sweeps of the message centre: the unread-message e-mails (also run by `run_deadlines`) and retention."""

from collections import defaultdict
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from messaging.models import (
    Conversation,
    Message,
    MessageEmail,
    MessageEmailItem,
    MessagingPreferences,
    Notification,
    Side,
)
from portal.deadlines import delete_batch, prune_in_batches
from portal.models import User
from portal.selectors import store_ids_for_members, store_member_ids, store_member_pairs

# At most this many not-yet-due messages ride along per due message claimed in one round.
BATCH_EXPANSION = 10


def _enqueue_email(email_id: int) -> None:
    from messaging.tasks import send_message_email

    send_message_email.delay(email_id)


def _recipients(messages: list[Message]) -> dict[int, list[int]]:
    """Who should hear about each message: the buyer, or every member of the store."""
    store_ids = {m.conversation.store_id for m in messages if m.side == Side.BUYER and m.conversation.store_id}
    members: dict[int, list[int]] = defaultdict(list)
    for store_id, user_id in store_member_pairs(store_ids=store_ids):
        members[store_id].append(user_id)
    recipients: dict[int, list[int]] = {}
    for message in messages:
        conversation = message.conversation
        if message.side == Side.STORE:
            recipients[message.pk] = [conversation.buyer_id]
        elif conversation.kind == Conversation.Kind.STORE and conversation.store_id:
            recipients[message.pk] = [uid for uid in members[conversation.store_id] if uid != message.sender_id]
        else:
            recipients[message.pk] = []
    return recipients


def _same_recipients(due: list[tuple[int, str]]) -> Q:
    """Messages addressed to the people who are about to get an e-mail about `due` messages.

    A store message is for the conversation's buyer; a buyer message in a store conversation
    is for every member of that store (and so for every store those members work for).
    """
    threads = Q()
    for conversation_id, side in set(due):
        threads |= Q(conversation_id=conversation_id, side=side)
    to_buyers = {conversation_id for conversation_id, side in due if side == Side.STORE}
    to_stores = {conversation_id for conversation_id, side in due if side == Side.BUYER}
    if to_buyers:
        buyer_ids = Conversation.objects.filter(pk__in=to_buyers).values_list("buyer_id", flat=True)
        threads |= Q(side=Side.STORE, conversation__buyer_id__in=list(buyer_ids))
    if to_stores:
        store_ids = Conversation.objects.filter(pk__in=to_stores, kind=Conversation.Kind.STORE).values_list(
            "store_id", flat=True
        )
        members = store_member_ids(store_ids=store_ids)
        all_stores = store_ids_for_members(user_ids=members)
        threads |= Q(
            side=Side.BUYER, conversation__kind=Conversation.Kind.STORE, conversation__store_id__in=list(all_stores)
        )
    return threads


def _sweep_batch(*, now: datetime, batch_size: int) -> tuple[int, int]:
    """Claim one batch of due messages and create the e-mails; returns (due rows seen, e-mails created)."""
    with transaction.atomic():
        # Rows another worker is claiming right now are skipped, never waited for.
        due_rows = list(
            Message.objects.select_for_update(skip_locked=True)
            .filter(email_due_at__lte=now)
            .order_by("email_due_at", "id")
            .values_list("pk", "conversation_id", "side")[:batch_size]
        )
        if not due_rows:
            return 0, 0
        due = [(conversation_id, side) for _pk, conversation_id, side in due_rows]
        # Batch per recipient: once one message to someone is due, what is still pending for
        # the same people goes in the same e-mail, younger messages and other conversations
        # included, so a busy hour brings one e-mail, not one per conversation. Bounded: what
        # does not fit goes out with a later round.
        due_ids = [pk for pk, _conversation_id, _side in due_rows]
        younger = list(
            Message.objects.filter(_same_recipients(due), email_due_at__isnull=False)
            .exclude(pk__in=due_ids)
            .order_by("id")
            .values_list("pk", flat=True)[: batch_size * BATCH_EXPANSION]
        )
        pending = list(
            Message.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk__in=due_ids + younger, email_due_at__isnull=False)
            .select_related("conversation")
            .order_by("id")
        )
        # The compare-and-set claim: only rows still pending are taken, each exactly once.
        claimed = Message.objects.filter(pk__in=[m.pk for m in pending], email_due_at__isnull=False).update(
            email_due_at=None
        )
        if claimed != len(pending):
            raise RuntimeError("A locked message changed under the e-mail sweep.")
        recipients = _recipients(pending)
        all_ids = {uid for ids in recipients.values() for uid in ids}
        muted = set(
            MessagingPreferences.objects.filter(user_id__in=all_ids, email_messages=False).values_list(
                "user_id", flat=True
            )
        )
        active = set(User.objects.filter(pk__in=all_ids, is_active=True).values_list("pk", flat=True))
        per_recipient: dict[int, list[int]] = defaultdict(list)
        for message in pending:
            for user_id in recipients[message.pk]:
                if user_id in active and user_id not in muted:
                    per_recipient[user_id].append(message.pk)
        created_ids: list[int] = []
        for user_id, message_ids in sorted(per_recipient.items()):
            email = MessageEmail.objects.create(recipient_id=user_id, created_at=now)
            # The unique (message, recipient) constraint is the final guard against a second e-mail.
            MessageEmailItem.objects.bulk_create(
                [MessageEmailItem(email=email, message_id=mid, recipient_id=user_id) for mid in message_ids],
                ignore_conflicts=True,
            )
            created_ids.append(email.pk)
        for email_id in created_ids:
            transaction.on_commit(lambda email_id=email_id: _enqueue_email(email_id))  # type: ignore[misc]
    return len(due), len(created_ids)


def unread_message_emails_sweep(*, now: datetime) -> int:
    """E-mail each recipient once about messages unread for 10 minutes; returns e-mails created.

    Batched: each round claims at most OPINIA_SWEEP_BATCH_SIZE due messages in its own
    short transaction, so a killed worker loses at most one uncommitted round, which the
    next run picks up again.
    """
    batch_size = settings.OPINIA_SWEEP_BATCH_SIZE
    total = 0
    while True:
        seen, created = _sweep_batch(now=now, batch_size=batch_size)
        total += created
        if seen < batch_size:
            return total


# --- Retention: batched, each batch locked with SKIP LOCKED and deleted (`delete_batch`).


def notifications_prune_read(*, now: datetime, batch_size: int | None = None) -> int:
    """Delete notifications read OPINIA_READ_NOTIFICATION_RETENTION_DAYS ago or earlier; returns how many.

    An unread notification is never deleted, however old. Reads the partial index `notification_read`.
    """
    cutoff = now - timedelta(days=settings.OPINIA_READ_NOTIFICATION_RETENTION_DAYS)
    read = Notification.objects.filter(read_at__lte=cutoff)
    return prune_in_batches(lambda limit: delete_batch(read, order_by="read_at", limit=limit), batch_size=batch_size)


def message_emails_prune_delivered(*, now: datetime, batch_size: int | None = None) -> int:
    """Delete the records of unread-message e-mails sent OPINIA_DELIVERED_EMAIL_RETENTION_DAYS ago or earlier.

    Their items go with them. The items' unique (message, recipient) constraint only guards
    the few minutes in which a message waits for this e-mail: a message is due once, when it
    is written, and once claimed never again, so an old record guards nothing. The messages
    themselves stay (all correspondence is kept), and an e-mail never sent is kept. Returns
    how many e-mails were deleted; reads the partial index `message_email_sent`.
    """
    cutoff = now - timedelta(days=settings.OPINIA_DELIVERED_EMAIL_RETENTION_DAYS)
    sent = MessageEmail.objects.filter(sent_at__lte=cutoff)
    return prune_in_batches(lambda limit: delete_batch(sent, order_by="sent_at", limit=limit), batch_size=batch_size)
