"""Every non-trivial read of the message centre. `*_get_for_user` raise Http404 for "missing or not yours"."""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from django.db import connections, router
from django.db.models import Exists, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.expressions import RawSQL
from django.http import Http404

from messaging.models import Block, Conversation, Message, MessagingPreferences, Notification, ResponseExchange, Side
from portal import fragments
from portal.db import bound_cursor, partial_model
from portal.models import Order, OrderItem, Photo, RequestUser, Store, User
from portal.navigation import SqlPart, capped_count, capped_sum
from portal.notify import NOTIFICATION_KINDS, NOTIFICATION_TOPICS
from portal.pagination import Cursor, cursor_decode, page_split, rows_after
from portal.rules import next_change_after, rules_at
from portal.search import bounded_rows, search_costs
from portal.selectors import store_ids_for_member, user_is_store_member

BADGE_CAP = 99
INBOX_PAGE_SIZE = 25
THREAD_PAGE_SIZE = 50


def user_is_support_agent(user: RequestUser) -> bool:
    # A permission, not a group name: renaming the group in the admin keeps the right. Django
    # caches the user's permissions on the user object, so asking again costs no query.
    return bool(user.is_authenticated and user.is_staff and user.has_perm("messaging.answer_support"))


@dataclass(frozen=True)
class ConversationAccess:
    """A conversation and the side the user acts for; `side` None means staff reading, not writing."""

    conversation: Conversation
    side: str | None

    @property
    def can_write(self) -> bool:
        return self.side is not None


def _side_for(*, user: User, conversation: Conversation) -> str | None:
    if conversation.buyer_id == user.pk:
        return Side.BUYER
    if conversation.is_support or conversation.store_id is None:
        return Side.STORE if conversation.is_support and user_is_support_agent(user) else None
    if user_is_store_member(user=user, store_id=conversation.store_id):
        return Side.STORE
    return None


def conversation_get_for_user(
    *, user: RequestUser, conversation_id: int, for_write: bool = False
) -> ConversationAccess:
    """The conversation if the user takes part in it (or is staff reading it), else Http404.

    Taking part: the buyer; any member of the store; a support agent in a support chat.
    Other staff may read any thread for moderation but never write in it.
    """
    if not user.is_authenticated:
        raise Http404("No such conversation.")
    conversation = (
        Conversation.objects.select_related("store", "buyer", "order", "product").filter(pk=conversation_id).first()
    )
    if conversation is None:
        raise Http404("No such conversation.")
    side = _side_for(user=user, conversation=conversation)
    if side is None and not (user.is_staff and not for_write):
        raise Http404("No such conversation.")
    return ConversationAccess(conversation=conversation, side=side)


def message_get_for_user(*, user: RequestUser, message_id: int) -> tuple[Message, ConversationAccess]:
    """A message in a conversation the user takes part in (as a writer), else Http404."""
    conversation_id = Message.objects.filter(pk=message_id).values_list("conversation_id", flat=True).first()
    if conversation_id is None:
        raise Http404("No such message.")
    access = conversation_get_for_user(user=user, conversation_id=conversation_id, for_write=True)
    return Message.objects.select_related("conversation").get(pk=message_id), access


def message_photo_get_for_user(*, user: RequestUser, message_id: int, photo_uuid: Any) -> tuple[Message, Photo]:
    """A photo of a message the user may read (participants, staff), else Http404."""
    conversation_id = Message.objects.filter(pk=message_id).values_list("conversation_id", flat=True).first()
    if conversation_id is None:
        raise Http404("No such photo.")
    conversation_get_for_user(user=user, conversation_id=conversation_id)
    message = Message.objects.filter(pk=message_id, removed_at__isnull=True).first()
    photo = Photo.objects.filter(uuid=photo_uuid, messages__pk=message_id).first()
    if message is None or photo is None:
        raise Http404("No such photo.")
    return message, photo


def thread_messages(*, conversation: Conversation, after_id: int = 0, before_id: int | None = None) -> list[Message]:
    """The latest page of a thread (or the page before `before_id`, or everything after `after_id`), oldest first."""
    messages = conversation.messages.select_related("sender", "product__store", "order__store").prefetch_related(
        Prefetch("photos", queryset=Photo.objects.order_by("pk")),
        # The order cards show what was bought: each item's photo as sold (one query per page).
        Prefetch("order__items", queryset=OrderItem.objects.select_related("sold_photo").order_by("pk")),
    )
    if after_id:
        return list(messages.filter(pk__gt=after_id).order_by("pk")[:THREAD_PAGE_SIZE])
    if before_id:
        messages = messages.filter(pk__lt=before_id)
    page = list(messages.order_by("-pk")[:THREAD_PAGE_SIZE])
    page.reverse()
    return page


