"""Thin tasks: take the time, call the sweep."""

from celery import shared_task
from django.utils import timezone

from disputes import sweeps


@shared_task(acks_late=True)
def sweep_dispute_deadlines() -> int:
    return sweeps.sweep_dispute_deadlines(now=timezone.now())
