"""The one Celery app: worker and beat for every sweep of the portal."""

import os

from celery import Celery

from portal import observability

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

observability.connect_celery_signals()
