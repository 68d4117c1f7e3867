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


def test_model_by_builds_the_row_the_orm_builds(store, buyer):
    from portal.db import model_by
    from portal.models import Store, User

    for model, column, value, expected in (
        (Store, "slug", store.slug, Store.objects.get(pk=store.pk)),
        (User, "id", buyer.pk, User.objects.get(pk=buyer.pk)),
    ):
        found = model_by(model, column=column, value=value)
        assert found is not None
        for field in model._meta.concrete_fields:
            assert getattr(found, field.attname) == getattr(expected, field.attname), field.name
        assert found._state.adding is False
        assert found._state.db == "default"
    assert model_by(Store, column="slug", value="no-such-store") is None


def test_the_sign_in_backends_read_the_user_and_refuse_an_inactive_one(buyer):
    from portal.auth import AuthenticationBackend, ModelBackend

    for backend in (ModelBackend(), AuthenticationBackend()):
        assert backend.get_user(str(buyer.pk)) == buyer
        assert backend.get_user("not a number") is None
        assert backend.get_user(str(buyer.pk + 10_000)) is None
    buyer.is_active = False
    buyer.save(update_fields=["is_active"])
    assert ModelBackend().get_user(buyer.pk) is None


def test_a_signed_in_browser_stays_signed_in_across_pages(client, buyer):
    from django.urls import reverse

    client.force_login(buyer)
    for name in ("portal:order_list", "messaging:inbox", "portal:profile"):
        response = client.get(reverse(name))
        assert response.status_code == 200
        assert response.context["user"] == buyer


def test_a_statement_run_often_is_prepared_and_logged_as_itself(settings):
    assert connection.settings_dict["OPTIONS"]["prepare_threshold"] == settings.DB_PREPARE_THRESHOLD == 5
    User.objects.create_user("ada@example.com")
    for _ in range(settings.DB_PREPARE_THRESHOLD + 1):
        with CaptureQueriesContext(connection) as queries:
            assert user_by_email(address="ada@example.com") is not None
    [query] = queries.captured_queries
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [statement for (statement,) in cursor.fetchall()]
    # PostgreSQL plans it no more; the query log still shows the statement, not its values.
    assert query["sql"] in prepared
    assert "ada@example.com" not in query["sql"]


@pytest.mark.parametrize(("threshold", "option"), [(5, 5), (1, 1), (0, None)])
def test_prepared_statements_follow_the_setting_and_0_turns_them_off(monkeypatch, threshold, option):
    from portal import settings as portal_settings

    monkeypatch.setattr(portal_settings, "DB_PREPARE_THRESHOLD", threshold)
    database = portal_settings.database_from_url("postgres://opinia@db.example:5432/opinia", "DATABASE_URL")
    assert database["OPTIONS"]["prepare_threshold"] == option
    # The zero-setup SQLite database has no such option.
    assert "prepare_threshold" not in portal_settings.database_from_url("sqlite:////tmp/x.sqlite3", "X").get(
        "OPTIONS", {}
    )
