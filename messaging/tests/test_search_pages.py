"""The inbox search: the same conversations in the same order whichever way the database finds them.

The search first reads the newest conversations in order (a word in many messages fills a page
there) and asks the trigram indexes only when that part of the inbox holds less than a page.
These tests walk every page of a search, with windows of several sizes (ties at the window's
edge included), and compare with what a plain reading of the rows says should match.
"""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import CharField, Func, Value
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from messaging import selectors
from messaging.models import Conversation, Message
from messaging.selectors import InboxFilters, buyer_conversations, inbox_page, store_conversations
from portal.models import Store, User
from portal.search import bounded_rows, search_costs
from portal.tests.factories import StoreFactory, UserFactory, make_order

BASE = timezone.now() - timedelta(days=2)

# Texts by conversation number; every conversation also has "does it come in another colour?"
# except 2 and 9, and a removed message with "hidden word". "refund" is in one conversation of
# each inbox, but in every conversation of `other_buyer` (frequent elsewhere, rare here).
TEXTS = {
    1: "Where is parcel 4977?",
    4: "Is it 100% cotton?",
    5: "Size a_b please",
    10: "100 percent sure",
    11: "PARCEL 4977 arrived",
    12: "Size aXb please",
}
RARE_HERE = 8
NO_COMMON_WORD = {2, 9}
# Conversations 6, 7 and 8 had their last message at the same moment.
SAME_MOMENT = {6, 7, 8}

TERMS = [
    "colour",
    "COLOUR",
    "4977",
    "100%",
    "a_b",
    "%",
    "_",
    "Shop 1",
    "50%_Off",
    "Buyer 7",
    "hidden",
    "zzqx",
    "o",
    "refund",
    "Shop 05 too",
]


def add_conversation(*, buyer: User, store: Store, n: int, refund_everywhere: bool = False) -> Conversation:
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
    if refund_everywhere or n == RARE_HERE:
        texts.append("Can I get a refund?")
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
        add_conversation(buyer=other_buyer, store=StoreFactory(name=f"Shop {n:02d} too"), n=n, refund_everywhere=True)
    # An order number is searchable too.
    shop = StoreFactory(name="Order shop")
    order = make_order(buyer=buyer, store=shop)
    conversation = add_conversation(buyer=buyer, store=shop, n=13)
    conversation.order = order
    conversation.save(update_fields=["order"])
    return {"buyer": buyer_conversations(user=buyer), "store": store_conversations(store=store)}


@pytest.fixture
def owners(buyer, store):
    """Whose inbox each of `inboxes` is, as the inbox views name it."""
    return {"buyer": ("buyer_id", buyer.pk), "store": ("store_id", store.pk)}


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


def walk(conversations, side: str, query: str, page_size: int, owner=None) -> list[int]:
    seen: list[int] = []
    cursor = ""
    for _ in range(50):
        page = inbox_page(
            conversations=conversations,
            side=side,
            filters=InboxFilters(query=query),
            cursor=cursor,
            page_size=page_size,
            owner=owner,
        )
        assert len(page.items) <= page_size
        seen += [c.pk for c in page.items]
        if not page.next_cursor:
            return seen
        cursor = page.next_cursor
    raise AssertionError("the pages never end")


# A cap of 3 messages: without an owner "refund" (15 messages, 14 of them other_buyer's) and
# "colour" are past it and searched by reading the inbox in order, the rarer terms through the
# trigram index; with one, "refund" is a single message of the inbox's.
@pytest.mark.parametrize("owned", [True, False], ids=["owner's index", "site's index"])
@pytest.mark.parametrize("text_cap", [0, 3, 2000])
@pytest.mark.parametrize("window", [0, 1, 5, 8, 200])
@pytest.mark.parametrize("side", ["buyer", "store"])
def test_every_page_of_a_search_holds_the_matches_in_inbox_order(
    inboxes, owners, monkeypatch, side, window, text_cap, owned
):
    monkeypatch.setattr(selectors, "SEARCH_WINDOW", window)
    monkeypatch.setattr(selectors, "SEARCH_TEXT_CAP", text_cap)
    conversations = inboxes[side]
    for query in TERMS:
        want = expected(conversations, query)
        for page_size in (2, 25):
            got = walk(conversations, side, query, page_size, owner=owners[side] if owned else None)
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
    assert stores("refund") == ["Shop 08"]  # not other_buyer's conversations with it
    assert stores("Shop 05 too") == []  # another buyer's store
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
    assert not re.search(r"message_(buyer_|store_)?text_trgm", plan)
    assert "hashed SubPlan" not in plan


