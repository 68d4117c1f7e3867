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

from portal.db import bound_cursor, partial_model
from portal.models import Store, StoreMember, User
from portal.selectors import store_memberships_of


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


# The memberships the bar lists (and that pages ask "does the viewer work for this store?"), read
# in the same statement on PostgreSQL: one JSON column of [membership id, store id, role, store
# slug, store name], in `store_memberships_of`'s order.
_MEMBERSHIP_FIELDS = ("pk", "store_id", "role", "store__slug", "store__name")


def _memberships_part(user: User) -> SqlPart:
    rows = store_memberships_of(user=user).values(
        **{f"nav_{n}": F(field) for n, field in enumerate(_MEMBERSHIP_FIELDS)}
    )
    sql, params = rows.query.sql_with_params()
    columns = ", ".join(f"m.nav_{n}" for n in range(len(_MEMBERSHIP_FIELDS)))
    # The ORM's own compiled query; the aggregate keeps its order (name, then membership).
    return SqlPart(
        f"(SELECT coalesce(json_agg(json_build_array({columns}) ORDER BY m.nav_4, m.nav_0), '[]'::json) "  # noqa: S608
        f"FROM ({sql}) m)",
        tuple(params),
    )


def _statement(user: User, *, memberships: bool) -> tuple[str, tuple[Any, ...]]:
    columns: list[str] = []
    params: list[Any] = []
    for counter in NAV_COUNTERS.values():
        parts = list(counter.parts(user))
        columns.append(" + ".join(part.sql for part in parts) if parts else "0")
        for part in parts:
            params.extend(part.params)
    if memberships:
        part = _memberships_part(user)
        columns.append(part.sql)
        params.extend(part.params)
    return "SELECT " + ", ".join(columns), tuple(params)


def _run(user: User, *, memberships: bool) -> tuple[Any, ...]:
    key = (
        user.pk,
        memberships,
        *(counter.shape(user) if counter.shape else None for counter in NAV_COUNTERS.values()),
    )
    statement = _STATEMENTS.get(key)
    if statement is None:
        statement = _statement(user, memberships=memberships)
        if len(_STATEMENTS) >= STATEMENTS_KEPT:
            _STATEMENTS.clear()
        _STATEMENTS[key] = statement
    sql, params = statement
    # Bound by the server, so that the statement, the same text for every user of a shape, is
    # prepared once per connection and not planned on every page (`portal.db`).
    with bound_cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return tuple(row)


def _counts(values: Sequence[Any]) -> dict[str, int]:
    return {
        name: min(int(value or 0), counter.cap)
        for (name, counter), value in zip(NAV_COUNTERS.items(), values, strict=True)
    }


def nav_counts(user: User) -> dict[str, int]:
    """Every registered counter for `user`, in one query."""
    if not NAV_COUNTERS:
        return {}
    return _counts(_run(user, memberships=False))


def nav_read(user: User) -> tuple[list[StoreMember], dict[str, int]]:
    """The user's store memberships (with their stores' slug and name) and every counter, in one query.

    The stores' other fields are left to load on first use (`from_db` with the fields read).
    Outside PostgreSQL (the SQLite default of development) the memberships are a query of their own.
    """
    if connection.vendor != "postgresql":
        return list(store_memberships_of(user=user)), nav_counts(user)
    values = _run(user, memberships=True)
    members = []
    for pk, store_id, role, slug, name in values[-1]:
        store = partial_model(Store, {"id": store_id, "slug": slug, "name": name})
        member = partial_model(StoreMember, {"id": pk, "store_id": store_id, "user_id": user.pk, "role": role})
        member.store = store
        members.append(member)
    return members, _counts(values[:-1])
