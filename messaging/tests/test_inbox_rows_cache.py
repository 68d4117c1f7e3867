"""The inbox's rows are kept rendered between pages: every change shows at once, nobody sees another's row.

Each test reads the inbox first (so its rows are cached), changes the conversation through the
real service, and reads it again.
"""

import re
from datetime import UTC, datetime

import time_machine
from django.urls import reverse
from django.utils import timezone

from messaging import services
from messaging.models import Side
from messaging.tests.conftest import reply, write
from portal import services as portal_services
from portal.tests.factories import UserFactory


def _inbox(client, url=None):
    response = client.get(url or reverse("messaging:inbox"))
    assert response.status_code == 200
    return response.content.decode()


def _row(html, conversation):
    found = re.search(rf'<li class="inbox-row[^"]*" data-conversation="{conversation.pk}">.*?</li>', html, re.S)
    assert found, html
    return found.group(0)


def test_a_new_message_shows_in_the_cached_row(client, buyer, seller, conversation):
    client.force_login(buyer)
    assert "Hello store" in _row(_inbox(client), conversation)
    assert "You:" in _row(_inbox(client), conversation)  # from the cache
    reply(conversation, seller, "It ships tomorrow")
    row = _row(_inbox(client), conversation)
    assert "It ships tomorrow" in row
    assert "You:" not in row
    assert 'class="inbox-row unread"' in row
    assert '<span class="badge">1<' in row


def test_reading_the_conversation_clears_the_cached_unread_mark(client, buyer, seller, conversation):
    reply(conversation, seller, "Any news?")
    client.force_login(buyer)
    assert 'class="inbox-row unread"' in _row(_inbox(client), conversation)
    services.conversation_mark_read(conversation_id=conversation.pk, side=Side.BUYER, now=timezone.now())
    row = _row(_inbox(client), conversation)
    assert 'class="inbox-row"' in row
    assert "badge" not in row


def test_a_renamed_store_shows_in_the_cached_row(client, buyer, seller, store, conversation):
    client.force_login(buyer)
    assert "Bob&#x27;s Gadgets" in _row(_inbox(client), conversation)
    portal_services.store_update_settings(
        store=store, actor=seller, name="Gadget Palace", time_zone=store.time_zone, auto_reply=""
    )
    row = _row(_inbox(client), conversation)
    assert "Gadget Palace" in row
    assert "Bob&#x27;s Gadgets" not in row


def test_a_renamed_buyer_shows_in_the_stores_cached_row(client, buyer, seller, store, conversation):
    client.force_login(seller)
    url = reverse("messaging:store_inbox", args=[store.slug])
    assert buyer.public_name in _row(_inbox(client, url), conversation)
    portal_services.user_update_profile(
        user=buyer, display_name="Alice Renamed", language=buyer.language, time_zone=buyer.time_zone, phone=""
    )
    assert "Alice Renamed" in _row(_inbox(client, url), conversation)


def test_a_closed_support_chat_shows_in_the_cached_row(client, buyer, support_agent):
    message, _created = services.support_chat_write(
        user=buyer, text="Charged twice", topic="payments", now=timezone.now()
    )
    chat = message.conversation
    client.force_login(buyer)
    assert "Closed" not in _row(_inbox(client), chat)
    services.support_chat_close(conversation_id=chat.pk, actor=support_agent, now=timezone.now())
    assert '<span class="status">Closed</span>' in _row(_inbox(client), chat)


def test_each_side_reads_its_own_row_of_one_conversation(client, buyer, seller, store, conversation):
    """The buyer wrote last: "You:" on the buyer's row, never on the store's, though both are cached."""
    write(conversation, buyer, "Buyer's words")
    client.force_login(buyer)
    buyer_row = _row(_inbox(client), conversation)
    client.force_login(seller)
    store_row = _row(_inbox(client, reverse("messaging:store_inbox", args=[store.slug])), conversation)
    assert "You: Buyer&#x27;s words" in buyer_row
    assert "Buyer&#x27;s words" in store_row
    assert "You:" not in store_row
    assert "Bob&#x27;s Gadgets" in buyer_row
    assert buyer.public_name in store_row
    client.force_login(buyer)
    assert _row(_inbox(client), conversation) == buyer_row


def test_languages_and_time_zones_each_get_their_own_row(client, store, open_all_week):
    moment = datetime(2026, 3, 2, 23, 30, tzinfo=UTC)
    polish = UserFactory(language="pl", time_zone="UTC")
    with time_machine.travel(moment, tick=False):
        message, _created = services.conversation_start(buyer=polish, store=store, text="Czy jest?", now=moment)
        reply(message.conversation, store.owner, "Tak", now=moment)
    client.force_login(polish)
    polish_row = _row(_inbox(client), message.conversation)
    assert "23:30" in polish_row
    polish.language, polish.time_zone = "en", "Asia/Shanghai"
    polish.save()
    english_row = _row(_inbox(client), message.conversation)
    assert "unread" in english_row
    assert english_row != polish_row
    assert "Mar 3, 2026, 07:30" in english_row


def test_a_pages_lines_read_as_values_match_its_conversations_on_every_side(buyer, seller, store, conversation):
    """`inbox_page` keys the rows by lines read as plain values; its conversations, built from the
    same values, must say the same thing (unread count, preview, the other side's name, the order)."""
    from messaging.selectors import (
        InboxFilters,
        _line,
        buyer_conversations,
        inbox_page,
        store_conversations,
        support_conversations,
    )
    from portal.tests.factories import StoreFactory, make_order

    nameless = UserFactory(display_name="", email="zed.quiet@example.com")
    order = make_order(buyer=nameless, store=store)
    services.conversation_start(
        buyer=nameless, store=store, text="About my order", order_id=order.pk, now=timezone.now()
    )
    write(conversation, buyer, "Buyer's words")
    reply(conversation, seller, "Store's answer")
    services.support_chat_write(user=buyer, text="Charged twice", topic="payments", now=timezone.now())
    StoreFactory()  # a store with no conversation changes nothing
    for side, conversations in (
        (Side.BUYER, buyer_conversations(user=buyer)),
        (Side.STORE, store_conversations(store=store)),
        (Side.STORE, support_conversations()),
    ):
        page = inbox_page(conversations=conversations, side=side, filters=InboxFilters())
        assert page.lines
        assert page.lines == [_line(c, side) for c in page.items]
    store_lines = inbox_page(
        conversations=store_conversations(store=store), side=Side.STORE, filters=InboxFilters()
    ).lines
    names = {line.other_name for line in store_lines}
    assert names == {buyer.public_name, "ze***"}  # never an e-mail address
    assert {line.order_number for line in store_lines} == {order.number, None}
