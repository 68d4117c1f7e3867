"""The inbox search and the store search go through trigram indexes on PostgreSQL.

The tables of a test are tiny, so the planner would scan them whatever indexes exist;
with sequential scans priced out (`enable_seqscan = off`) a plan that still scans means no
index can answer the search.
"""

import re

import pytest
from django.db import connection
from django.utils import timezone

from messaging import services
from messaging.models import Message
from portal.models import Order, Store, User
from portal.selectors import stores_matching, stores_search

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="trigram indexes exist on PostgreSQL only")


def plan_of(queryset) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    try:
        return queryset.explain()
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = on")


@pytest.fixture
def conversation(buyer, store):
    message, _ = services.conversation_start(buyer=buyer, store=store, text="Does it come in teal?", now=timezone.now())
    return message.conversation


def test_message_text_search_uses_the_trigram_index(conversation):
    searched = Message.objects.filter(text__icontains="teal", removed_at__isnull=True)
    # Unordered, so that walking the primary key in order is no alternative to the index.
    # On a tiny table the planner may take the owners' indexes, whose second column is the text.
    assert re.search(r"message_(buyer_|store_)?text_trgm", plan_of(searched.order_by()))
    assert list(searched) == [conversation.messages.get()]


def test_a_search_within_one_inbox_uses_the_index_of_its_owner_and_text(conversation, buyer, store):
    message = conversation.messages.get()
    # A tiny table's planner prefers the narrower index of the site's messages; a big table's
    # picks the owner's (docs/operations.md), as it does here without the other (in this test's
    # transaction).
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX message_text_trgm")
    for column, owner_id, index in [
        ("buyer_id", buyer.pk, "message_buyer_text_trgm"),
        ("store_id", store.pk, "message_store_text_trgm"),
    ]:
        searched = Message.objects.filter(text__icontains="teal", removed_at__isnull=True, **{column: owner_id})
        assert index in plan_of(searched.order_by())
        assert list(searched) == [message]


@pytest.mark.parametrize(
    ("model", "lookup", "index"),
    [
        (Store, "name__icontains", "store_name_trgm"),
        (User, "display_name__icontains", "user_display_name_trgm"),
        (Order, "number__icontains", "order_number_trgm"),
    ],
)
def test_the_inbox_searchs_other_columns_use_trigram_indexes(db, model, lookup, index):
    assert index in plan_of(model.objects.filter(**{lookup: "gadg"}).order_by())


def test_the_store_search_uses_the_trigram_indexes_of_names_and_titles(product, other_seller):
    searched = stores_search(query="cable")
    assert list(searched) == [product.store]
    assert [store.name for store in stores_search(query="erin")] == ["Erin's Shop"]
    plan = plan_of(stores_matching(query="cable"))
    assert "product_title_trgm" in plan
    assert "store_name_trgm" in plan
