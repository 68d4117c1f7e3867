"""Shared set-up of the message-centre benchmarks: a separate PostgreSQL database and a gunicorn on loopback.

Every script runs against `opinia_bench_messaging` (override with BENCH_DATABASE_URL), never
the development or test databases.
"""

import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/opinia_bench_messaging")
VAR_DIR = Path(os.environ.get("BENCH_VAR_DIR", "/tmp/opinia-bench-messaging"))

SERVER_ENV = {
    "DATABASE_URL": DATABASE_URL,
    # Production-like request handling (no query log, no debug pages); OPINIA_TESTING only
    # relaxes the secret key, secure cookies and the static manifest for a loopback run.
    "DEBUG": "0",
    "OPINIA_TESTING": "1",
    "OPINIA_VAR_DIR": str(VAR_DIR),
    "MEDIA_ROOT": str(VAR_DIR / "media"),
    "CELERY_TASK_ALWAYS_EAGER": "0",
    "OPINIA_MESSAGES_PER_MINUTE": "1000000",
    "OPINIA_CONVERSATIONS_PER_HOUR": "1000000",
    "DB_CONN_MAX_AGE": "600",
    "LOG_LEVEL": "WARNING",
}


def setup_django() -> None:
    for key, value in SERVER_ENV.items():
        os.environ.setdefault(key, value)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Gunicorn:
    """A gunicorn serving the portal on loopback for the duration of a `with` block."""

    def __init__(self, workers: int = 2, threads: int = 4) -> None:
        self.port = free_port()
        self.workers = workers
        self.threads = threads
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> "Gunicorn":
        env = {**os.environ, **SERVER_ENV}
        self.process = subprocess.Popen(
            [
                str(ROOT / ".venv/bin/gunicorn"),
                "portal.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.workers),
                "--worker-class",
                "gthread",
                "--threads",
                str(self.threads),
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start")

    def __exit__(self, *exc: object) -> None:
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=20)


def session_cookie(email: str) -> str:
    """A logged-in session for `email`, made directly in the bench database."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from portal.models import User

    user = User.objects.get(email=email)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)
    cuts = statistics.quantiles(ordered, n=100, method="inclusive")
    return {
        "n": len(ordered),
        "p50": round(cuts[49], 1),
        "p95": round(cuts[94], 1),
        "p99": round(cuts[98], 1),
        "max": round(ordered[-1], 1),
    }
