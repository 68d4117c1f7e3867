"""Substring searches that PostgreSQL answers through its trigram indexes.

The searches filter with `icontains`; on PostgreSQL, GIN trigram indexes over `UPPER(column)`
answer them (portal migration 0006, messaging 0011). PostgreSQL's default cost model prices a
random page read at four sequential ones, as on a spinning disk, and it cannot see that
upper-casing and matching every text of a sequential scan is what costs: on a table of tens of
thousands of messages it would scan (100 ms) rather than read the index (2 ms). A search
query therefore runs with the random page cost of storage whose index pages are in memory or
on SSD, for that one query only (`SET LOCAL`, in its own short transaction); every other query
keeps the server's settings. On SQLite (the zero-setup default) the query simply runs.

A trigram lookup cannot stop early: PostgreSQL's GIN index first collects every row that
holds all the trigrams of the term (a bitmap), and only then are rows read, so a `LIMIT`
bounds the reading but not the collecting. For a term in half a million messages the
collecting alone takes a tenth of a second or more. `bounded_rows` therefore gives such a
lookup a time limit (`SET LOCAL statement_timeout`, inside a savepoint) and says when it ran
out, so that the caller can take a way whose cost does not grow with the whole site.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import OperationalError, connections, transaction
from django.db.models import Model, QuerySet

SEARCH_RANDOM_PAGE_COST = 1.1


@contextmanager
def search_costs(using: str) -> Iterator[None]:
    """Run the queries of the block with the search's random page cost (one transaction on PostgreSQL)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(using=using):
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL random_page_cost = {SEARCH_RANDOM_PAGE_COST}")
        yield


def search_rows[Row: Model](queryset: QuerySet[Row]) -> list[Row]:
    """Evaluate a search `queryset` (already sliced to its page) so that it can use the trigram indexes."""
    with search_costs(queryset.db):
        return list(queryset)


# PostgreSQL's code for a statement cancelled by `statement_timeout`.
QUERY_CANCELED = "57014"


def bounded_rows[Row](queryset: QuerySet[Any, Row], *, milliseconds: int) -> list[Row] | None:
    """Evaluate `queryset` (in the caller's `search_costs` block), or None if PostgreSQL needs more than `milliseconds` for it.

    The time limit holds for that one statement: the previous limit comes back afterwards,
    and a cancelled statement is rolled back to a savepoint, so the transaction goes on. On
    SQLite the query simply runs.
    """
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return list(queryset)
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('statement_timeout')")
        (previous,) = cursor.fetchone()
        cursor.execute("SELECT set_config('statement_timeout', %s, true)", [f"{milliseconds}ms"])
    try:
        with transaction.atomic(using=queryset.db):
            return list(queryset)
    except OperationalError as error:
        if getattr(error.__cause__, "sqlstate", None) != QUERY_CANCELED:
            raise
        return None
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('statement_timeout', %s, true)", [previous])
