"""Thin tasks of the message centre: fetch by id, call the service."""

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from messaging import services
from messaging.models import MessagingPreferences, Notification
from portal.notify import NOTIFICATION_KINDS
from portal.sms import send_sms


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def deliver_notification(notification_id: int) -> None:
    """E-mail (and text) one notification, once: the claim on `emailed_at` makes retries safe.

    Honours the recipient's preferences: a switched-off channel is simply not used.
    """
    notification = Notification.objects.select_related("recipient").filter(pk=notification_id).first()
    if notification is None:
        return
    recipient = notification.recipient
    preferences = MessagingPreferences.objects.filter(user=recipient).first() or MessagingPreferences(user=recipient)
    now = timezone.now()
    if preferences.email_notifications and Notification.objects.filter(
        pk=notification_id, emailed_at__isnull=True
    ).update(emailed_at=now):
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
        send_sms(to=recipient.phone, text=notification.title(recipient.language))


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_message_email(email_id: int) -> None:
    services.message_email_deliver(email_id=email_id, now=timezone.now())
