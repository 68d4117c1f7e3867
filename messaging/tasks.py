"""Thin tasks of the message centre: fetch by id, call the service."""

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from messaging.models import Notification
from portal.notify import NOTIFICATION_KINDS
from portal.sms import send_sms


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def deliver_notification(notification_id: int) -> None:
    """E-mail (and text) one notification, once: the claim on `emailed_at` makes retries safe."""
    notification = Notification.objects.select_related("recipient").filter(pk=notification_id).first()
    if notification is None:
        return
    recipient = notification.recipient
    now = timezone.now()
    if Notification.objects.filter(pk=notification_id, emailed_at__isnull=True).update(emailed_at=now):
        title = notification.title(recipient.language)
        body = notification.body(recipient.language)
        link = f"{settings.SITE_URL}{notification.url}" if notification.url else settings.SITE_URL
        try:
            send_mail(title, f"{body}\n\n{link}\n", None, [recipient.email])
        except OSError:
            Notification.objects.filter(pk=notification_id).update(emailed_at=None)
            raise
    kind = NOTIFICATION_KINDS.get(notification.kind)
    wants_sms = bool(kind and kind.sms and recipient.phone)
    if wants_sms and Notification.objects.filter(pk=notification_id, texted_at__isnull=True).update(texted_at=now):
        send_sms(to=recipient.phone, text=notification.title(recipient.language))


@shared_task
def sweep_unread_message_emails() -> int:
    """Batched e-mails for unread messages; the conversations module fills this in."""
    from messaging import sweeps

    return sweeps.unread_message_emails_sweep(now=timezone.now())
