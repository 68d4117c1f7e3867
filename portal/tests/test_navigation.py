"""The navigation bar's one statement: the user's stores and every counter, always as they are now."""

import itertools
import re

import pytest
from django.db import connection
from django.urls import reverse

from portal import navigation, services
from portal.models import StoreMember
from portal.navigation import nav_counts, nav_read
from portal.selectors import store_memberships_of
from portal.tests.factories import StoreFactory


def test_the_stores_and_counters_come_in_one_query_in_the_memberships_order(agent, store, django_assert_num_queries):
    other = StoreFactory(name="Aardvark Supplies", time_zone="Europe/Warsaw")
    StoreMember.objects.create(store=other, user=agent, role=StoreMember.Role.AGENT)
    with django_assert_num_queries(1):
        members, counts = nav_read(agent)
    assert counts == nav_counts(agent)
    expected = list(store_memberships_of(user=agent))
    assert [(m.pk, m.store_id, m.role) for m in members] == [(m.pk, m.store_id, m.role) for m in expected]
    assert [m.store.name for m in members] == ["Aardvark Supplies", "Bob's Gadgets"]
    assert [m.store.slug for m in members] == [m.store.slug for m in expected]
    # The stores' other fields are read when asked for, never made up.
    assert members[0].store.time_zone == "Europe/Warsaw"


def test_a_new_membership_and_a_renamed_store_show_on_the_next_page(client, seller, store, agent):
    """The statement is kept per user, but what it reads is read afresh on every page."""
    client.force_login(agent)
    inbox = reverse("messaging:inbox")
    assert "Inbox of Bob&#x27;s Gadgets" in client.get(inbox).content.decode()
    services.store_update_settings(
        store=store, actor=seller, name="Gadget Palace", time_zone=store.time_zone, auto_reply=""
    )
    html = client.get(inbox).content.decode()
    assert "Inbox of Gadget Palace" in html
    second = StoreFactory(name="Second Shop")
    StoreMember.objects.create(store=second, user=agent, role=StoreMember.Role.AGENT)
    assert "Inbox of Second Shop" in client.get(inbox).content.decode()
    StoreMember.objects.filter(user=agent).delete()
    html = client.get(inbox).content.decode()
    assert "Inbox of" not in html
    assert reverse("portal:seller_home") not in html


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements of PostgreSQL")
def test_the_prepared_statement_reads_the_unread_counters_through_their_partial_indexes(agent, store):
    # The statement is prepared after a few pages (portal.db); PostgreSQL may then run it with a
    # generic plan, made without the values. Forced here, with sequential scans priced out as a
    # big table would: the unread counters must still come from their partial indexes.
    sql, params = navigation._statement(agent, memberships=True)
    positions = itertools.count(1)
    numbered = re.sub(r"%s", lambda _match: f"${next(positions)}", sql)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"PREPARE navigation_probe AS {numbered}")
        try:
            cursor.execute(f"EXPLAIN EXECUTE navigation_probe({', '.join(['%s'] * len(params))})", params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        finally:
            cursor.execute("DEALLOCATE navigation_probe")
    assert "conversation_buyer_unread" in plan
    assert "conversation_store_unread" in plan
