"""Counters shown in the navigation bar (unread messages, notifications), registered by apps.

Each counter must be cheap at any size: a capped count or a capped sum. A counter gives its
parts as SQL (`capped_count`, `capped_sum` over a queryset), so that every counter of the bar
is read in one statement (`nav_counts`), whatever the number of apps that add one.

Compiling the counters' querysets into that statement costs more CPU than running it, and it
comes out the same on every page a user opens: each process keeps the statement of its
recent users (`_STATEMENTS`). A counter's parts may depend only on the user's id and on what
its `shape(user)` returns (cheap, no query: e.g. whether the user answers support chats);
anything else they read (memberships, statuses) must stay inside the SQL, read at run time.
"""

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import F, QuerySet

from portal.models import User


@dataclass(frozen=True)
class SqlPart:
    """A scalar subquery that reads as a non-negative integer."""

    sql: str
    params: tuple[Any, ...]


@dataclass(frozen=True)
class NavCounter:
    # The counter's parts, added up; called for signed-in users only.
    parts: Callable[[User], Sequence[SqlPart]]
    # The most the badge shows (the sum of the parts is cut to it).
    cap: int
    # What, besides the user's id, decides the parts' SQL (None: nothing).
    shape: Callable[[User], Hashable] | None = None


NAV_COUNTERS: dict[str, NavCounter] = {}
# (user id, the counters' shapes) -> the compiled statement and its parameters, per process.
_STATEMENTS: dict[tuple[Any, ...], tuple[str, tuple[Any, ...]]] = {}
# Users whose statement a process keeps; past it the memo starts again (a cheap, rare recompile).
STATEMENTS_KEPT = 2000


def register_nav_counter(
    name: str,
    parts: Callable[[User], Sequence[SqlPart]],
    *,
    cap: int,
    shape: Callable[[User], Hashable] | None = None,
) -> None:
    NAV_COUNTERS[name] = NavCounter(parts=parts, cap=cap, shape=shape)
    _STATEMENTS.clear()


def capped_count(rows: QuerySet[Any], *, cap: int) -> SqlPart:
    """How many of `rows` there are, counting no further than `cap` (an index range, never the table)."""
    sql, params = rows.order_by().values("pk")[:cap].query.sql_with_params()
    # The SQL is the ORM's own compiled query; values stay parameters.
    return SqlPart(f"(SELECT count(*) FROM ({sql}) capped)", tuple(params))  # noqa: S608


def capped_sum(rows: QuerySet[Any], field: str, *, cap: int) -> SqlPart:
    """The sum of `field` over the first `cap` of `rows`."""
    sql, params = rows.order_by().values(nav_value=F(field))[:cap].query.sql_with_params()
    return SqlPart(f"(SELECT coalesce(sum(capped.nav_value), 0) FROM ({sql}) capped)", tuple(params))  # noqa: S608


def _statement(user: User) -> tuple[str, tuple[Any, ...]]:
    columns: list[str] = []
    params: list[Any] = []
    for counter in NAV_COUNTERS.values():
        parts = list(counter.parts(user))
        columns.append(" + ".join(part.sql for part in parts) if parts else "0")
        for part in parts:
            params.extend(part.params)
    return "SELECT " + ", ".join(columns), tuple(params)


def nav_counts(user: User) -> dict[str, int]:
    """Every registered counter for `user`, in one query."""
    if not NAV_COUNTERS:
        return {}
    key = (user.pk, *(counter.shape(user) if counter.shape else None for counter in NAV_COUNTERS.values()))
    statement = _STATEMENTS.get(key)
    if statement is None:
        statement = _statement(user)
        if len(_STATEMENTS) >= STATEMENTS_KEPT:
            _STATEMENTS.clear()
        _STATEMENTS[key] = statement
    sql, params = statement
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return {
        name: min(int(value or 0), counter.cap)
        for (name, counter), value in zip(NAV_COUNTERS.items(), row, strict=True)
    }
