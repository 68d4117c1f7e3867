"""Thin tasks of the core: fetch by id or take the time, call the service."""

from celery import shared_task
from django.utils import timezone

from portal import services, uploads


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def process_photo(photo_id: int) -> None:
    uploads.photo_process(photo_id=photo_id)


@shared_task
def sweep_order_auto_confirm() -> int:
    return services.orders_auto_confirm_sweep(now=timezone.now())


@shared_task
def sweep_order_auto_confirm_reminders() -> int:
    return services.orders_auto_confirm_reminder_sweep(now=timezone.now())


@shared_task
def sweep_stuck_photos() -> int:
    stuck = uploads.photos_stuck(now=timezone.now())
    for photo_id in stuck:
        process_photo.delay(photo_id)
    return len(stuck)
