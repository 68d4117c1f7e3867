"""Finding a user by address, whatever its case, is an index lookup (sign-in, the API's upserts)."""

import pytest
from django.db import connection

from portal.models import User
from portal.selectors import orders_external
from portal.services import user_get_or_create_by_email

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the plan is read on PostgreSQL"),
]


def test_a_case_insensitive_address_lookup_uses_the_email_index():
    User.objects.create_user("Ada@Example.com")
    with connection.cursor() as cursor:
        # The table is tiny: with sequential scans priced out, a plan that still scans means no index answers.
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = User.objects.filter(email__iexact="ADA@example.COM").explain()
    assert "user_email_upper" in plan
    user, created = user_get_or_create_by_email(email="ADA@example.com")
    assert (user.email, created) == ("ada@example.com", False)


def test_the_api_order_list_reads_the_marketplace_orders_by_an_index():
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = orders_external().order_by("-placed_at", "-pk").explain()
    assert "order_external_recent" in plan