def blocks_between(*, conversation: Conversation) -> set[str]:
    """The sides that have blocked the other in this conversation."""
    if conversation.store_id is None:
        return set()
    return set(
        Block.objects.filter(store_id=conversation.store_id, buyer_id=conversation.buyer_id).values_list(
            "by_side", flat=True
        )
    )


# --- Inboxes ---------------------------------------------------------------------------------


@dataclass
class InboxFilters:
    unread: bool = False
    with_order: bool = False
    store_slug: str = ""
    query: str = ""


@dataclass(frozen=True, slots=True)
class InboxLine:
    """What an inbox row shows, for the side reading it, as plain values (no model built).

    Enough for the row's cache key and the page's fingerprint: a page whose rows are all
    cached never builds its conversations (`InboxPage.items` does, when first asked).
    """

    pk: int
    kind: str
    status: str
    topic: str
    unread: int
    last_message_at: datetime
    preview: str
    preview_side: str
    # The other side's name, the only one a row shows: the store's for a buyer, else the buyer's.
    other_name: str | None
    order_id: int | None
    order_number: str | None


@dataclass
class InboxPage:
    lines: list[InboxLine]
    next_cursor: str | None = None
    side: str = Side.BUYER
    extra: dict[str, Any] = field(default_factory=dict)
    # The page's conversations, built from the values already read (no query) when first asked.
    build_items: Callable[[], list[Conversation]] = field(default=list, repr=False)
    _items: list[Conversation] | None = field(default=None, repr=False)

    @property
    def items(self) -> list[Conversation]:
        if self._items is None:
            self._items = self.build_items()
        return self._items


# What an inbox row shows of the other side and of the order (messaging/_inbox_row.html).
ROW_RELATED_COLUMNS = {
    "store": ("store__name", "store__slug"),
    "buyer": ("buyer__display_name", "buyer__email"),
    "order": ("order__number",),
}
ROW_RELATED_FIELDS = {
    "store": ["id", "name", "slug"],
    "buyer": ["id", "display_name", "email"],
    "order": ["id", "number"],
}
_CONVERSATION_COLUMNS = [field.attname for field in Conversation._meta.concrete_fields]
_CONVERSATION_DB_COLUMNS = [str(field.column) for field in Conversation._meta.concrete_fields]


# Where each column of a conversation stands in a row of `inbox_page`'s values.
_AT = {column: index for index, column in enumerate(_CONVERSATION_COLUMNS)}


def _line_of_row(row: tuple[Any, ...], *, side: str, other: str) -> InboxLine:
    """`_line` from a row of values (`inbox_page`'s columns), without building the conversation."""
    own = len(_CONVERSATION_COLUMNS)
    unread, text, written_by = Conversation.side_fields(side)
    if other == "store":
        other_name = row[own] if row[_AT["store_id"]] is not None else None
    else:
        other_name = User.public_name_of(display_name=row[own], email=row[own + 1])
    order_id = row[_AT["order_id"]]
    return InboxLine(
        pk=row[_AT["id"]],
        kind=row[_AT["kind"]],
        status=row[_AT["status"]],
        topic=row[_AT["topic"]],
        unread=row[_AT[unread]],
        last_message_at=row[_AT["last_message_at"]],
        preview=row[_AT[text]],
        preview_side=row[_AT[written_by]],
        other_name=other_name,
        order_id=order_id,
        order_number=row[-1] if order_id is not None else None,
    )


def _line(conversation: Conversation, side: str) -> InboxLine:
    c: Any = conversation
    return InboxLine(
        pk=c.pk,
        kind=c.kind,
        status=c.status,
        topic=c.topic,
        unread=c.unread,
        last_message_at=c.last_message_at,
        preview=c.preview,
        preview_side=c.preview_side,
        other_name=(c.store.name if c.store_id else None) if side == Side.BUYER else c.buyer.public_name,
        order_id=c.order_id,
        order_number=c.order.number if c.order_id else None,
    )


