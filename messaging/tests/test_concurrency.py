"""Row locks under real concurrency: PostgreSQL only, each thread on its own connection."""

import threading
from datetime import UTC, datetime, time, timedelta

import pytest
from django.db import connection, connections

from messaging import services, sweeps
from messaging.models import Conversation, Message, MessageEmail, MessageEmailItem, Side
from portal.models import WorkingHours
from portal.tests.factories import StoreFactory, UserFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
]

NIGHT = datetime(2026, 1, 17, 2, 0, tzinfo=UTC)  # Saturday 10:00 in Shanghai: closed


def run_in_threads(count, target):
    barrier = threading.Barrier(count)
    errors = []

    def body(index):
        try:
            barrier.wait()
            target(index)
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=body, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_unread_counters_are_exact_after_concurrent_sends_and_auto_reply_goes_once():
    store = StoreFactory(time_zone="Asia/Shanghai", auto_reply="Closed until Monday.")
    WorkingHours.objects.create(store=store, weekday=0, opens_at=time(9), closes_at=time(17))
    buyer = UserFactory()
    agent = UserFactory()
    store.members.create(user=agent, role="agent")
    message, _ = services.conversation_start(buyer=buyer, store=store, text="first", now=NIGHT)
    conversation_id = message.conversation_id
    buyer_sends, store_sends = 6, 4

    def send(index):
        if index < buyer_sends:
            services.message_send(
                conversation_id=conversation_id, sender=buyer, side=Side.BUYER, text=f"b{index}", now=NIGHT
            )
        else:
            services.message_send(
                conversation_id=conversation_id, sender=agent, side=Side.STORE, text=f"s{index}", now=NIGHT
            )

    run_in_threads(buyer_sends + store_sends, send)
    conversation = Conversation.objects.get(pk=conversation_id)
    messages = list(Message.objects.filter(conversation_id=conversation_id).order_by("pk"))
    assert len(messages) == 1 + 1 + buyer_sends + store_sends  # first, one auto-reply, the rest
    assert sum(m.is_auto_reply for m in messages) == 1
    # The counters equal what a recount from the messages gives.
    last_buyer = max(m.pk for m in messages if m.side == Side.BUYER)
    last_store = max(m.pk for m in messages if m.side == Side.STORE)
    expected_store_unread = sum(1 for m in messages if m.side == Side.BUYER and m.pk > last_store)
    expected_buyer_unread = sum(1 for m in messages if m.side == Side.STORE and m.pk > last_buyer)
    assert conversation.store_unread == expected_store_unread
    assert conversation.buyer_unread == expected_buyer_unread


def test_concurrent_first_messages_open_one_conversation():
    store = StoreFactory()
    buyer = UserFactory()

    def start(index):
        services.conversation_start(buyer=buyer, store=store, text=f"hello {index}", now=NIGHT)

    run_in_threads(4, start)
    conversation = Conversation.objects.get(buyer=buyer, store=store)
    assert conversation.messages.filter(is_auto_reply=False).count() == 4
    assert conversation.store_unread == 4


def test_two_workers_email_each_message_once(mailoutbox):
    buyers = [UserFactory() for _ in range(6)]
    store = StoreFactory()
    for index, buyer in enumerate(buyers):
        message, _ = services.conversation_start(buyer=buyer, store=store, text="q", now=NIGHT)
        Message.objects.filter(pk=message.pk).update(email_due_at=None)
        for n in range(3):
            services.message_send(
                conversation_id=message.conversation_id,
                sender=store.owner,
                side=Side.STORE,
                text=f"answer {index}.{n}",
                now=NIGHT,
            )
    due = NIGHT + timedelta(minutes=10)

    run_in_threads(2, lambda index: sweeps.unread_message_emails_sweep(now=due))
    sweeps.unread_message_emails_sweep(now=due)
    items = list(MessageEmailItem.objects.values_list("message_id", "recipient_id"))
    assert len(items) == len(set(items)) == 6 * 3
    assert MessageEmail.objects.count() == len(mailoutbox)
    assert sorted(m.to[0] for m in mailoutbox) == sorted(b.email for b in buyers)
    assert not Message.objects.filter(email_due_at__isnull=False).exists()
