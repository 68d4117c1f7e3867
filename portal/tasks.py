"""Thin tasks of the core: fetch by id or take the time, call the service."""

from celery import shared_task
from django.utils import timezone

from portal import deadlines, uploads


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def process_photo(photo_id: int) -> None:
    uploads.photo_process(photo_id=photo_id)


@shared_task(acks_late=True)
def run_sweep(name: str) -> int:
    """Run the registered sweep `name` now: beat sends one of these per entry of `portal.deadlines`."""
    return deadlines.sweep_run(name=name, now=timezone.now())