def _conversation_of(row: tuple[Any, ...], *, side: str, other: str, database: str) -> Conversation:
    """A conversation built from an inbox row's values, its other side and order with the columns a row shows."""
    own = len(_CONVERSATION_COLUMNS)
    conversation = Conversation.from_db(database, _CONVERSATION_COLUMNS, row[:own])
    related_model = Store if other == "store" else User
    related_id = conversation.store_id if other == "store" else conversation.buyer_id
    related_values = row[own : own + len(ROW_RELATED_COLUMNS[other])]
    conversation._state.fields_cache[other] = (
        partial_model(
            related_model,
            dict(zip(ROW_RELATED_FIELDS[other], (related_id, *related_values), strict=True)),
            using=database,
        )
        if related_id is not None
        else None
    )
    conversation._state.fields_cache["order"] = (
        partial_model(Order, {"id": conversation.order_id, "number": row[-1]}, using=database)
        if conversation.order_id is not None
        else None
    )
    return _for_side(conversation, side)


def _for_side(conversation: Conversation, side: str) -> Conversation:
    c: Any = conversation
    c.unread = conversation.unread_for(side)
    c.preview, c.preview_side = conversation.preview_for(side)
    return conversation


# An inbox's owner: its buyer's or its store's conversations (`buyer_id` or `store_id`, the id).
InboxOwner = tuple[Literal["buyer_id", "store_id"], int]


def _owner_rows(
    owner: InboxOwner,
    *,
    side: str,
    other: str,
    filters: InboxFilters,
    position: Cursor | None,
    limit: int,
    database: str,
) -> list[tuple[Any, ...]]:
    """`inbox_page`'s rows of a buyer's or a store's inbox by one statement written here.

    The same rows, columns and order as the ORM's query for the same filters (a test holds them
    equal): on every inbox page, building that query costs several times the CPU of running it.
    The statement's text is made of fixed parts only; every value is a parameter.
    """
    quote = connections[database].ops.quote_name
    related: type[Store] | type[User] = Store if other == "store" else User
    related_columns = [name.split("__", 1)[1] for name in ROW_RELATED_COLUMNS[other]]
    unread, _text, _written_by = Conversation.side_fields(side)
    owner_column, owner_id = owner
    conditions: list[str] = [f"c.{quote(owner_column)} = %s"]
    params: list[Any] = [owner_id]
    if filters.unread:
        conditions.append(f"c.{quote(unread)} > 0")
    if filters.with_order:
        conditions.append("c.order_id IS NOT NULL")
    if filters.store_slug:
        store_table = quote(Store._meta.db_table)
        conditions.append(f"c.store_id IN (SELECT id FROM {store_table} WHERE slug = %s)")  # noqa: S608 (a table name)
        params.append(filters.store_slug)
    if position is not None:
        # As `rows_after`: the first bound keeps the index range scan, the OR trims the ties.
        conditions.append("c.last_message_at <= %s AND (c.last_message_at < %s OR c.id < %s)")
        params += [position.moment, position.moment, position.pk]
    columns = ", ".join(
        [f"c.{quote(column)}" for column in _CONVERSATION_DB_COLUMNS]
        + [f"r.{quote(column)}" for column in related_columns]
        + ["o.number"]
    )
    sql = (
        f"SELECT {columns} FROM {quote(Conversation._meta.db_table)} c "  # noqa: S608
        f"LEFT JOIN {quote(related._meta.db_table)} r ON r.id = c.{quote(other + '_id')} "
        f"LEFT JOIN {quote(Order._meta.db_table)} o ON o.id = c.order_id "
        f"WHERE {' AND '.join(conditions)} ORDER BY c.last_message_at DESC, c.id DESC LIMIT %s"
    )
    # Bound by the server: one text per filter combination, prepared once per connection (`portal.db`).
    with bound_cursor(database) as cursor:
        cursor.execute(sql, [*params, limit])
        return cursor.fetchall()


