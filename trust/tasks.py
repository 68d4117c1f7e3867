"""Thin tasks of the signals worker: check one text soon after it is written.

The sweep `trust.checks` takes whatever a lost or failed task left pending, so the task
is a shortcut to promptness, never the only way a text gets checked.
"""

from celery import shared_task
from django.utils import timezone

from trust import services


@shared_task(acks_late=True)
def check_run(check_id: int) -> None:
    services.checks_run_batch(now=timezone.now(), limit=1, ids=[check_id])
