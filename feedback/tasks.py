"""Thin tasks of the feedback app: take the time, call the service."""

from celery import shared_task
from django.utils import timezone

from feedback import services


@shared_task(acks_late=True)
def sweep_feedback_windows() -> int:
    """Close every due feedback window (publish, automatic ratings); safe to run twice."""
    return services.feedback_windows_close_sweep(now=timezone.now())


@shared_task(acks_late=True)
def sweep_feedback_reminders() -> int:
    return services.feedback_reminders_sweep(now=timezone.now())


@shared_task(acks_late=True)
def recount_store_scores() -> int:
    """Nightly: rebuild the score buckets from the raw reviews, correcting any drift."""
    return services.store_scores_recount(now=timezone.now())
