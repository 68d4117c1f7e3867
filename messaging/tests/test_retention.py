"""Retention in the message centre: read notifications and sent unread-message e-mails are
deleted after their retention; unread notifications and unsent e-mails never are."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection

from messaging import sweeps
from messaging.models import MessageEmail, MessageEmailItem, Notification
from messaging.tests.conftest import write
from portal.deadlines import MAX_BATCHES_PER_RUN
from portal.tasks import run_sweep

T0 = datetime(2026, 2, 3, 10, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)
NOTIFICATION_RETENTION = timedelta(days=180)
EMAIL_RETENTION = timedelta(days=90)


def notification(user, *, created_at: datetime, read_at: datetime | None) -> Notification:
    return Notification.objects.create(recipient=user, kind="order_shipped", created_at=created_at, read_at=read_at)


def sweep_at(name: str, moment: datetime) -> int:
    with time_machine.travel(moment, tick=False):
        return run_sweep(name)


def test_a_read_notification_goes_at_the_retention_age_an_unread_one_never(buyer, seller):
    read = notification(buyer, created_at=T0 - timedelta(days=3), read_at=T0)
    read_later = notification(buyer, created_at=T0, read_at=T0 + SECOND)
    unread = notification(seller, created_at=T0 - timedelta(days=2000), read_at=None)

    assert sweep_at("notifications.prune_read", T0 + NOTIFICATION_RETENTION - SECOND) == 0
    assert Notification.objects.count() == 3
    assert sweep_at("notifications.prune_read", T0 + NOTIFICATION_RETENTION) == 1
    assert set(Notification.objects.all()) == {read_later, unread}
    # Twice at the same moment: nothing more.
    assert sweep_at("notifications.prune_read", T0 + NOTIFICATION_RETENTION) == 0
    assert set(Notification.objects.all()) == {read_later, unread}
    # Years later the unread one is still there.
    assert sweep_at("notifications.prune_read", T0 + 10 * NOTIFICATION_RETENTION) == 1
    assert list(Notification.objects.all()) == [unread]
    assert not Notification.objects.filter(pk=read.pk).exists()


def test_the_notification_retention_is_a_setting(buyer, settings):
    settings.OPINIA_READ_NOTIFICATION_RETENTION_DAYS = 7
    notification(buyer, created_at=T0, read_at=T0)
    assert sweep_at("notifications.prune_read", T0 + timedelta(days=7) - SECOND) == 0
    assert sweep_at("notifications.prune_read", T0 + timedelta(days=7)) == 1


def test_a_sent_unread_message_email_goes_with_its_items_at_the_retention_age(
    conversation, buyer, seller, django_capture_on_commit_callbacks
):
    write(conversation, buyer, "Is it in stock?", now=T0)
    sent_at = T0 + timedelta(minutes=10)
    with time_machine.travel(sent_at, tick=False), django_capture_on_commit_callbacks(execute=True):
        assert run_sweep("messaging.unread_emails") == 1
    email = MessageEmail.objects.get()
    assert email.sent_at == sent_at
    assert MessageEmailItem.objects.filter(email=email).exists()
    # One that never went out (still queued, or given up after its retries) is kept.
    unsent = MessageEmail.objects.create(recipient=seller, created_at=T0 - timedelta(days=400), sent_at=None)

    assert sweep_at("messaging.prune_delivered_emails", sent_at + EMAIL_RETENTION - SECOND) == 0
    assert MessageEmail.objects.count() == 2
    assert sweep_at("messaging.prune_delivered_emails", sent_at + EMAIL_RETENTION) == 1
    assert list(MessageEmail.objects.all()) == [unsent]
    assert not MessageEmailItem.objects.exists()
    assert sweep_at("messaging.prune_delivered_emails", sent_at + EMAIL_RETENTION) == 0
    assert list(MessageEmail.objects.all()) == [unsent]
    # The message itself stays: all correspondence is kept.
    assert conversation.messages.filter(text="Is it in stock?").exists()


def test_a_run_deletes_a_bounded_number_of_batches(buyer, settings):
    settings.OPINIA_SWEEP_BATCH_SIZE = 2
    for _ in range(2 * MAX_BATCHES_PER_RUN + 3):
        notification(buyer, created_at=T0, read_at=T0)
    at = T0 + NOTIFICATION_RETENTION
    assert sweep_at("notifications.prune_read", at) == 2 * MAX_BATCHES_PER_RUN
    assert sweep_at("notifications.prune_read", at) == 3
    assert sweep_at("notifications.prune_read", at) == 0


def _in_threads(target, count=2):
    barrier = threading.Barrier(count, timeout=10)
    results: list[int] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait()
            results.append(target())
        except BaseException as error:  # surfaced below: a thread's exception would vanish otherwise
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results, errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")
def test_two_workers_pruning_at_once_delete_each_row_once(buyer, seller):
    for _ in range(9):
        notification(buyer, created_at=T0, read_at=T0)
        MessageEmail.objects.create(recipient=seller, created_at=T0, sent_at=T0)
    unread = notification(buyer, created_at=T0, read_at=None)
    unsent = MessageEmail.objects.create(recipient=seller, created_at=T0, sent_at=None)

    results, errors = _in_threads(
        lambda: sweeps.notifications_prune_read(now=T0 + NOTIFICATION_RETENTION, batch_size=2)
    )
    assert (errors, sum(results)) == ([], 9)
    assert list(Notification.objects.all()) == [unread]

    results, errors = _in_threads(lambda: sweeps.message_emails_prune_delivered(now=T0 + EMAIL_RETENTION, batch_size=2))
    assert (errors, sum(results)) == ([], 9)
    assert list(MessageEmail.objects.all()) == [unsent]
