"""`/healthz`: can this process reach what it needs? For load balancers and uptime checks.

Each check is small and bounded in time; the answer names the dependency that failed and
nothing more (no hosts, no error texts: the endpoint is public).
"""

import logging
import uuid
from collections.abc import Callable

from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)

CHECK_TIMEOUT_SECONDS = 2


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_cache() -> None:
    key = f"healthz:{uuid.uuid4().hex}"
    cache.set(key, "ok", timeout=10)
    if cache.get(key) != "ok":
        raise RuntimeError("the cache did not return what was stored")
    cache.delete(key)


def check_broker() -> None:
    from portal.celery import app

    with app.connection_for_write(connect_timeout=CHECK_TIMEOUT_SECONDS) as broker:
        broker.ensure_connection(max_retries=1, timeout=CHECK_TIMEOUT_SECONDS)


CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "cache": check_cache,
    "broker": check_broker,
}


def health_report() -> dict[str, str]:
    """Run every check; each answers "ok" or "failed" (the error goes to the log)."""
    report = {}
    for name, check in CHECKS.items():
        try:
            check()
        except Exception:
            logger.exception("Health check %s failed", name)
            report[name] = "failed"
        else:
            report[name] = "ok"
    return report


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    report = health_report()
    failed = sorted(name for name, state in report.items() if state != "ok")
    body = {"status": "failed" if failed else "ok", "checks": report, "failed": failed}
    return JsonResponse(body, status=503 if failed else 200)
