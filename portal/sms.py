"""Text messages through a pluggable backend, chosen by the SMS_BACKEND setting."""

import logging
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class SmsBackend(Protocol):
    def send(self, *, to: str, text: str) -> None: ...


class ConsoleBackend:
    """Writes each text to the log: the default, for development."""

    def send(self, *, to: str, text: str) -> None:
        logger.info("SMS to %s: %s", to, text)


class LocmemBackend:
    """Keeps each text in `outbox`, for tests."""

    outbox: list[tuple[str, str]] = []

    def send(self, *, to: str, text: str) -> None:
        LocmemBackend.outbox.append((to, text))


def get_sms_backend() -> SmsBackend:
    backend: SmsBackend = import_string(settings.SMS_BACKEND)()
    return backend


def send_sms(*, to: str, text: str) -> None:
    if to:
        get_sms_backend().send(to=to, text=text[:480])
