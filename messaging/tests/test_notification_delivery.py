"""Delivering one notification (the rules live in the service; the task only calls it)."""

import pytest
from django.core import mail
from django.utils import timezone

from messaging import services
from messaging.models import MessagingPreferences, Notification
from portal.notify import notify
from portal.sms import LocmemBackend
from portal.tests.factories import UserFactory


@pytest.fixture
def shipped(db, settings):
    settings.SMS_BACKEND = "portal.sms.LocmemBackend"
    LocmemBackend.outbox.clear()
    user = UserFactory(phone="+48600100200")
    notify(
        user_id=user.pk,
        kind="order_shipped",
        params={"number": "X1", "carrier": "ups", "tracking": "1Z999AA10123456784"},
        now=timezone.now(),
    )
    return Notification.objects.get(recipient=user)


def test_delivered_once_by_email_and_text_however_often_it_runs(shipped):
    now = timezone.now()
    services.notification_deliver(notification_id=shipped.pk, now=now)
    services.notification_deliver(notification_id=shipped.pk, now=now)
    assert [message.to for message in mail.outbox] == [[shipped.recipient.email]]
    assert LocmemBackend.outbox == [
        ("+48600100200", "Order X1 has shipped with UPS: https://www.ups.com/track?tracknum=1Z999AA10123456784")
    ]
    shipped.refresh_from_db()
    assert shipped.emailed_at == now
    assert shipped.texted_at == now


def test_a_switched_off_channel_is_not_used(shipped):
    MessagingPreferences.objects.create(user=shipped.recipient, email_notifications=False)
    services.notification_deliver(notification_id=shipped.pk, now=timezone.now())
    assert mail.outbox == []
    assert len(LocmemBackend.outbox) == 1


def test_a_failed_email_gives_its_claim_back_for_the_retry(shipped, monkeypatch):
    def refused(*args, **kwargs):
        raise OSError("mail server down")

    monkeypatch.setattr(services, "send_mail", refused)
    with pytest.raises(OSError, match="mail server down"):
        services.notification_deliver(notification_id=shipped.pk, now=timezone.now())
    shipped.refresh_from_db()
    assert shipped.emailed_at is None


def test_a_missing_notification_is_nothing_to_deliver(db):
    services.notification_deliver(notification_id=0, now=timezone.now())
    assert mail.outbox == []