def inbox_page(
    *,
    conversations: QuerySet[Conversation],
    side: str,
    filters: InboxFilters,
    cursor: str = "",
    page_size: int = INBOX_PAGE_SIZE,
    owner: InboxOwner | None = None,
) -> InboxPage:
    """One page of an inbox by last activity, newest first, with keyset pagination.

    `(last_message_at, id) < cursor` walks the (owner, -last_message_at, -id) index, so page
    1000 costs what page 1 costs. `owner` names whose inbox `conversations` is (all of a buyer's
    or a store's): on PostgreSQL, without a search, its rows are then read by `_owner_rows`.
    """
    position = cursor_decode(cursor)
    # A cursor with a sort group is a review list's, not an inbox's: the first page, as for any other.
    if position is not None and position.group is not None:
        position = None
    # A row names the other side only: the buyer's inbox never reads the buyer (the reader), a
    # store's or support's inbox never the store.
    other = "store" if side == Side.BUYER else "buyer"
    database = router.db_for_read(Conversation)
    if owner is not None and not filters.query and connections[database].vendor == "postgresql":
        rows = _owner_rows(
            owner, side=side, other=other, filters=filters, position=position, limit=page_size + 1, database=database
        )
        return _page_of_rows(rows, side=side, other=other, page_size=page_size, database=database)
    if filters.unread:
        conversations = conversations.filter(**{f"{side}_unread__gt": 0})
    if filters.with_order:
        conversations = conversations.filter(order__isnull=False)
    if filters.store_slug:
        conversations = conversations.filter(store__slug=filters.store_slug)
    if position is not None:
        conversations = conversations.filter(rows_after(position, moment_field="last_message_at"))
    if filters.query:
        found = [
            _for_side(conversation, side)
            for conversation in _search_page(conversations, query=filters.query[:100], limit=page_size + 1, owner=owner)
        ]
        found, next_cursor = page_split(
            found, size=page_size, cursor_of=lambda conversation: Cursor(conversation.last_message_at, conversation.pk)
        )
        return InboxPage(
            lines=[_line(c, side) for c in found], next_cursor=next_cursor, side=side, build_items=lambda: found
        )
    # Values, not models: building 26 conversations with their store and order costs more CPU
    # than reading them, and a page whose rows are cached needs only the values (`InboxLine`).
    ordered = conversations.order_by("-last_message_at", "-pk")
    rows = list(
        ordered.values_list(*_CONVERSATION_COLUMNS, *ROW_RELATED_COLUMNS[other], *ROW_RELATED_COLUMNS["order"])[
            : page_size + 1
        ]
    )
    return _page_of_rows(rows, side=side, other=other, page_size=page_size, database=ordered.db)


def _page_of_rows(rows: list[tuple[Any, ...]], *, side: str, other: str, page_size: int, database: str) -> InboxPage:
    """An inbox page from rows of values: `_CONVERSATION_COLUMNS`, the other side's row columns, the order's number."""
    moment, pk = _AT["last_message_at"], _AT["id"]
    rows, next_cursor = page_split(rows, size=page_size, cursor_of=lambda row: Cursor(row[moment], row[pk]))

    def build_items() -> list[Conversation]:
        return [_conversation_of(row, side=side, other=other, database=database) for row in rows]

    return InboxPage(
        lines=[_line_of_row(row, side=side, other=other) for row in rows],
        next_cursor=next_cursor,
        side=side,
        build_items=build_items,
    )


# How many of the newest conversations (after the cursor) the search first reads in order
# before it asks the trigram indexes; see `_search_page`. 0 asks the indexes straight away.
SEARCH_WINDOW = 50
# Past the window, the trigram lookup of the messages with the term, over the whole site,
# fetches at most this many messages and may take at most this long; a term in more messages,
# or whose lookup takes longer, is searched by reading the inbox in order. See `_search_page`.
SEARCH_TEXT_CAP = 2000
SEARCH_TEXT_MILLISECONDS = 15
# pg_trgm finds a term through the trigrams of its words (runs of letters and digits): a term
# without three such characters in a row has none, and its lookup would read the whole index.
_HAS_TRIGRAM = re.compile(r"[^\W_]{3}")


def _visible_messages_with(query: str) -> QuerySet[Message]:
    """The messages, not removed, whose text contains `query` (case aside): what a search matches in a thread."""
    return Message.objects.filter(text__icontains=query, removed_at__isnull=True)


def _search_names(query: str) -> Q:
    return Q(store__name__icontains=query) | Q(buyer__display_name__icontains=query) | Q(order__number__icontains=query)


def _search_name_ids(query: str) -> Q:
    """`_search_names` as three lookups of ids, each through its trigram index, not as joins tested per conversation."""
    return (
        Q(store_id__in=Store.objects.filter(name__icontains=query).order_by().values("pk"))
        | Q(buyer_id__in=User.objects.filter(display_name__icontains=query).order_by().values("pk"))
        | Q(order_id__in=Order.objects.filter(number__icontains=query).order_by().values("pk"))
    )


