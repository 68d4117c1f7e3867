"""A real Celery worker, started as a process, runs the portal's tasks through the real Redis broker."""

import contextlib
import json
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

from portal import observability, services
from portal.celery import app as celery_app
from portal.models import Order
from portal.tasks import run_sweep
from portal.tests.factories import SHIPPING, make_order

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


class Worker:
    """A worker process on a private queue; `output` is what it printed, once it has stopped."""

    def __init__(self, queue: str) -> None:
        self.queue = queue
        self.output = ""


@contextlib.contextmanager
def running_worker(**extra_env: str):
    """Start `celery worker` on a private queue, pointed at this test database; stop it afterwards."""
    require_services()
    queue = f"test-{uuid.uuid4().hex[:8]}"
    db = connection.settings_dict
    database_url = (
        f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )
    env = dict(os.environ, DATABASE_URL=database_url, OPINIA_TESTING="1", CELERY_TASK_ALWAYS_EAGER="0", **extra_env)
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
    worker = Worker(queue)
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    try:
        yield worker
    finally:
        celery_app.conf.task_always_eager = previous
        process.terminate()
        try:
            output, _ = process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
        worker.output = output
        print(output[-4000:])


@pytest.fixture
def worker_queue():
    with running_worker() as worker:
        yield worker.queue


def wait_until_completed(order: Order) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        order.refresh_from_db()
        if order.status == Order.Status.COMPLETED:
            return
        time.sleep(0.3)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_worker_runs_the_auto_confirm_sweep_through_redis(worker_queue, buyer, store):
    shipped_at = timezone.now() - timedelta(days=61)
    order = make_order(buyer=buyer, store=store, status=Order.Status.PAID, at=shipped_at - timedelta(days=1))
    services.order_ship(order_id=order.pk, actor=None, now=shipped_at, **SHIPPING)

    run_sweep.apply_async(args=("orders.auto_confirm",), queue=worker_queue)

    wait_until_completed(order)
    assert order.status == Order.Status.COMPLETED
    assert order.completed_automatically


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_worker_logs_json_lines_carrying_the_request_id_that_scheduled_the_task(buyer, store):
    shipped_at = timezone.now() - timedelta(days=61)
    order = make_order(buyer=buyer, store=store, status=Order.Status.PAID, at=shipped_at - timedelta(days=1))
    services.order_ship(order_id=order.pk, actor=None, now=shipped_at, **SHIPPING)

    with running_worker(LOG_FORMAT="json") as worker:
        token = observability.request_id_var.set("req-4f2a9c")
        try:
            run_sweep.apply_async(args=("orders.auto_confirm",), queue=worker.queue)
        finally:
            observability.request_id_var.reset(token)
        wait_until_completed(order)

    assert order.status == Order.Status.COMPLETED
    lines = [json.loads(line) for line in worker.output.splitlines() if line.startswith("{")]
    assert lines, worker.output[-2000:]
    # Lines logged while the task runs (its own and the trace's "succeeded") carry the request's id.
    task_lines = [line for line in lines if line["logger"] == "celery.app.trace"]
    assert task_lines, [line["message"] for line in lines]
    assert {line["request_id"] for line in task_lines} == {"req-4f2a9c"}
    assert all({"time", "level", "logger", "message"} <= line.keys() for line in lines)
