"""Substring searches that PostgreSQL answers through its trigram indexes.

The searches filter with `icontains`; on PostgreSQL, GIN trigram indexes over `UPPER(column)`
answer them (portal migration 0006, messaging 0011). PostgreSQL's default cost model prices a
random page read at four sequential ones, as on a spinning disk, and it cannot see that
upper-casing and matching every text of a sequential scan is what costs: on a table of tens of
thousands of messages it would scan (100 ms) rather than read the index (2 ms). A search
query therefore runs with the random page cost of storage whose index pages are in memory or
on SSD, for that one query only (`SET LOCAL`, in its own short transaction); every other query
keeps the server's settings. On SQLite (the zero-setup default) the query simply runs.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connections, transaction
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
