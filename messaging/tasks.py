"""Thin tasks of the message centre: fetch by id, call the service."""

from celery import shared_task
from django.utils import timezone

from messaging import services


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def deliver_notification(notification_id: int) -> None:
    services.notification_deliver(notification_id=notification_id, now=timezone.now())


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_message_email(email_id: int) -> None:
    services.message_email_deliver(email_id=email_id, now=timezone.now())
