"""The inbox line: the store's team reads the buyer's question, not its own auto-reply."""

import importlib
from datetime import UTC, datetime, time, timedelta

import pytest
from django.apps import apps
from django.urls import reverse

from messaging import services
from messaging.models import Conversation, Message, MessageReport, Side
from messaging.tests.conftest import reply, write
from portal.models import WorkingHours
from portal.tests.factories import StoreFactory, UserFactory

# Saturday 17 January 2026, 02:00 UTC is 10:00 in Shanghai: the store below is closed all weekend.
NIGHT = datetime(2026, 1, 17, 2, 0, tzinfo=UTC)
AUTO_REPLY = "We are closed at the weekend and answer on Monday."


@pytest.fixture
def weekday_store(seller):
    store = StoreFactory(owner=seller, time_zone="Asia/Shanghai", auto_reply=AUTO_REPLY)
    for day in range(5):
        WorkingHours.objects.create(store=store, weekday=day, opens_at=time(9), closes_at=time(18))
    return store


def _row(client, url, conversation):
    page = client.get(url).context["page"]
    return next(c for c in page.items if c.pk == conversation.pk)


def _store_row(client, store, conversation):
    return _row(client, reverse("messaging:store_inbox", args=[store.slug]), conversation)


def test_store_inbox_shows_the_buyers_question_not_the_auto_reply(client, buyer, seller, weekday_store):
    message, _ = services.conversation_start(buyer=buyer, store=weekday_store, text="Is it   in stock?", now=NIGHT)
    conversation = message.conversation
    assert conversation.messages.filter(is_auto_reply=True).exists()

    client.force_login(seller)
    html = client.get(reverse("messaging:store_inbox", args=[weekday_store.slug])).content.decode()
    assert AUTO_REPLY not in html
    assert "Is it in stock?" in html
    assert "You:" not in html
    row = _store_row(client, weekday_store, conversation)
    assert (row.preview, row.preview_side) == ("Is it in stock?", Side.BUYER)

    # The buyer was answered by the auto-reply and sees it as the store's last word.
    client.force_login(buyer)
    buyer_row = _row(client, reverse("messaging:inbox"), conversation)
    assert (buyer_row.preview, buyer_row.preview_side) == (AUTO_REPLY, Side.STORE)


def test_store_inbox_prefixes_the_stores_own_last_human_message(client, buyer, seller, weekday_store):
    message, _ = services.conversation_start(buyer=buyer, store=weekday_store, text="Hello?", now=NIGHT)
    conversation = message.conversation
    reply(conversation, seller, "Yes, in stock.", now=NIGHT + timedelta(hours=1))
    client.force_login(seller)
    row = _store_row(client, weekday_store, conversation)
    assert (row.preview, row.preview_side) == ("Yes, in stock.", Side.STORE)
    html = client.get(reverse("messaging:store_inbox", args=[weekday_store.slug])).content.decode()
    assert "You: Yes, in stock." in " ".join(html.split())

    # Thirteen hours later the buyer writes again, the store is still closed: a new auto-reply.
    write(conversation, buyer, "Can you ship today?", now=NIGHT + timedelta(hours=13))
    assert conversation.messages.filter(is_auto_reply=True).count() == 2
    row = _store_row(client, weekday_store, conversation)
    assert (row.preview, row.preview_side) == ("Can you ship today?", Side.BUYER)


def test_removing_a_message_recomputes_both_inbox_lines(client, buyer, seller, weekday_store, staff):
    message, _ = services.conversation_start(buyer=buyer, store=weekday_store, text="First question", now=NIGHT)
    conversation = message.conversation
    offensive = write(conversation, buyer, "something rude", now=NIGHT + timedelta(minutes=1))
    report = services.message_report(
        message=offensive, reporter=seller, reporter_side=Side.STORE, reason="abuse", note="", now=NIGHT
    )
    services.message_report_resolve(
        report_id=report.pk, actor=staff, to=MessageReport.Status.UPHELD, note="", now=NIGHT + timedelta(hours=1)
    )
    conversation.refresh_from_db()
    assert (conversation.last_human_preview, conversation.last_human_side) == ("First question", Side.BUYER)
    assert conversation.last_message_preview == AUTO_REPLY


def test_store_inbox_query_count_stays_constant(client, seller, weekday_store, django_assert_max_num_queries):
    for n in range(12):
        services.conversation_start(
            buyer=UserFactory(), store=weekday_store, text=f"q{n}", now=NIGHT + timedelta(minutes=n)
        )
    client.force_login(seller)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("messaging:store_inbox", args=[weekday_store.slug]))
    assert [c.preview for c in response.context["page"].items] == [f"q{n}" for n in reversed(range(12))]


def test_migration_backfills_the_stores_line_from_the_latest_human_message(buyer, seller, weekday_store):
    message, _ = services.conversation_start(buyer=buyer, store=weekday_store, text="Old question", now=NIGHT)
    conversation = message.conversation
    # A row written before the column existed: the stored line was the auto-reply.
    Conversation.objects.filter(pk=conversation.pk).update(last_human_preview="", last_human_side="")
    quiet, _ = services.conversation_start(buyer=UserFactory(), store=StoreFactory(), text="No auto-reply", now=NIGHT)
    Conversation.objects.filter(pk=quiet.conversation_id).update(last_human_preview="", last_human_side="")

    importlib.import_module("messaging.migrations.0005_conversation_human_preview").backfill(apps, None)

    conversation.refresh_from_db()
    assert (conversation.last_human_preview, conversation.last_human_side) == ("Old question", Side.BUYER)
    assert conversation.last_message_preview == AUTO_REPLY
    quiet_row = Conversation.objects.get(pk=quiet.conversation_id)
    assert (quiet_row.last_human_preview, quiet_row.last_human_side) == ("No auto-reply", Side.BUYER)
    assert Message.objects.filter(is_auto_reply=True).count() == 1
