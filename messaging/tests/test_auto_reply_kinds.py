"""Which automatic reply a buyer gets: the holiday's, the busy one, or the out-of-hours one;
a platform text in the reader's language; still at most one per 12 hours."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.urls import reverse

from messaging import services
from messaging.auto_replies import BUSY, HOLIDAY
from messaging.models import Message
from messaging.tests.conftest import write
from portal import services as portal_services
from portal.models import StoreHoliday, WorkingHours


def utc(*args):
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def shop(store):
    """Bob's store in Warsaw, open 09:00–17:00 every day, with an out-of-hours auto-reply."""
    store.time_zone = "Europe/Warsaw"
    store.auto_reply = "We are closed; we answer from 9:00."
    store.save()
    for day in range(7):
        WorkingHours.objects.create(store=store, weekday=day, opens_at=time(9), closes_at=time(17))
    return store


def first_message(buyer, store, now):
    message, _created = services.conversation_start(buyer=buyer, store=store, text="Hello?", now=now)
    return message.conversation


def auto_replies(conversation):
    return list(Message.objects.filter(conversation=conversation, is_auto_reply=True).order_by("pk"))


WEDNESDAY_NOON = utc(2026, 1, 14, 11)  # 12:00 in Warsaw


def test_open_hours_get_no_reply_and_closed_hours_the_stores_text(buyer, other_buyer, shop):
    assert auto_replies(first_message(buyer, shop, WEDNESDAY_NOON)) == []
    [reply] = auto_replies(first_message(other_buyer, shop, utc(2026, 1, 14, 16)))  # 17:00 local
    assert reply.text == "We are closed; we answer from 9:00."
    assert reply.auto_kind == ""


def test_a_holiday_gets_its_own_text_even_in_working_hours(buyer, shop):
    StoreHoliday.objects.create(
        store=shop, starts_on=date(2026, 1, 14), ends_on=date(2026, 1, 15), auto_reply="On holiday until Friday."
    )
    [reply] = auto_replies(first_message(buyer, shop, WEDNESDAY_NOON))
    assert reply.text == "On holiday until Friday."


def test_a_holiday_without_text_gets_the_platform_text_in_the_buyers_language(client, buyer, shop):
    StoreHoliday.objects.create(store=shop, starts_on=date(2026, 1, 14), ends_on=date(2026, 1, 15))
    shop.auto_reply = ""  # even a store without any auto-reply answers on holiday
    shop.save()
    conversation = first_message(buyer, shop, WEDNESDAY_NOON)
    [reply] = auto_replies(conversation)
    assert (reply.text, reply.auto_kind) == ("", HOLIDAY)
    assert reply.auto_params == {"back_at": utc(2026, 1, 16, 8).isoformat()}  # Friday 09:00 in Warsaw
    buyer.language, buyer.time_zone = "pl", "Asia/Tokyo"
    buyer.save()
    client.force_login(buyer)
    html = client.get(reverse("messaging:thread", args=[conversation.pk])).content.decode()
    assert "Sklep jest na urlopie" in html
    assert "17:00" in html  # Friday 09:00 in Warsaw is 17:00 in the buyer's Tokyo


def test_busy_gets_the_busy_text_and_the_default_when_the_store_wrote_none(buyer, other_buyer, shop, seller):
    portal_services.store_set_busy(store=shop, actor=seller, busy=True, now=WEDNESDAY_NOON)
    shop.refresh_from_db()
    [reply] = auto_replies(first_message(buyer, shop, WEDNESDAY_NOON + timedelta(minutes=5)))
    assert (reply.text, reply.auto_kind) == ("", BUSY)
    portal_services.store_update_settings(
        store=shop,
        actor=seller,
        name=shop.name,
        time_zone=shop.time_zone,
        auto_reply=shop.auto_reply,
        busy_reply="Many orders today, bear with us.",
    )
    [reply] = auto_replies(first_message(other_buyer, shop, WEDNESDAY_NOON + timedelta(minutes=6)))
    assert reply.text == "Many orders today, bear with us."


def test_busy_expires_at_the_end_of_the_interval(buyer, shop, seller):
    portal_services.store_set_busy(store=shop, actor=seller, busy=True, now=WEDNESDAY_NOON)
    shop.auto_reply = ""
    shop.save()
    # 16:59:59 local: still busy; 09:00 the next day: open, the switch is off by itself.
    conversation = first_message(buyer, shop, utc(2026, 1, 14, 15, 59, 59))
    assert [r.auto_kind for r in auto_replies(conversation)] == [BUSY]
    write(conversation, buyer, now=utc(2026, 1, 15, 8, 0, 0))
    assert [r.auto_kind for r in auto_replies(conversation)] == [BUSY]


def test_still_at_most_one_automatic_reply_per_12_hours_whatever_its_kind(buyer, shop, seller):
    closed = utc(2026, 1, 13, 20)  # Tuesday 21:00 local: out of hours
    conversation = first_message(buyer, shop, closed)
    StoreHoliday.objects.create(store=shop, starts_on=date(2026, 1, 14), ends_on=date(2026, 1, 14))
    write(conversation, buyer, now=closed + timedelta(hours=11, minutes=59, seconds=59))  # holiday now, too soon
    assert len(auto_replies(conversation)) == 1
    write(conversation, buyer, now=closed + timedelta(hours=12))  # Wednesday 09:00, holiday: the holiday text
    assert [r.auto_kind for r in auto_replies(conversation)] == ["", HOLIDAY]