def plan(sql: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="plans of PostgreSQL")
@pytest.mark.parametrize("query", ["parcel 4977", "Shop 05", "zzqx"])
def test_a_rare_term_is_looked_up_in_the_trigram_indexes_not_in_each_conversation(inboxes, monkeypatch, query):
    # As above, the plans a big table gets. Reading the inbox in order and opening each
    # conversation's messages costs as many conversations as the inbox has when the term is rare.
    monkeypatch.setattr(selectors, "SEARCH_WINDOW", 2)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    with CaptureQueriesContext(connection) as queries:
        page = inbox_page(conversations=inboxes["buyer"], side="buyer", filters=InboxFilters(query=query))
    assert [c.pk for c in page.items] == expected(inboxes["buyer"], query)
    sqls = [q["sql"] for q in queries.captured_queries]
    lookups = [sql for sql in sqls if sql.startswith('SELECT "messaging_message"')]
    assert len(lookups) == 1
    # On a tiny table the planner may take an owner's index, whose second column is the text.
    assert re.search(r"message_(buyer_|store_)?text_trgm", plan(lookups[0]))
    # The page: the inbox in order, each conversation tested against ids, none of its messages read.
    pages = [sql for sql in sqls if 'FROM "messaging_conversation"' in sql]
    assert len(pages) == 2  # the window, then the page
    assert "messaging_message" not in pages[1]
    page_plan = plan(pages[1])
    assert "conversation_buyer_inbox" in page_plan
    assert "store_name_trgm" in page_plan
    assert "user_display_name_trgm" in page_plan


@pytest.mark.skipif(connection.vendor != "postgresql", reason="statement_timeout of PostgreSQL")
def test_a_lookup_past_its_time_limit_gives_up_and_the_transaction_goes_on(db):
    slow = User.objects.annotate(pause=Func(Value(0.2), function="pg_sleep", output_field=CharField())).values_list(
        "pause", flat=True
    )[:1]
    UserFactory()
    with search_costs("default"):
        assert bounded_rows(slow, milliseconds=20) is None
        assert bounded_rows(User.objects.values_list("pk", flat=True)[:1], milliseconds=1000) is not None
        with connection.cursor() as cursor:
            cursor.execute("SHOW statement_timeout")
            assert cursor.fetchone()[0] == "0"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="plans of PostgreSQL")
@pytest.mark.parametrize("side", ["buyer", "store"])
def test_a_term_frequent_elsewhere_is_looked_up_among_the_inboxs_own_messages(inboxes, owners, monkeypatch, side):
    # "refund" is in every conversation of other_buyer and in one of this inbox. With a cap of 3
    # messages, the site's lookup would stop past the cap and read the inbox in order; the
    # owner's index names this inbox's one message with it, and the page is read by ids.
    monkeypatch.setattr(selectors, "SEARCH_WINDOW", 2)
    monkeypatch.setattr(selectors, "SEARCH_TEXT_CAP", 3)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    with CaptureQueriesContext(connection) as queries:
        page = inbox_page(
            conversations=inboxes[side], side=side, filters=InboxFilters(query="refund"), owner=owners[side]
        )
    assert [c.pk for c in page.items] == expected(inboxes[side], "refund")
    assert len(page.items) == 1
    sqls = [q["sql"] for q in queries.captured_queries]
    lookups = [sql for sql in sqls if sql.startswith('SELECT "messaging_message"')]
    assert len(lookups) == 1
    assert f'"messaging_message"."{side}_id" = ' in lookups[0]
    # A tiny table's planner prefers the narrower index of the site's messages; without it (in
    # this test's transaction), the owner's index answers the lookup, which a big table's
    # planner picks by itself.
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX message_text_trgm")
    assert f"message_{side}_text_trgm" in plan(lookups[0])
    pages = [sql for sql in sqls if 'FROM "messaging_conversation"' in sql]
    assert len(pages) == 2  # the window, then the page by ids
    assert "messaging_message" not in pages[1]