def _text_match_conversation_ids(query: str, *, owner: InboxOwner | None) -> set[int] | Literal["many", "slow"]:
    """The conversations of `owner`'s inbox (of any user's without one) with a visible message that contains `query`, or why not.

    One trigram lookup, unordered, fetching at most `SEARCH_TEXT_CAP + 1` messages within
    `SEARCH_TEXT_MILLISECONDS`: with an owner through the index on (owner, text), which reads
    only that inbox's messages with the term; without one (support's inbox) over the whole
    site. The cap bounds the reading of the messages ("many" past it); the time limit bounds what no `LIMIT` can: the index collecting every
    message with the term before the first one is read, a tenth of a second for a word in half
    a million messages ("slow"; so is a term without a trigram, which would read the whole
    index). Without an owner, either is reached by a term frequent somewhere on the site yet
    rare in the newest conversations of this inbox (the window found less than a page); with
    one, only by a term in thousands of this inbox's older messages.
    """
    if not _HAS_TRIGRAM.search(query):
        return "slow"
    messages = _visible_messages_with(query)
    if owner is not None:
        owner_column, owner_id = owner
        messages = messages.filter(**{owner_column: owner_id})
    matches = messages.order_by().values_list("conversation_id", flat=True)[: SEARCH_TEXT_CAP + 1]
    rows = bounded_rows(matches, milliseconds=SEARCH_TEXT_MILLISECONDS)
    if rows is None:
        return "slow"
    if len(rows) > SEARCH_TEXT_CAP:
        return "many"
    return set(rows)


def _search_page(
    conversations: QuerySet[Conversation], *, query: str, limit: int, owner: InboxOwner | None
) -> list[Conversation]:
    """The first `limit` conversations, newest first, whose store, buyer, order number or a visible message contains `query`.

    Three ways to the same rows. A word that many messages contain (a word in every message,
    "colour") fills a page from the newest conversations: reading the inbox in order and
    looking into each conversation's messages stops after about a page. Looking the word up in
    the trigram index instead fetches every message that contains it, of every user (hundreds
    of thousands), before the newest can be picked. A rare word (a parcel number, a name) is
    the opposite: the index names its few messages at once, while reading in order would open
    every conversation of the inbox.

    So the search first reads in order, but only the `SEARCH_WINDOW` newest conversations
    (after the cursor): all conversations from the newest down to the last activity of the
    `SEARCH_WINDOW`-th one, ties included, which is a leading part of the inbox in its own
    order. If that part holds a full page of matches, they are the first ones of the whole
    inbox. Otherwise the term is rare here: the trigram index of the inbox's messages (of the
    whole site's for support's inbox, which has no single owner) names the conversations with
    it (`_text_match_conversation_ids`, a millisecond for a rare term) and the name indexes the
    stores, buyers and orders with it, and the inbox is read in order keeping those
    conversations, without opening any conversation's messages. A term in thousands of this
    inbox's older messages (or, without an owner, of other users' messages) would make that
    lookup slow, so the lookup is bounded; past the bound the search takes the way whose cost
    the bound says is smaller (see the branches). Every way gives the same rows in the same
    order, and the cursor works as for any inbox page.
    """
    ordered = conversations.select_related("store", "buyer", "order").order_by("-last_message_at", "-pk")
    # The id of one visible message of the conversation with the word: a scalar subquery that
    # the database runs per conversation (an EXISTS it could turn into one lookup of every
    # message with the word), through the index of the messages by conversation, stopping at
    # the first; unordered, so that nothing has to read all of them to sort.
    first_match = Subquery(
        _visible_messages_with(query).filter(conversation=OuterRef("pk")).order_by().values("pk")[:1]
    )
    window_edge = Subquery(
        conversations.order_by("-last_message_at", "-pk").values("last_message_at")[
            max(SEARCH_WINDOW - 1, 0) : max(SEARCH_WINDOW, 1)
        ]
    )
    in_window = (
        ordered.filter(last_message_at__gte=window_edge)
        .alias(search_match=first_match)
        .filter(_search_names(query) | Q(search_match__isnull=False))
    )
    with search_costs(ordered.db):
        if SEARCH_WINDOW > 0:
            rows: list[Conversation] = list(in_window[:limit])
            if len(rows) == limit:
                return rows
        found = _text_match_conversation_ids(query, owner=owner)
        if isinstance(found, set):
            return list(ordered.filter(Q(pk__in=found) | _search_name_ids(query))[:limit])
        if found == "many":
            # Thousands of messages with the term, not hundreds of thousands: the database may
            # look them all up once (an EXISTS it turns into a hashed lookup, tens of
            # milliseconds), cheaper than opening every conversation of a long inbox.
            matches_text = _visible_messages_with(query).filter(conversation=OuterRef("pk"))
            return list(ordered.filter(_search_names(query) | Exists(matches_text))[:limit])
        # Too many to look up: open each conversation's messages in order (`first_match`), a
        # cost bounded by this inbox, not by the site.
        walk = ordered.alias(search_match=first_match).filter(_search_names(query) | Q(search_match__isnull=False))
        return list(walk[:limit])


