"""The inbox search: the same conversations in the same order whichever way the database finds them.

The search first reads the newest conversations in order (a word in many messages fills a page
there) and asks the trigram indexes only when that part of the inbox holds less than a page.
These tests walk every page of a search, with windows of several sizes (ties at the window's
edge included), and compare with what a plain reading of the rows says should match.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from messaging import selectors
from messaging.models import Conversation, Message
from messaging.selectors import InboxFilters, buyer_conversations, inbox_page, store_conversations
from portal.models import Store, User
from portal.tests.factories import StoreFactory, UserFactory, make_order

BASE = timezone.now() - timedelta(days=2)

# Texts by conversation number; every conversation also has "does it come in another colour?"
# except 2 and 9, and a removed message with "hidden word".
TEXTS = {
    1: "Where is parcel 4977?",
    4: "Is it 100% cotton?",
    5: "Size a_b please",
    10: "100 percent sure",
    11: "PARCEL 4977 arrived",
    12: "Size aXb please",
}
NO_COMMON_WORD = {2, 9}
# Conversations 6, 7 and 8 had their last message at the same moment.
SAME_MOMENT = {6, 7, 8}

TERMS = ["colour", "COLOUR", "4977", "100%", "a_b", "%", "_", "Shop 1", "50%_Off", "Buyer 7", "hidden", "zzqx", "o"]


def add_conversation(*, buyer: User, store: Store, n: int) -> Conversation:
    moment = BASE + timedelta(minutes=6 if n in SAME_MOMENT else n)
    conversation = Conversation.objects.create(
        kind=Conversation.Kind.STORE,
        buyer=buyer,
        store=store,
        created_at=moment - timedelta(hours=1),
        last_message_at=moment,
    )
    texts = ["Hello"]
    if n not in NO_COMMON_WORD:
        texts.append("does it come in another colour?")
    if n in TEXTS:
        texts.append(TEXTS[n])
    for offset, text in enumerate(texts):
        Message.objects.create(
            conversation=conversation,
            side="buyer",
            sender=buyer,
            text=text,
            created_at=moment - timedelta(minutes=len(texts) - offset),
        )
    Message.objects.create(
        conversation=conversation,
        side="store",
        sender=store.owner,
        text="hidden word",
        created_at=moment,
        removed_at=moment,
    )
    return conversation


@pytest.fixture
def inboxes(buyer, other_buyer, store):
    """14 conversations of `buyer` with shops, 14 of `store` with buyers, and `other_buyer`'s with the same words."""
    for n in range(14):
        shop = StoreFactory(name="50%_Off Shop" if n == 3 else f"Shop {n:02d}")
        add_conversation(buyer=buyer, store=shop, n=n)
        add_conversation(buyer=UserFactory(display_name=f"Buyer {n}"), store=store, n=n)
        add_conversation(buyer=other_buyer, store=StoreFactory(name=f"Shop {n:02d} too"), n=n)
    # An order number is searchable too.
    shop = StoreFactory(name="Order shop")
    order = make_order(buyer=buyer, store=shop)
    conversation = add_conversation(buyer=buyer, store=shop, n=13)
    conversation.order = order
    conversation.save(update_fields=["order"])
    return {"buyer": buyer_conversations(user=buyer), "store": store_conversations(store=store)}


def expected(conversations, query: str) -> list[int]:
    """The matches by reading every row: store, buyer, order number or a visible message contains `query`."""
    needle = query.upper()
    rows = sorted(
        conversations.select_related("store", "buyer", "order"),
        key=lambda c: (c.last_message_at, c.pk),
        reverse=True,
    )
    return [
        c.pk
        for c in rows
        if needle in c.store.name.upper()
        or needle in c.buyer.display_name.upper()
        or (c.order is not None and needle in c.order.number.upper())
        or any(needle in m.text.upper() for m in c.messages.filter(removed_at__isnull=True))
    ]


def walk(conversations, side: str, query: str, page_size: int) -> list[int]:
    seen: list[int] = []
    cursor = ""
    for _ in range(50):
        page = inbox_page(
            conversations=conversations,
            side=side,
            filters=InboxFilters(query=query),
            cursor=cursor,
            page_size=page_size,
        )
        assert len(page.items) <= page_size
        seen += [c.pk for c in page.items]
        if not page.next_cursor:
            return seen
        cursor = page.next_cursor
    raise AssertionError("the pages never end")


@pytest.mark.parametrize("window", [1, 5, 8, 200])
@pytest.mark.parametrize("side", ["buyer", "store"])
def test_every_page_of_a_search_holds_the_matches_in_inbox_order(inboxes, monkeypatch, side, window):
    monkeypatch.setattr(selectors, "SEARCH_WINDOW", window)
    conversations = inboxes[side]
    for query in TERMS:
        want = expected(conversations, query)
        for page_size in (2, 25):
            got = walk(conversations, side, query, page_size)
            assert got == want, (query, page_size)
            assert len(set(got)) == len(got)


def test_the_search_matches_literally_and_only_the_viewers_conversations(inboxes, buyer):
    def stores(query: str) -> list[str]:
        page = inbox_page(conversations=inboxes["buyer"], side="buyer", filters=InboxFilters(query=query))
        assert all(c.buyer_id == buyer.pk for c in page.items)
        return [c.store.name for c in page.items if c.store is not None]

    assert stores("100%") == ["Shop 04"]  # not "100 percent": % is no wildcard
    assert stores("a_b") == ["Shop 05"]  # not "aXb": _ is no wildcard
    assert stores("parcel 4977") == ["Shop 11", "Shop 01"]
    assert stores("hidden") == []  # removed messages are not searched
    assert len(stores("colour")) == 13  # 12 of the shops, and the order's conversation


@pytest.mark.skipif(connection.vendor != "postgresql", reason="plans of PostgreSQL")
def test_a_word_in_most_messages_is_read_from_the_newest_conversations_not_the_trigram_index(inboxes, monkeypatch):
    # The tables of a test are tiny: with sequential scans priced out, the plan is the one a big
    # table gets. Looking "colour" up in the trigram index would fetch every message with it
    # (of every user) before the newest conversations could be picked.
    monkeypatch.setattr(selectors, "SEARCH_WINDOW", 10)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    with CaptureQueriesContext(connection) as queries:
        page = inbox_page(
            conversations=inboxes["buyer"], side="buyer", filters=InboxFilters(query="colour"), page_size=3
        )
    assert len(page.items) == 3
    searches = [q["sql"] for q in queries.captured_queries if "messaging_conversation" in q["sql"]]
    assert len(searches) == 1
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {searches[0]}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    # One pass over the newest conversations, through the inbox index, bounded by the window.
    assert "conversation_buyer_inbox" in plan
    assert "last_message_at >= $" in plan
    assert "message_text_trgm" not in plan
    assert "hashed SubPlan" not in plan
