"""A buyer's or a store's inbox page read by its own statement is the page the ORM's query reads."""

from datetime import timedelta

import pytest
from django.utils import timezone

from messaging import services
from messaging.models import Conversation, Side
from messaging.selectors import InboxFilters, buyer_conversations, inbox_page, store_conversations
from messaging.tests.conftest import reply
from portal.tests.factories import StoreFactory, UserFactory, make_order


@pytest.fixture
def busy_inboxes(buyer, store):
    """A buyer with conversations at 12 stores (some at the same moment), a store with 12 buyers."""
    moment = timezone.now() - timedelta(days=1)
    shops = [store, *(StoreFactory(name=f"Shop {n:02d}") for n in range(11))]
    for n, shop in enumerate(shops):
        # Pairs share a moment: the pages must cut between ties by id, both ways alike.
        services.conversation_start(
            buyer=buyer, store=shop, text=f"question {n}", now=moment + timedelta(minutes=n // 2)
        )
    buyers = [UserFactory(display_name="" if n % 3 == 0 else f"Buyer {n}") for n in range(11)]
    for n, someone in enumerate(buyers):
        order = make_order(buyer=someone, store=store) if n % 2 else None
        services.conversation_start(
            buyer=someone,
            store=store,
            text=f"hello {n}",
            order_id=order.pk if order else None,
            now=moment + timedelta(minutes=n // 2, seconds=30),
        )
    for conversation in Conversation.objects.filter(store=store)[:4]:
        reply(conversation, store.owner, "answered", now=moment + timedelta(hours=1))
    return buyer, store


def _pages(conversations, side, filters, owner):
    pages, cursor = [], ""
    for _ in range(10):
        page = inbox_page(
            conversations=conversations, side=side, filters=filters, cursor=cursor, page_size=5, owner=owner
        )
        pages.append((page.lines, page.next_cursor))
        if not page.next_cursor:
            return pages
        cursor = page.next_cursor
    raise AssertionError("more pages than conversations")


@pytest.mark.parametrize(
    "filters",
    [InboxFilters(), InboxFilters(unread=True), InboxFilters(with_order=True), InboxFilters(store_slug="bobs-gadgets")],
    ids=["all", "unread", "with-order", "one-store"],
)
def test_the_owner_statement_reads_the_same_pages_as_the_orm(busy_inboxes, filters):
    buyer, store = busy_inboxes
    for side, conversations, owner in (
        (Side.BUYER, buyer_conversations(user=buyer), ("buyer_id", buyer.pk)),
        (Side.STORE, store_conversations(store=store), ("store_id", store.pk)),
    ):
        by_statement = _pages(conversations, side, filters, owner)
        by_orm = _pages(conversations, side, filters, None)
        assert by_statement == by_orm
        assert (
            sum(len(lines) for lines, _cursor in by_statement)
            == conversations.filter(
                **({f"{side}_unread__gt": 0} if filters.unread else {}),
                **({"order__isnull": False} if filters.with_order else {}),
                **({"store__slug": filters.store_slug} if filters.store_slug else {}),
            ).count()
        )


def test_the_owner_statement_builds_the_same_conversations(busy_inboxes):
    _buyer, store = busy_inboxes
    page = inbox_page(
        conversations=store_conversations(store=store),
        side=Side.STORE,
        filters=InboxFilters(),
        owner=("store_id", store.pk),
    )
    orm = inbox_page(conversations=store_conversations(store=store), side=Side.STORE, filters=InboxFilters())
    assert [(c.pk, c.buyer.public_name, c.order.number if c.order else None, c.unread) for c in page.items] == [
        (c.pk, c.buyer.public_name, c.order.number if c.order else None, c.unread) for c in orm.items
    ]
