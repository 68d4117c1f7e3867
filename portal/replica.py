"""Reads from a replica where that is safe, writes and fresh reads from the primary.

With `DATABASE_REPLICA_URL` set, settings add a `replica` database alias and name it in
`OPINIA_READ_REPLICA`. Nothing reads from it by default: a view or selector opts in with
`replica_reads()` (a context manager) or `@replica_view` (anonymous visitors of a public
page), and even then the primary answers when

* the process is inside a transaction on the primary (a service reading what it is about
  to change),
* the request writes (any method but GET, HEAD and OPTIONS),
* a cached fragment is being rebuilt (`portal.fragments.cached`): it is kept under the store's
  new content version for a long while, so it must not be built from rows the replica lacks, or
* the browser wrote something a moment ago: `ReadYourWritesMiddleware` marks every writing
  response with a short-lived cookie, and while it lasts that browser reads from the primary,
  so a shopper who just posted a review or a reply sees it even if the replica lags.

Every write goes to the primary, whichever alias the written object was read from.
"""

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpRequest, HttpResponse

# Apps whose rows are read and written within the same request: never from the replica.
PRIMARY_ONLY_APPS = frozenset({"sessions"})
PIN_COOKIE = "opinia_primary_until"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_replica_allowed: ContextVar[bool] = ContextVar("opinia_replica_allowed", default=False)
_pinned_to_primary: ContextVar[bool] = ContextVar("opinia_pinned_to_primary", default=False)


def replica_alias() -> str:
    """The alias replica-safe reads use right now, or the primary's."""
    alias = settings.OPINIA_READ_REPLICA
    if not alias or not _replica_allowed.get() or _pinned_to_primary.get():
        return DEFAULT_DB_ALIAS
    if connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return DEFAULT_DB_ALIAS
    return alias


class ReplicaRouter:
    def db_for_read(self, model: type, **hints: Any) -> str:
        if model._meta.app_label in PRIMARY_ONLY_APPS:  # type: ignore[attr-defined]
            return DEFAULT_DB_ALIAS
        return replica_alias()

    def db_for_write(self, model: type, **hints: Any) -> str:
        # Explicit: without it Django would write an object back to the alias it was read from.
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # the replica holds the same rows as the primary

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == DEFAULT_DB_ALIAS  # the replica follows the primary's schema by replication


@contextmanager
def replica_reads() -> Iterator[None]:
    """Reads inside the block may come from the replica (a few seconds stale at worst)."""
    token = _replica_allowed.set(True)
    try:
        yield
    finally:
        _replica_allowed.reset(token)


@contextmanager
def primary_reads() -> Iterator[None]:
    """Reads inside the block come from the primary, even within `replica_reads()`."""
    token = _pinned_to_primary.set(True)
    try:
        yield
    finally:
        _pinned_to_primary.reset(token)


def replica_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A public read-only page: anonymous visitors read it from the replica.

    Signed-in visitors see their own content on these pages (their sealed reviews, their
    drafts), so they read from the primary.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            return view(request, *args, **kwargs)
        with replica_reads():
            return view(request, *args, **kwargs)

    return wrapper


def pinned_until(request: HttpRequest) -> float:
    try:
        return float(request.COOKIES.get(PIN_COOKIE, "0"))
    except ValueError:
        return 0.0


class ReadYourWritesMiddleware:
    """A writing request, and every request of the same browser for a few seconds after, read the primary.

    The cookie holds only a time: a visitor who forges it merely reads from the primary, and
    one who deletes it merely reads what everybody else reads.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not settings.OPINIA_READ_REPLICA:
            return self.get_response(request)
        writes = request.method not in SAFE_METHODS
        if writes or pinned_until(request) > time.time():
            with primary_reads():
                response = self.get_response(request)
        else:
            response = self.get_response(request)
        if writes:
            seconds = settings.OPINIA_REPLICA_PIN_SECONDS
            response.set_cookie(
                PIN_COOKIE,
                str(int(time.time()) + seconds),
                max_age=seconds,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response
