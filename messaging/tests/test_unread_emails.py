"""Unread messages are e-mailed once, after 10 minutes, batched per recipient."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from celery.exceptions import Retry
from django.core import mail
from django.utils import timezone

from messaging import services
from messaging.models import Message, MessageEmailItem, MessagingPreferences, Side
from messaging.tests.conftest import reply, write
from portal.deadlines import run_all_sweeps
from portal.tasks import run_sweep
from portal.tests.factories import StoreFactory, UserFactory

T0 = datetime(2026, 2, 3, 10, 0, 0, tzinfo=UTC)


def sweep_at(moment, capture):
    """Run the beat task as the worker would, with the clock at `moment`."""
    with time_machine.travel(moment, tick=False), capture(execute=True):
        return run_sweep("messaging.unread_emails")


@pytest.fixture
def at_t0(conversation):
    Message.objects.all().delete()
    return conversation


def test_one_second_before_ten_minutes_nothing_at_ten_minutes_one_email(
    at_t0, buyer, seller, agent, django_capture_on_commit_callbacks
):
    write(at_t0, buyer, "Where is my parcel?", now=T0)
    assert sweep_at(T0 + timedelta(minutes=10, seconds=-1), django_capture_on_commit_callbacks) == 0
    assert mail.outbox == []
    # Every member of the store hears about it, once each.
    assert sweep_at(T0 + timedelta(minutes=10), django_capture_on_commit_callbacks) == 2
    assert sorted(m.to[0] for m in mail.outbox) == [agent.email, seller.email]
    assert "Where is my parcel?" in mail.outbox[0].body
    assert f"/messages/c/{at_t0.pk}/" in mail.outbox[0].body
    assert buyer.email not in [m.to[0] for m in mail.outbox]
    assert sweep_at(T0 + timedelta(minutes=30), django_capture_on_commit_callbacks) == 0
    assert len(mail.outbox) == 2


def test_messages_to_one_recipient_go_out_in_one_email(at_t0, buyer, seller, django_capture_on_commit_callbacks):
    reply(at_t0, seller, "First", now=T0)
    reply(at_t0, seller, "Second", now=T0 + timedelta(minutes=3))
    other_store = StoreFactory(name="Second Store")
    message, _ = services.conversation_start(buyer=buyer, store=other_store, text="hi", now=T0 - timedelta(hours=1))
    Message.objects.filter(conversation=message.conversation).update(email_due_at=None)
    reply(message.conversation, other_store.owner, "From the second store", now=T0 + timedelta(minutes=1))
    # At 10 minutes after the first message, the younger messages go in the same e-mail.
    assert sweep_at(T0 + timedelta(minutes=11), django_capture_on_commit_callbacks) == 1
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert mail.outbox[0].to == [buyer.email]
    assert "3 unread messages" in mail.outbox[0].subject
    for text in ("First", "Second", "From the second store"):
        assert text in body
    assert MessageEmailItem.objects.filter(recipient=buyer).count() == 3
    # A later message starts a new clock and a new e-mail.
    reply(at_t0, seller, "Third", now=T0 + timedelta(minutes=20))
    assert sweep_at(T0 + timedelta(minutes=29, seconds=59), django_capture_on_commit_callbacks) == 0
    assert sweep_at(T0 + timedelta(minutes=30), django_capture_on_commit_callbacks) == 1
    assert "Third" in mail.outbox[1].body
    assert "First" not in mail.outbox[1].body


def test_reading_before_ten_minutes_cancels_the_email(at_t0, buyer, seller, django_capture_on_commit_callbacks):
    reply(at_t0, seller, "Read me", now=T0)
    services.conversation_mark_read(conversation_id=at_t0.pk, side=Side.BUYER, now=T0 + timedelta(minutes=9))
    assert sweep_at(T0 + timedelta(minutes=10), django_capture_on_commit_callbacks) == 0
    assert mail.outbox == []


def test_replying_counts_as_reading(at_t0, buyer, seller, agent, django_capture_on_commit_callbacks):
    write(at_t0, buyer, "Hello", now=T0)
    reply(at_t0, agent, "Hi!", now=T0 + timedelta(minutes=2))
    assert sweep_at(T0 + timedelta(minutes=12), django_capture_on_commit_callbacks) == 1
    assert mail.outbox[0].to == [buyer.email]


def test_preferences_switch_the_email_off(at_t0, buyer, seller, agent, django_capture_on_commit_callbacks):
    services.preferences_update(user=seller, email_messages=False, email_notifications=True, sms_notifications=True)
    write(at_t0, buyer, "Hello", now=T0)
    assert sweep_at(T0 + timedelta(minutes=10), django_capture_on_commit_callbacks) == 1
    assert [m.to[0] for m in mail.outbox] == [agent.email]
    assert MessagingPreferences.objects.get(user=seller).email_messages is False


def test_email_is_in_the_recipients_language(at_t0, buyer, seller, django_capture_on_commit_callbacks):
    buyer.language = "pl"
    buyer.save()
    reply(at_t0, seller, "Dzień dobry", now=T0)
    sweep_at(T0 + timedelta(minutes=10), django_capture_on_commit_callbacks)
    # Rendered in Polish (the catalogues are compiled by `make locale` before the tests).
    assert mail.outbox[0].subject == "Masz 1 nieprzeczytaną wiadomość w Opinii"
    assert "Dzień dobry" in mail.outbox[0].body


def test_run_deadlines_runs_the_sweep(at_t0, buyer, django_capture_on_commit_callbacks):
    write(at_t0, buyer, "Hello", now=T0)
    with django_capture_on_commit_callbacks(execute=True):
        effects = run_all_sweeps(now=T0 + timedelta(minutes=10))
    assert effects["messaging.unread_emails"] == 1


def test_sweep_works_in_batches(at_t0, seller, settings, django_capture_on_commit_callbacks):
    settings.OPINIA_SWEEP_BATCH_SIZE = 2
    buyers = [UserFactory() for _ in range(5)]
    for n, someone in enumerate(buyers):
        store = StoreFactory()
        message, _ = services.conversation_start(buyer=someone, store=store, text="hi", now=T0)
        Message.objects.filter(pk=message.pk).update(email_due_at=None)
        reply(message.conversation, store.owner, f"Answer {n}", now=T0)
    # Rounds of two due messages each (2 + 2 + 1): five buyers, five e-mails.
    assert sweep_at(T0 + timedelta(minutes=10), django_capture_on_commit_callbacks) == 5
    assert sorted(MessageEmailItem.objects.values_list("recipient_id", flat=True)) == sorted(b.pk for b in buyers)
    assert not Message.objects.filter(email_due_at__isnull=False).exists()


def test_younger_messages_ride_along_only_up_to_a_bound(at_t0, buyer, settings, django_capture_on_commit_callbacks):
    settings.OPINIA_SWEEP_BATCH_SIZE = 1
    stores = [StoreFactory() for _ in range(13)]
    for n, store in enumerate(stores):
        message, _ = services.conversation_start(buyer=buyer, store=store, text="hi", now=T0)
        Message.objects.filter(pk=message.pk).update(email_due_at=None)
        reply(message.conversation, store.owner, f"Answer {n}", now=T0 + timedelta(minutes=n % 2))
    # One due message and at most 10 younger ones per round; the rest go in the next round.
    assert sweep_at(T0 + timedelta(minutes=10), django_capture_on_commit_callbacks) == 2
    sizes = sorted(len(m.body.split("/messages/c/")) - 1 for m in mail.outbox)
    assert sizes == [2, 11]
    assert MessageEmailItem.objects.filter(recipient=buyer).count() == 13


def test_a_failed_send_is_retried_not_lost(at_t0, buyer, seller, monkeypatch, django_capture_on_commit_callbacks):
    reply(at_t0, seller, "Retry me", now=T0)
    calls = {"n": 0}
    real_send = services.send_mail

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise OSError("SMTP down")
        return real_send(*args, **kwargs)

    monkeypatch.setattr(services, "send_mail", flaky)
    # The eager task retries (the worker would, with backoff); the claim on `sent_at` was undone.
    with pytest.raises(Retry):
        sweep_at(T0 + timedelta(minutes=10), django_capture_on_commit_callbacks)
    email_id = MessageEmailItem.objects.get().email_id
    assert services.message_email_deliver(email_id=email_id, now=timezone.now()) is True
    assert len(mail.outbox) == 1
    # Delivered once: a second delivery attempt does nothing.
    assert services.message_email_deliver(email_id=email_id, now=timezone.now()) is False
    assert len(mail.outbox) == 1


def test_one_email_per_recipient_across_conversations_not_one_per_conversation(
    at_t0, buyer, other_buyer, seller, agent, store, django_capture_on_commit_callbacks
):
    """Three buyers write within a few minutes: each store member gets one e-mail listing all three."""
    third = StoreFactory().owner  # a buyer of this store who runs another store
    write(at_t0, buyer, "From Alice", now=T0)
    services.conversation_start(buyer=other_buyer, store=store, text="From Charlie", now=T0 + timedelta(minutes=2))
    services.conversation_start(buyer=third, store=store, text="From a third buyer", now=T0 + timedelta(minutes=4))
    assert sweep_at(T0 + timedelta(minutes=10), django_capture_on_commit_callbacks) == 2
    assert sorted(m.to[0] for m in mail.outbox) == [agent.email, seller.email]
    for email in mail.outbox:
        assert "3 unread messages" in email.subject
        for text in ("From Alice", "From Charlie", "From a third buyer"):
            assert text in email.body
    # Nothing is repeated when the younger messages reach their own 10 minutes.
    assert sweep_at(T0 + timedelta(minutes=15), django_capture_on_commit_callbacks) == 0
    assert len(mail.outbox) == 2


def test_a_buyer_gets_one_email_for_answers_from_two_stores(at_t0, buyer, seller, django_capture_on_commit_callbacks):
    other_store = StoreFactory(name="Second Store")
    message, _ = services.conversation_start(buyer=buyer, store=other_store, text="hi", now=T0 - timedelta(hours=1))
    Message.objects.filter(conversation=message.conversation).update(email_due_at=None)
    reply(at_t0, seller, "Answer from Bob", now=T0)
    reply(message.conversation, other_store.owner, "Answer from the second store", now=T0 + timedelta(minutes=6))
    assert sweep_at(T0 + timedelta(minutes=10), django_capture_on_commit_callbacks) == 1
    (email,) = mail.outbox
    assert email.to == [buyer.email]
    assert "Answer from Bob" in email.body
    assert "Answer from the second store" in email.body


def test_a_busy_inbox_is_summed_up_in_the_email(at_t0, buyer, django_capture_on_commit_callbacks):
    for n in range(23):
        store = StoreFactory()
        message, _ = services.conversation_start(buyer=buyer, store=store, text="hi", now=T0)
        Message.objects.filter(pk=message.pk).update(email_due_at=None)
        reply(message.conversation, store.owner, f"Answer number {n}", now=T0)
    assert sweep_at(T0 + timedelta(minutes=10), django_capture_on_commit_callbacks) == 1
    (email,) = mail.outbox
    assert "23 unread messages" in email.subject
    assert email.body.count("Answer number") == 20
    assert "… and 3 more messages:" in email.body
