"""Unread messages are e-mailed once, after 10 minutes, batched per recipient."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from celery.exceptions import Retry
from django.core import mail
from django.utils import timezone

from messaging import services
from messaging.models import Message, MessageEmailItem, MessagingPreferences, Side
from messaging.tasks import sweep_unread_message_emails
from messaging.tests.conftest import reply, write
from portal.deadlines import run_all_sweeps
from portal.tests.factories import StoreFactory

T0 = datetime(2026, 2, 3, 10, 0, 0, tzinfo=UTC)


def sweep_at(moment, capture):
    """Run the beat task as the worker would, with the clock at `moment`."""
    with time_machine.travel(moment, tick=False), capture(execute=True):
        return sweep_unread_message_emails()


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


def test_sweep_works_in_batches(at_t0, buyer, seller, settings, django_capture_on_commit_callbacks):
    settings.OPINIA_SWEEP_BATCH_SIZE = 2
    for n in range(5):
        store = StoreFactory()
        message, _ = services.conversation_start(buyer=buyer, store=store, text="hi", now=T0)
        Message.objects.filter(pk=message.pk).update(email_due_at=None)
        reply(message.conversation, store.owner, f"Answer {n}", now=T0)
    assert sweep_at(T0 + timedelta(minutes=10), django_capture_on_commit_callbacks) == 3
    assert MessageEmailItem.objects.filter(recipient=buyer).count() == 5
    assert not Message.objects.filter(email_due_at__isnull=False).exists()


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