def buyer_conversations(*, user: User) -> QuerySet[Conversation]:
    return Conversation.objects.filter(buyer=user)


def buyer_recent_stores(*, user: User, conversations: int = 30) -> list[tuple[str, str]]:
    """(slug, name) of the stores of the buyer's most recent conversations, by name: the inbox's filter.

    Walks the inbox index for `conversations` rows, never the whole history; support chats
    (no store) count among them but name none. A fixed statement: on every inbox page, the
    ORM's query would cost more to build than to run.
    """
    alias = router.db_for_read(Conversation)
    quote = connections[alias].ops.quote_name
    with bound_cursor(alias) as cursor:
        cursor.execute(
            f"SELECT s.slug, s.name FROM {quote(Conversation._meta.db_table)} c "  # noqa: S608
            f"LEFT JOIN {quote(Store._meta.db_table)} s ON s.id = c.store_id "
            "WHERE c.buyer_id = %s ORDER BY c.last_message_at DESC, c.id DESC LIMIT %s",
            [user.pk, conversations],
        )
        rows = cursor.fetchall()
    return sorted({(slug, name) for slug, name in rows if slug}, key=lambda pair: pair[1])


def store_conversations(*, store: Store) -> QuerySet[Conversation]:
    return Conversation.objects.filter(store=store)


def support_conversations(*, status: str | None = None, topic: str = "") -> QuerySet[Conversation]:
    conversations = Conversation.objects.filter(kind=Conversation.Kind.SUPPORT)
    if status:
        conversations = conversations.filter(status=status)
    if topic:
        conversations = conversations.filter(topic=topic)
    return conversations


def store_blocks_buyer(*, store: Store, buyer: Any) -> bool:
    """Whether the store has blocked this buyer from writing to it (said up front, not after typing)."""
    if not buyer.is_authenticated:
        return False
    return Block.objects.filter(store=store, buyer=buyer, by_side=Side.STORE).exists()


def conversation_for_buyer_and_store(*, buyer: Any, store: Store) -> Conversation | None:
    if not buyer.is_authenticated:
        return None
    return Conversation.objects.filter(kind=Conversation.Kind.STORE, buyer=buyer, store=store).first()


# --- The navigation badge ----------------------------------------------------------------------


def unread_badge_count(*, user: RequestUser) -> int:
    """Unread messages for the navigation bar, capped at BADGE_CAP + 1 ("99+").

    Reads only conversations that have something unread, through partial indexes that
    carry the counter (index-only scans), and at most BADGE_CAP + 1 of them per side: the
    cost does not grow with the number of messages or conversations.
    """
    if not user.is_authenticated:
        return 0
    limit = BADGE_CAP + 1
    total = sum(
        Conversation.objects.filter(buyer=user, buyer_unread__gt=0).values_list("buyer_unread", flat=True)[:limit]
    )
    if total > BADGE_CAP:
        return limit
    store_ids = list(store_ids_for_member(user=user))
    if store_ids:
        total += sum(
            Conversation.objects.filter(store_id__in=store_ids, store_unread__gt=0).values_list(
                "store_unread", flat=True
            )[:limit]
        )
    if total <= BADGE_CAP and user_is_support_agent(user):
        total += sum(
            Conversation.objects.filter(kind=Conversation.Kind.SUPPORT, store_unread__gt=0)
            .exclude(buyer=user)
            .values_list("store_unread", flat=True)[:limit]
        )
    return min(total, limit)


