"""The auto-reply at the edges of working hours, in two time zones, across daylight-saving changes."""

from datetime import UTC, datetime, time, timedelta

import pytest

from messaging import services
from messaging.hours import store_is_open
from messaging.models import Message, Side
from messaging.tests.conftest import reply, write
from portal.models import WorkingHours
from portal.tests.factories import StoreFactory, UserFactory


def utc(*args):
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def make_store(db):
    def make(time_zone, auto_reply="We are closed now and answer from 9:00."):
        store = StoreFactory(time_zone=time_zone, auto_reply=auto_reply)
        for day in range(5):  # Monday to Friday, 09:00–17:00 local time
            WorkingHours.objects.create(store=store, weekday=day, opens_at=time(9), closes_at=time(17))
        return store

    return make


def auto_replies_after_first_message(store, now):
    buyer = UserFactory()
    message, _ = services.conversation_start(buyer=buyer, store=store, text="Hello?", now=now)
    return Message.objects.filter(conversation=message.conversation, is_auto_reply=True).count()


# Monday 12 January 2026: Shanghai is UTC+8 all year; New York is on standard time, UTC−5.
EDGES = [
    ("Asia/Shanghai", utc(2026, 1, 12, 0, 59, 59), 1),  # 08:59:59 local: closed
    ("Asia/Shanghai", utc(2026, 1, 12, 1, 0, 0), 0),  # 09:00:00 local: open
    ("Asia/Shanghai", utc(2026, 1, 12, 8, 59, 59), 0),  # 16:59:59 local: open
    ("Asia/Shanghai", utc(2026, 1, 12, 9, 0, 0), 1),  # 17:00:00 local: closed
    ("America/New_York", utc(2026, 1, 12, 13, 59, 59), 1),  # 08:59:59 EST
    ("America/New_York", utc(2026, 1, 12, 14, 0, 0), 0),  # 09:00:00 EST
    ("America/New_York", utc(2026, 1, 12, 21, 59, 59), 0),  # 16:59:59 EST
    ("America/New_York", utc(2026, 1, 12, 22, 0, 0), 1),  # 17:00:00 EST
    # Saturday in Shanghai while it is still Friday evening in UTC terms: closed all day.
    ("Asia/Shanghai", utc(2026, 1, 16, 20, 0, 0), 1),
    # Friday 23:30 UTC is already Saturday 07:30 in Shanghai: the local weekday decides.
    ("Asia/Shanghai", utc(2026, 1, 16, 23, 30, 0), 1),
]


@pytest.mark.parametrize(("time_zone", "now", "expected"), EDGES)
def test_auto_reply_at_the_edges_of_working_hours(make_store, time_zone, now, expected):
    assert auto_replies_after_first_message(make_store(time_zone), now) == expected


# New York moves to daylight time on Sunday 8 March 2026: on Monday 9 March, 09:00 local is
# 13:00 UTC, an hour earlier than in January. A fixed offset would get both edges wrong.
DST_EDGES = [
    ("America/New_York", utc(2026, 3, 9, 12, 59, 59), 1),  # 08:59:59 EDT
    ("America/New_York", utc(2026, 3, 9, 13, 0, 0), 0),  # 09:00:00 EDT (08:00 in EST terms)
    ("America/New_York", utc(2026, 3, 9, 20, 59, 59), 0),  # 16:59:59 EDT
    ("America/New_York", utc(2026, 3, 9, 21, 0, 0), 1),  # 17:00:00 EDT
    # Warsaw leaves summer time on Sunday 25 October 2026: Monday 09:00 CET is 08:00 UTC.
    ("Europe/Warsaw", utc(2026, 10, 26, 7, 59, 59), 1),
    ("Europe/Warsaw", utc(2026, 10, 26, 8, 0, 0), 0),
    # The Friday before, on summer time, 09:00 CEST was 07:00 UTC.
    ("Europe/Warsaw", utc(2026, 10, 23, 7, 0, 0), 0),
    ("Europe/Warsaw", utc(2026, 10, 23, 6, 59, 59), 1),
]


@pytest.mark.parametrize(("time_zone", "now", "expected"), DST_EDGES)
def test_auto_reply_follows_daylight_saving_changes(make_store, time_zone, now, expected):
    assert auto_replies_after_first_message(make_store(time_zone), now) == expected


def test_auto_reply_at_most_once_per_12_hours_per_conversation(make_store, buyer):
    store = make_store("Asia/Shanghai")
    start = utc(2026, 1, 17, 2, 0, 0)  # Saturday 10:00 in Shanghai: closed all day
    message, _ = services.conversation_start(buyer=buyer, store=store, text="Hello?", now=start)
    conversation = message.conversation
    for offset in (timedelta(minutes=5), timedelta(hours=11, minutes=59, seconds=59)):
        write(conversation, buyer, now=start + offset)
    assert conversation.messages.filter(is_auto_reply=True).count() == 1
    write(conversation, buyer, now=start + timedelta(hours=12))
    assert conversation.messages.filter(is_auto_reply=True).count() == 2
    # Another buyer gets their own auto-reply: the interval is per conversation.
    assert auto_replies_after_first_message(store, start + timedelta(minutes=1)) == 1


def test_the_12_hours_are_real_hours_across_a_clock_change(make_store, buyer):
    store = make_store("America/New_York")
    # Saturday 7 March 2026, 22:00 EST. Twelve real hours later the clocks have moved
    # forward, so the wall clock shows 11:00 EDT on Sunday (13 hours later on the wall).
    start = utc(2026, 3, 8, 3, 0, 0)
    message, _ = services.conversation_start(buyer=buyer, store=store, text="Hello?", now=start)
    conversation = message.conversation
    write(conversation, buyer, now=utc(2026, 3, 8, 14, 59, 59))  # 10:59:59 EDT: 11 h 59 min 59 s later
    assert conversation.messages.filter(is_auto_reply=True).count() == 1
    write(conversation, buyer, now=utc(2026, 3, 8, 15, 0, 0))  # 11:00 EDT: exactly 12 h later
    assert conversation.messages.filter(is_auto_reply=True).count() == 2


def test_no_auto_reply_without_text_or_for_the_stores_own_messages(make_store, buyer):
    silent = make_store("Asia/Shanghai", auto_reply="  ")
    assert auto_replies_after_first_message(silent, utc(2026, 1, 17, 2, 0, 0)) == 0
    store = make_store("Asia/Shanghai")
    night = utc(2026, 1, 17, 2, 0, 0)
    message, _ = services.conversation_start(buyer=buyer, store=store, text="Hello?", now=night)
    reply(message.conversation, store.owner, now=night + timedelta(hours=13))
    assert message.conversation.messages.filter(is_auto_reply=True).count() == 1


def test_auto_reply_is_unread_for_the_buyer_and_never_answers_an_exchange(make_store, buyer):
    store = make_store("Asia/Shanghai")
    message, _ = services.conversation_start(buyer=buyer, store=store, text="Hello?", now=utc(2026, 1, 17, 2))
    conversation = message.conversation
    conversation.refresh_from_db()
    auto = conversation.messages.get(is_auto_reply=True)
    assert auto.side == Side.STORE
    assert auto.sender is None
    assert auto.email_due_at is None
    assert conversation.buyer_unread == 1
    assert conversation.exchanges.get().answered_at is None


def test_store_is_open_uses_the_local_weekday(make_store):
    store = make_store("Asia/Shanghai")
    assert store_is_open(store=store, now=utc(2026, 1, 12, 1)) is True
    assert store_is_open(store=store, now=utc(2026, 1, 17, 1)) is False
