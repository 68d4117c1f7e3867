"""The one list of sweeps: beat's schedule, the generic task and `run_deadlines` all read the registry."""

import os
import shelve
import subprocess
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from celery.schedules import crontab
from django.core.management import call_command

from portal import services
from portal.celery import app as celery_app
from portal.deadlines import SWEEP_TASK, SWEEPS, UnknownSweep, beat_schedule
from portal.models import Order
from portal.tasks import run_sweep
from portal.tests.factories import SHIPPING, make_order

ROOT = Path(__file__).resolve().parents[2]
MINUTE = timedelta(minutes=1)

# Everything beat runs, and how often: a sweep that disappears or changes pace fails here.
SCHEDULED = {
    "orders.auto_confirm_reminders": MINUTE,
    "orders.auto_confirm": MINUTE,
    "photos.retry_stuck": timedelta(minutes=5),
    "messaging.unread_emails": MINUTE,
    "feedback.windows_close": MINUTE,
    "feedback.reminders": MINUTE,
    "feedback.score_recount": crontab(hour=3, minute=17),
    "disputes.deadlines": MINUTE,
    "photos.prune_unattached": timedelta(hours=1),
    "notifications.prune_read": timedelta(hours=1),
    "messaging.prune_delivered_emails": timedelta(hours=1),
    "webhooks.deliver": timedelta(seconds=5),
    "api.idempotency_prune": timedelta(hours=1),
    "trust.checks": MINUTE,
    "trust.bursts": timedelta(hours=1),
    "stores.weekly_summary": MINUTE,
}
# The clocks of the product, which `run_deadlines` runs (the stuck-photo retry, the nightly
# recount and the retention sweeps are housekeeping, left to beat).
DEADLINES = [
    "orders.auto_confirm_reminders",
    "orders.auto_confirm",
    "stores.weekly_summary",
    "messaging.unread_emails",
    "feedback.windows_close",
    "feedback.reminders",
    "disputes.deadlines",
    "trust.checks",
]


def test_beat_schedule_is_exactly_the_registered_sweeps_at_their_intervals():
    celery_app.finalize()
    schedule = celery_app.conf.beat_schedule
    assert set(schedule) == set(SWEEPS) == set(SCHEDULED)
    for name, every in SCHEDULED.items():
        assert schedule[name] == {"task": SWEEP_TASK, "schedule": every, "args": (name,)}
    assert schedule == beat_schedule()
    assert SWEEP_TASK in celery_app.tasks


def _read_schedule_file(path: Path) -> dict[str, tuple[str, tuple[str, ...], object]]:
    # The file this test's own beat process wrote (beat keeps its schedule as a shelve).
    with shelve.open(str(path)) as store:  # noqa: S301
        return {name: (entry.task, tuple(entry.args), entry.schedule) for name, entry in store["entries"].items()}


@pytest.mark.parametrize(
    "command",
    [
        ["beat"],
        ["worker", "-B", "--pool=solo", "-Q", "sweeps-beat-test", "--without-gossip", "--without-mingle"],
    ],
    ids=["celery-beat", "worker-with-embedded-beat"],
)
def test_a_freshly_started_beat_schedules_every_registered_sweep(tmp_path, command):
    # A new process: beat starts before Django's apps are loaded and must still find them all.
    schedule_file = tmp_path / "celerybeat-schedule"
    env = dict(
        os.environ,
        OPINIA_TESTING="1",
        OPINIA_VAR_DIR=str(tmp_path),
        CELERY_BROKER_URL="filesystem://",
        CELERY_TASK_ALWAYS_EAGER="0",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "portal", *command, "-s", str(schedule_file), "--loglevel=INFO"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 60
        for line in process.stdout:
            if "beat: Starting" in line or time.monotonic() > deadline:
                break
        # The scheduler writes its entries as it starts; give it a moment, then stop the process.
        time.sleep(2)
    finally:
        process.terminate()
        try:
            process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()

    entries = _read_schedule_file(schedule_file)
    entries.pop("celery.backend_cleanup", None)  # Celery's own entry
    assert entries.keys() == SCHEDULED.keys()
    for name, (task, args, schedule) in entries.items():
        assert (task, args) == (SWEEP_TASK, (name,))
        expected = SCHEDULED[name]
        assert schedule == expected if isinstance(expected, crontab) else schedule.run_every == expected


@pytest.mark.django_db
def test_run_sweep_runs_a_registered_sweep_by_name_at_the_current_time(buyer, store):
    shipped_at = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
    order = make_order(buyer=buyer, store=store, status=Order.Status.PAID, at=shipped_at - timedelta(days=1))
    services.order_ship(order_id=order.pk, actor=None, now=shipped_at, **SHIPPING)
    order.refresh_from_db()
    due = order.auto_confirm_due_at
    assert due is not None

    with time_machine.travel(due - timedelta(seconds=1), tick=False):
        assert run_sweep.delay("orders.auto_confirm").get() == 0
    with time_machine.travel(due, tick=False):
        assert run_sweep.delay("orders.auto_confirm").get() == 1
    order.refresh_from_db()
    assert order.status == Order.Status.COMPLETED
    assert order.completed_at == due


def test_run_sweep_refuses_an_unknown_name_naming_the_registered_ones():
    with pytest.raises(UnknownSweep) as refused:
        run_sweep.delay("orders.auto_confirn")
    message = str(refused.value)
    assert "'orders.auto_confirn'" in message
    assert all(name in message for name in SCHEDULED)


@pytest.mark.django_db
def test_run_deadlines_runs_every_deadline_sweep_once_and_nothing_else(capsys, monkeypatch):
    ran: list[str] = []
    for name, sweep in list(SWEEPS.items()):
        monkeypatch.setitem(SWEEPS, name, replace(sweep, run=lambda now, name=name: ran.append(name) or 0))
    call_command("run_deadlines")
    assert ran == DEADLINES
    assert capsys.readouterr().out.splitlines() == [f"{name}: 0" for name in DEADLINES]