def _has_unread(counter: str) -> Q:
    """`counter > 0` with the 0 written into the statement's text rather than bound as a value.

    The navigation's statement is prepared, and a prepared statement's generic plan may use a
    partial index only for a condition that implies the index's own (`conversation_buyer_unread`:
    `buyer_unread > 0`): a bound value could be anything, and the plan would read every
    conversation of the user.
    """
    return Q(**{f"{counter}__gt": RawSQL("0", (), output_field=IntegerField())})


def unread_badge_parts(user: User) -> list[SqlPart]:
    """The navigation's unread badge as SQL (portal.navigation reads every counter in one query).

    The same rows as `unread_badge_count`: the buyer's side, the stores' side, and support
    chats for support agents, each a capped sum through the counters' partial indexes.
    """
    limit = BADGE_CAP + 1
    parts = [
        capped_sum(Conversation.objects.filter(_has_unread("buyer_unread"), buyer=user), "buyer_unread", cap=limit),
        capped_sum(
            Conversation.objects.filter(_has_unread("store_unread"), store_id__in=store_ids_for_member(user=user)),
            "store_unread",
            cap=limit,
        ),
    ]
    if user_is_support_agent(user):
        support = Conversation.objects.filter(_has_unread("store_unread"), kind=Conversation.Kind.SUPPORT).exclude(
            buyer=user
        )
        parts.append(capped_sum(support, "store_unread", cap=limit))
    return parts


def unread_notifications_parts(user: User) -> list[SqlPart]:
    return [capped_count(Notification.objects.filter(recipient=user, read_at__isnull=True), cap=100)]


def unread_notifications_count(*, user: RequestUser) -> int:
    if not user.is_authenticated:
        return 0
    return len(Notification.objects.filter(recipient=user, read_at__isnull=True).values_list("pk", flat=True)[:100])


def notification_topics(*, user: User) -> list[tuple[str, str]]:
    """The topics of the notifications this user has, labelled in the active language.

    Reads the distinct kinds through the (recipient, kind) index, whatever the count of rows.
    """
    kinds = set(Notification.objects.filter(recipient=user).order_by().values_list("kind", flat=True).distinct()[:200])
    present = {NOTIFICATION_KINDS[kind].topic for kind in kinds if kind in NOTIFICATION_KINDS}
    return [(name, str(label)) for name, label in NOTIFICATION_TOPICS.items() if name in present]


def notifications_page(
    *, user: User, before_id: int | None = None, topic: str = "", page_size: int = 30
) -> list[Notification]:
    """One page of a user's notifications, newest first, optionally of one topic (keyset by `before_id`)."""
    notifications = Notification.objects.filter(recipient=user).order_by("-created_at", "-pk")
    if topic:
        kinds = [name for name, kind in NOTIFICATION_KINDS.items() if kind.topic == topic]
        notifications = notifications.filter(kind__in=kinds)
    if before_id:
        anchor = Notification.objects.filter(recipient=user, pk=before_id).values_list("created_at", flat=True).first()
        if anchor is not None:
            notifications = notifications.filter(rows_after(Cursor(anchor, before_id), moment_field="created_at"))
    return list(notifications[:page_size])


def preferences_for(*, user: User) -> MessagingPreferences:
    return MessagingPreferences.objects.filter(user=user).first() or MessagingPreferences(user=user)


# --- Response statistics ------------------------------------------------------------------------


@dataclass(frozen=True)
class ResponseStats:
    exchanges: int
    answered_in_time: int
    median_seconds: int | None

    @property
    def rate_percent(self) -> int | None:
        if not self.exchanges:
            return None
        return round(100 * self.answered_in_time / self.exchanges)


