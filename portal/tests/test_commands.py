"""Operator commands and production settings."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from portal.models import Order, Store, User

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
