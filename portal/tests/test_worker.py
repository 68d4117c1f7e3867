"""A real Celery worker, started as a process, runs the portal's tasks through the real Redis broker."""

import os
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from portal import services
from portal.celery import app as celery_app
from portal.models import Order
from portal.tasks import sweep_order_auto_confirm
from portal.tests.factories import make_order

ROOT = Path(__file__).resolve().parents[2]


def require_services() -> None:
    missing = []
    if not settings.REDIS_URL:
        missing.append("REDIS_URL")
    if connection.vendor != "postgresql":
        missing.append("DATABASE_URL (PostgreSQL)")
    if missing:
        message = f"needs {', '.join(missing)}"
        if os.environ.get("OPINIA_REQUIRE_SERVICES"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture
def worker_queue():
    """Start `celery worker` on a private queue, pointed at this test database; stop it afterwards."""
    require_services()
    queue = f"test-{uuid.uuid4().hex[:8]}"
    db = connection.settings_dict
    database_url = (
        f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )
    env = dict(os.environ, DATABASE_URL=database_url, OPINIA_TESTING="1", CELERY_TASK_ALWAYS_EAGER="0")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "portal",
            "worker",
            "--pool=solo",
            "-Q",
            queue,
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel=INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    try:
        yield queue
    finally:
        celery_app.conf.task_always_eager = previous
        process.terminate()
        try:
            output, _ = process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
        print(output[-4000:])


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_worker_runs_the_auto_confirm_sweep_through_redis(worker_queue, buyer, store):
    shipped_at = timezone.now() - timedelta(days=61)
    order = make_order(buyer=buyer, store=store, status=Order.Status.PAID, at=shipped_at - timedelta(days=1))
    services.order_ship(order_id=order.pk, actor=None, now=shipped_at)

    sweep_order_auto_confirm.apply_async(queue=worker_queue)

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        order.refresh_from_db()
        if order.status == Order.Status.COMPLETED:
            break
        time.sleep(0.3)
    assert order.status == Order.Status.COMPLETED
    assert order.completed_automatically