def store_response_stats(*, store: Store, now: datetime) -> ResponseStats:
    """Response rate and median response time over OPINIA_RESPONSE_STATS_DAYS.

    An exchange counts once it is decided: answered, or unanswered for longer than the
    response window (an exchange opened an hour ago is not yet a failure). Auto-replies
    never close an exchange, so they never count as answers.
    """
    rules = rules_at(now)
    window = timedelta(hours=rules.response_window_hours)
    recent = ResponseExchange.objects.filter(
        store=store, started_at__gte=now - timedelta(days=rules.response_stats_days), started_at__lte=now
    )
    decided = recent.filter(Q(answered_at__isnull=False) | Q(started_at__lte=now - window))
    exchanges = decided.count()
    answered = recent.filter(answered_at__isnull=False)
    in_time = answered.filter(response_seconds__lte=int(window.total_seconds())).count()
    answered_count = answered.count()
    median: int | None = None
    if answered_count:
        # The middle one or two rows by an ordered offset: the database sorts, Python never sees the rest.
        ordered = answered.order_by("response_seconds").values_list("response_seconds", flat=True)
        middle = [s or 0 for s in ordered[(answered_count - 1) // 2 : answered_count // 2 + 1]]
        median = sum(middle) // len(middle)
    return ResponseStats(exchanges=exchanges, answered_in_time=in_time, median_seconds=median)


def store_response_stats_changes_at(*, store: Store, now: datetime) -> datetime | None:
    """The next moment the response stats change by the clock alone, with no new message.

    An exchange leaves the OPINIA_RESPONSE_STATS_DAYS window, or an unanswered one outlives
    the response window and starts counting as a late answer. Two index reads.
    """
    rules = rules_at(now)
    window = timedelta(hours=rules.response_window_hours)
    days = timedelta(days=rules.response_stats_days)
    recent = ResponseExchange.objects.filter(store=store, started_at__gte=now - days, started_at__lte=now)
    oldest = recent.order_by("started_at").values_list("started_at", flat=True).first()
    undecided = (
        recent.filter(answered_at__isnull=True, started_at__gt=now - window)
        .order_by("started_at")
        .values_list("started_at", flat=True)
        .first()
    )
    moments = []
    if oldest is not None:
        moments.append(oldest + days + timedelta(microseconds=1))
    if undecided is not None:
        moments.append(undecided + window)
    rules_change = next_change_after(now)  # a new version may change the response window or period
    if rules_change is not None:
        moments.append(rules_change)
    return min(moments, default=None)


def store_response_stats_cached(*, store: Store, now: datetime) -> ResponseStats:
    """`store_response_stats` for the public pages: cached until an exchange opens or closes, or the clock moves it."""
    return fragments.cached(
        name="messaging.response_stats",
        topics=["responses"],
        store_id=store.pk,
        localized=False,
        now=now,
        build=lambda: (
            store_response_stats(store=store, now=now),
            store_response_stats_changes_at(store=store, now=now),
        ),
    )


def _unanswered(*, store: Store) -> QuerySet[ResponseExchange]:
    return ResponseExchange.objects.filter(store=store, answered_at__isnull=True)


def store_unanswered_count(*, store: Store) -> int:
    return _unanswered(store=store).count()


def store_unanswered_since(*, store: Store) -> datetime | None:
    """When the longest-waiting buyer wrote (the exchange that most endangers the response rate)."""
    return _unanswered(store=store).order_by("started_at", "pk").values_list("started_at", flat=True).first()


def photo_visible_in_conversation(user: RequestUser, photo: Photo) -> bool:
    """Photo access check: photos of a message are seen by the conversation's participants (staff by the core)."""
    if not user.is_authenticated:
        return False
    # A message removed by moderators takes its photos with it (staff still see them through the core).
    messages = Message.objects.filter(photos=photo, removed_at__isnull=True)
    allowed = Q(conversation__buyer=user) | Q(
        conversation__kind=Conversation.Kind.STORE,
        conversation__store__members__user=user,
    )
    if user_is_support_agent(user):
        allowed |= Q(conversation__kind=Conversation.Kind.SUPPORT)
    return messages.filter(allowed).exists()


def conversation_get_for_store(*, store: Store, conversation_id: int) -> Conversation:
    """One of `store`'s buyer conversations (the API's store keys); another store's is a 404."""
    conversation = (
        Conversation.objects.select_related("store", "buyer", "order", "product")
        .filter(pk=conversation_id, store=store, kind=Conversation.Kind.STORE)
        .first()
    )
    if conversation is None:
        raise Http404("No such conversation.")
    return conversation


def message_get_for_store(*, store: Store, message_id: int) -> Message:
    """A message of one of `store`'s conversations, with its cards and photos, else Http404."""
    message = (
        Message.objects.select_related("product", "order")
        .prefetch_related(Prefetch("photos", queryset=Photo.objects.order_by("pk")))
        .filter(pk=message_id, conversation__store=store)
        .first()
    )
    if message is None:
        raise Http404("No such message.")
    return message
