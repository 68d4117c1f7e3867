"""Operator commands and production settings."""

import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from feedback.models import FeedbackWindow
from messaging.models import Notification
from portal.carriers import carrier_find
from portal.deadlines import run_all_sweeps
from portal.models import Order, Store, User, WeeklySummary, WorkingHours

ROOT = Path(__file__).resolve().parents[2]


def test_seed_demo_builds_a_marketplace_and_is_safe_twice(db, capsys):
    call_command("seed_demo")
    first = capsys.readouterr().out
    counts = (User.objects.count(), Store.objects.count(), Order.objects.count())
    call_command("seed_demo")
    second = capsys.readouterr().out
    assert (User.objects.count(), Store.objects.count(), Order.objects.count()) == counts
    for output in (first, second):
        for login in ("buyer@opinia.test", "seller@opinia.test", "agent@opinia.test", "staff@opinia.test"):
            assert login in output
    assert set(Order.objects.values_list("status", flat=True)) == set(Order.Status.values)
    assert len(set(Store.objects.values_list("time_zone", flat=True))) >= 3
    assert len(set(User.objects.values_list("language", flat=True))) == 5
    # Guarantees that run out within minutes, and one already overdue, for the worker to act on.
    assert Order.objects.filter(status="shipped", auto_confirm_due_at__isnull=False).count() >= 3
    call_command("run_deadlines")
    assert Order.objects.filter(completed_automatically=True).count() >= 1


HOURS = re.compile(r"(\d{1,2}):(\d{2})\s*[–-]\s*(\d{1,2}):(\d{2})|\((\d{1,2})\s*[–-]\s*(\d{1,2})\)")


def test_seed_demo_tells_one_consistent_story(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    started = timezone.now()
    call_command("seed_demo", verbosity=0)
    seeded = timezone.now()

    # Each store's auto-reply names the hours the store really keeps.
    for store in Store.objects.all():
        # (A day may hold several intervals, a lunch break; the auto-reply names each.)
        hours = sorted({(h.opens_at.hour, h.closes_at.hour) for h in WorkingHours.objects.filter(store=store)})
        said = []
        for stated in HOURS.findall(store.auto_reply):
            numbers = [int(n) for n in stated if n]
            said.append((numbers[0], numbers[2] if len(numbers) == 4 else numbers[1]))
        assert sorted(said) == hours, f"{store.name}: {store.auto_reply}"

    # Every parcel has its own tracking number.
    tracked = list(Order.objects.filter(shipped_at__isnull=False).values_list("tracking_number", flat=True))
    assert len(tracked) > 20
    assert "" not in tracked
    assert len(set(tracked)) == len(tracked)
    # ... with its carrier and method, and it is one of that carrier's numbers (the one check).
    for order in Order.objects.filter(shipped_at__isnull=False).select_related("store"):
        carrier = carrier_find(order.carrier)
        assert carrier is not None, order.number
        assert carrier.accepts(order.tracking_number), order.number
        assert order.shipping_method, order.number
    # The shipping desk shows paid orders near and past the handling limit.
    limit = timedelta(days=settings.OPINIA_HANDLING_DAYS)
    paid = Order.objects.filter(status=Order.Status.PAID, paid_at__isnull=False)
    assert paid.filter(paid_at__lt=started - limit).exists()
    assert paid.filter(paid_at__gt=started - limit, paid_at__lt=started - limit + timedelta(hours=1)).exists()

    # Notifications are dated when their event happened, not when the demo was written.
    notifications = Notification.objects.all()
    assert notifications.filter(created_at__lt=started - timedelta(days=30)).exists()
    assert not notifications.filter(created_at__gt=seeded).exists()
    for notification in notifications.filter(kind="order_shipped"):
        order = Order.objects.get(pk=notification.params["order_id"])
        assert notification.created_at == order.shipped_at

    # The worker then runs for ten minutes: orders are confirmed, and no notice contradicts another.
    for minute in range(0, 11, 2):
        run_all_sweeps(now=seeded + timedelta(minutes=minute))
    confirmed = Order.objects.filter(completed_automatically=True)
    assert confirmed.count() >= 3
    for order in confirmed:
        reminders = Notification.objects.filter(kind="order_auto_confirm_reminder", params__order_id=order.pk)
        assert reminders.count() == 1, order.number
        (reminder,) = reminders
        days = timedelta(days=reminder.params["days"])
        # "Will be confirmed in 5 days" was true when it was said: five days before, not minutes.
        assert order.completed_at - reminder.created_at >= days, order.number
    for reminder in Notification.objects.filter(kind="order_auto_confirm_reminder"):
        order = Order.objects.get(pk=reminder.params["order_id"])
        assert order.auto_confirm_due_at - reminder.created_at >= timedelta(days=reminder.params["days"])
    for reminder in Notification.objects.filter(kind="feedback_reminder"):
        window = FeedbackWindow.objects.get(order_id=reminder.params["order_id"])
        assert window.closes_at - reminder.created_at >= timedelta(days=reminder.params["days"]), window.order.number

    # The first store's weekly summary fell due minutes after seeding: sent once, to its owner and its agent.
    (summary,) = WeeklySummary.objects.filter(store__name="Shenzhen Gadget Hub")
    assert set(summary.recipients.values_list("email", flat=True)) == {"seller@opinia.test", "agent@opinia.test"}
    assert summary.contents  # the demo store has work waiting
    # Its two people, once each. (Another demo store's own Saturday 09:00 may fall within the
    # ten minutes: seeded at 23:55 UTC on a Friday, Seoul's summary is due too, rightly.)
    emails = {"seller@opinia.test", "agent@opinia.test"}
    assert Notification.objects.filter(kind="weekly_summary", recipient__email__in=emails).count() == 2


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("OPINIA_", "DEBUG", "SECRET_KEY", "DJANGO_"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "x7!q2k#production-like-secret-key-for-the-deploy-check-9f8e7d6c5b4a",
    "ALLOWED_HOSTS": "opinia.example",
    "DATABASE_URL": "postgres://opinia@127.0.0.1:5432/opinia",
    "REDIS_URL": "redis://127.0.0.1:6379/1",
    "EMAIL_HOST": "smtp.opinia.example",
    "EMAIL_PORT": "587",
    "EMAIL_USE_TLS": "true",
}


def test_check_deploy_is_clean_with_production_settings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_missing_secret_key_fails_loudly_outside_debug():
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off." in result.stderr


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DEBUG", "maybe", "DEBUG='maybe' is not a boolean"),
        ("OPINIA_FEEDBACK_WINDOW_DAYS", "45d", "OPINIA_FEEDBACK_WINDOW_DAYS='45d' is not a whole number."),
        ("DATABASE_URL", "nonsense://x", "DATABASE_URL is not a usable database URL"),
        (
            "OPINIA_UNATTACHED_PHOTO_RETENTION_HOURS",
            "0",
            "OPINIA_UNATTACHED_PHOTO_RETENTION_HOURS='0' is below its minimum of 1.",
        ),
    ],
)
def test_bad_environment_values_fail_loudly(name, value, message):
    result = run_manage("check", env={**PRODUCTION, name: value})
    assert result.returncode != 0
    assert message in result.stderr


