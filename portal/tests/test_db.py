"""The ingest's hand-written statements send their values apart from the statement (PostgreSQL)."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.db import bound_cursor
from portal.models import User
from portal.selectors import user_by_email

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="binding on the server is PostgreSQL's"),
]


def test_the_values_travel_apart_from_the_statement():
    User.objects.create_user("ada@example.com")
    with CaptureQueriesContext(connection) as queries:
        found = user_by_email(address="ADA@example.com")
    assert found is not None
    assert found.email == "ada@example.com"
    [query] = queries.captured_queries
    assert "$1" in query["sql"]
    assert "ADA@example.com" not in query["sql"]


def test_a_bound_cursor_reads_and_writes_the_types_the_orm_does():
    moment = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)
    with bound_cursor() as cursor:
        cursor.execute(
            "SELECT %s::timestamptz, %s::numeric(12,2)[], %s = ANY(%s), %s::bigint",
            [moment, [Decimal("1.50"), None], "b", ["a", "b"], None],
        )
        row = cursor.fetchone()
    assert row == (moment, [Decimal("1.50"), None], True, None)
    assert row[0].tzinfo is not None
