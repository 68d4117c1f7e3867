"""Request ids, JSON log lines and error reporting, for the web processes and the worker.

Every log line carries the id of the request (or task) it belongs to, so an operator can
follow one request from the web process into the tasks it scheduled: the id arrives in an
`X-Request-ID` header from the proxy (or is made here), is echoed in the response, travels
with every task published while the request runs (a message header), and becomes the task's
own id for its log lines.
"""

import json
import logging
import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar, Token
from datetime import UTC, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse

REQUEST_ID_HEADER = "X-Request-ID"
TASK_HEADER = "opinia_request_id"
# A proxy's id is kept only when it is short and plain, so a hostile header cannot forge log lines.
_ACCEPTABLE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")

request_id_var: ContextVar[str] = ContextVar("opinia_request_id", default="-")

# Attributes every LogRecord has; anything else on a record was passed through `extra=`.
_RECORD_ATTRIBUTES = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "request_id"}


def current_request_id() -> str:
    return request_id_var.get()


def request_id_from_header(raw: str | None) -> str:
    """Return the proxy's id when it is acceptable, otherwise a new one."""
    if raw and _ACCEPTABLE_ID.match(raw):
        return raw
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Bind a request id for the duration of the request and echo it in the response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_from_header(request.headers.get(REQUEST_ID_HEADER))
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response.headers[REQUEST_ID_HEADER] = request_id
        return response


class RequestIdFilter(logging.Filter):
    """Put the current request or task id on every record (as `request_id`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, request id, extras."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", request_id_var.get()),
        }
        for key, value in record.__dict__.items():
            if key not in _RECORD_ATTRIBUTES and not key.startswith("_"):
                line[key] = value if isinstance(value, str | int | float | bool | type(None)) else repr(value)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False)


def logging_config(*, log_format: str, level: str) -> dict[str, Any]:
    """Build the LOGGING dict: plain text for a terminal, JSON lines when `log_format` is "json"."""
    if log_format not in {"text", "json"}:
        raise ValueError(f"LOG_FORMAT={log_format!r} is not one of: text, json.")
    formatters: dict[str, Any] = {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "portal.observability.JsonFormatter"},
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "portal.observability.RequestIdFilter"}},
        "formatters": formatters,
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": log_format, "filters": ["request_id"]}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {"django.db.backends": {"level": "INFO"}},
    }


def connect_celery_signals() -> None:
    """Carry the request id into published tasks, and bind each task's id while it runs."""
    from celery import signals

    def stamp_published_task(headers: dict[str, Any] | None = None, **_: Any) -> None:
        if headers is not None and TASK_HEADER not in headers:
            headers[TASK_HEADER] = request_id_var.get()

    tokens: dict[str, Token[str]] = {}

    def bind_task_id(task_id: str | None = None, task: Any = None, **_: Any) -> None:
        inherited = getattr(task.request, TASK_HEADER, None) if task is not None else None
        if not inherited or inherited == "-":
            # An eager task runs inside the request that called it and keeps its id; a task
            # scheduled by beat has no request behind it, so its own id is the one to follow.
            inherited = request_id_var.get() if request_id_var.get() != "-" else task_id
        tokens[task_id or ""] = request_id_var.set(inherited or "-")

    def unbind_task_id(task_id: str | None = None, **_: Any) -> None:
        token = tokens.pop(task_id or "", None)
        if token is not None:
            request_id_var.reset(token)

    signals.before_task_publish.connect(stamp_published_task, weak=False)
    signals.task_prerun.connect(bind_task_id, weak=False)
    signals.task_postrun.connect(unbind_task_id, weak=False)


def sentry_init(*, dsn: str, environment: str, release: str, traces_sample_rate: float) -> None:
    """Report errors of the web processes and the worker to Sentry (only when a DSN is set)."""
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration
    from sentry_sdk.integrations.logging import LoggingIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release or None,
        traces_sample_rate=traces_sample_rate,
        # Buyers' and sellers' e-mail addresses and IPs stay out of error reports.
        send_default_pii=False,
        integrations=[
            DjangoIntegration(),
            CeleryIntegration(monitor_beat_tasks=False),
            LoggingIntegration(event_level=logging.ERROR),
        ],
    )
    sentry_sdk.set_tag("service", "opinia")