def _manage_without_services(tmp_path, *arguments: str, timeout: int) -> subprocess.CompletedProcess[str]:
    """`manage.py` as `make run` starts it with nothing configured: SQLite in `tmp_path`, no Redis."""
    without_services = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    clean = {
        k: v for k, v in without_services.items() if not k.startswith(("OPINIA_", "DEBUG", "SECRET_KEY", "DJANGO_"))
    }
    return subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=ROOT,
        env={**clean, "DEBUG": "1", "OPINIA_VAR_DIR": str(tmp_path), "CELERY_TASK_ALWAYS_EAGER": "1"},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_the_zero_setup_sqlite_database_migrates_from_scratch(tmp_path):
    """`make run` with nothing configured migrates an SQLite file; PostgreSQL-only SQL would break it."""
    result = _manage_without_services(tmp_path, "migrate", "--no-input", timeout=300)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    assert (tmp_path / "opinia.sqlite3").stat().st_size > 0
    listed = _manage_without_services(tmp_path, "showmigrations", "--plan", timeout=120)
    assert "[ ]" not in listed.stdout, listed.stdout
    # The demo and the order ingest run there too: their PostgreSQL statements have SQLite twins.
    demo = _manage_without_services(tmp_path, "seed_demo", timeout=300)
    assert demo.returncode == 0, demo.stdout[-2000:] + demo.stderr[-4000:]
    ingest = _manage_without_services(tmp_path, "shell", "-c", SQLITE_INGEST, timeout=120)
    assert ingest.returncode == 0, ingest.stdout[-2000:] + ingest.stderr[-4000:]
    assert "ingest ok" in ingest.stdout


# An order through the API on the zero-setup database: a new buyer, the same request replayed,
# the same order under another key (200), and a refused one (422).
SQLITE_INGEST = """
import json
from django.test import Client
from django.utils import timezone
from api import services
from api.models import ApiKey
from api.scopes import INTEGRATION_SCOPES
from portal.models import Order, User
staff = User.objects.filter(is_staff=True).first()
key = services.api_key_issue(
    kind=ApiKey.Kind.INTEGRATION, name="sqlite", scopes=list(INTEGRATION_SCOPES), actor=staff, now=timezone.now()
).secret
client = Client(SERVER_NAME="localhost", headers={"Authorization": f"Bearer {key}"})
def send(method, path, body, idempotency_key=None):
    headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
    return getattr(client, method)(path, json.dumps(body), content_type="application/json", headers=headers)
assert send("put", "/api/v1/stores/S-1", {"owner_email": "o@example.com", "name": "S", "country": "PL"}).status_code == 201
assert send("put", "/api/v1/stores/S-1/products/P-1", {"title": "T", "price": "1.50"}).status_code == 201
order = {"external_ref": "O-1", "store_ref": "S-1", "buyer_email": "new.buyer@example.com",
         "items": [{"product_ref": "P-1", "quantity": 2}]}
first = send("post", "/api/v1/orders", order, "k1")
assert first.status_code == 201, first.content[:300]
again = send("post", "/api/v1/orders", order, "k1")
assert (again.status_code, again.content) == (201, first.content)
assert send("post", "/api/v1/orders", order, "k2").status_code == 200
assert send("post", "/api/v1/orders", {**order, "external_ref": "O-2", "store_ref": "none"}, "k3").status_code == 422
assert Order.objects.filter(external_ref="O-1").count() == 1
print("ingest ok")
"""
