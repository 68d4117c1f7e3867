"""The one Celery app: worker and beat for every sweep of the portal."""

import os
from typing import Any

import django
from celery import Celery

from portal import observability

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

observability.connect_celery_signals()


@app.on_after_finalize.connect
def schedule_sweeps(sender: Celery, **kwargs: Any) -> None:
    """Fill beat's schedule from the sweep registry (`portal/deadlines.py`), the one list of sweeps.

    `celery beat` and `celery worker -B` finalize the app after Celery's Django fix-up has
    run `django.setup()`, so every app's `ready()` has registered its sweeps by then, and
    beat reads the schedule only later, when its scheduler starts. A process that finalizes
    the app before Django is set up sets it up here rather than schedule nothing.
    """
    from django.apps import apps

    if not apps.ready:
        django.setup()
    from portal.deadlines import beat_schedule

    sender.conf.beat_schedule = beat_schedule()
