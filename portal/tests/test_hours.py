"""Is the store open? Boundaries to the second, overnight intervals, a lunch break, daylight saving,
holidays and the busy switch (portal.hours.store_availability, the one answer)."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from portal import services
from portal.hours import Interval, State, intervals_overlap, store_availability
from portal.models import StoreHoliday, WorkingHours
from portal.tests.factories import StoreFactory


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def warsaw_store(*intervals, **fields):
    store = StoreFactory(time_zone="Europe/Warsaw", **fields)
    for weekday, opens_at, closes_at in intervals:
        WorkingHours.objects.create(store=store, weekday=weekday, opens_at=opens_at, closes_at=closes_at)
    return store


def state(store, now):
    return store_availability(store=store, now=now).state


# Monday 12 January 2026; Warsaw is on winter time (UTC+1).
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (utc(2026, 1, 12, 5, 59, 59), State.CLOSED),  # Monday 06:59:59 local
        (utc(2026, 1, 12, 6, 0, 0), State.OPEN),  # Monday 07:00:00: opens
        (utc(2026, 1, 12, 22, 59, 59), State.OPEN),  # Monday 23:59:59
        (utc(2026, 1, 12, 23, 0, 0), State.OPEN),  # Tuesday 00:00: still Monday's interval
        (utc(2026, 1, 12, 23, 59, 59), State.OPEN),  # Tuesday 00:59:59
        (utc(2026, 1, 13, 0, 0, 0), State.CLOSED),  # Tuesday 01:00:00: closes
    ],
)
def test_an_overnight_interval_stays_open_across_midnight(now, expected):
    store = warsaw_store((0, time(7), time(1)))
    assert state(store, now) == expected


@pytest.mark.django_db
def test_overnight_interval_says_until_when_and_from_when():
    store = warsaw_store((0, time(7), time(1)))
    open_now = store_availability(store=store, now=utc(2026, 1, 12, 12))
    assert open_now.open_until == utc(2026, 1, 13, 0)  # Tuesday 01:00 local
    closed = store_availability(store=store, now=utc(2026, 1, 13, 0))
    assert closed.reopens_at == utc(2026, 1, 19, 6)  # next Monday 07:00 local


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("local", "expected"),
    [
        (time(8, 59, 59), State.CLOSED),
        (time(9), State.OPEN),
        (time(12, 59, 59), State.OPEN),
        (time(13), State.CLOSED),  # lunch
        (time(13, 59, 59), State.CLOSED),
        (time(14), State.OPEN),
        (time(17, 59, 59), State.OPEN),
        (time(18), State.CLOSED),
    ],
)
def test_a_lunch_break_closes_the_store_between_two_intervals(local, expected):
    store = warsaw_store((2, time(9), time(13)), (2, time(14), time(18)))
    now = datetime.combine(date(2026, 1, 14), local, tzinfo=store.tzinfo)  # a Wednesday
    assert state(store, now) == expected


@pytest.mark.django_db
def test_during_the_lunch_break_the_store_reopens_at_14():
    store = warsaw_store((2, time(9), time(13)), (2, time(14), time(18)))
    lunch = store_availability(store=store, now=utc(2026, 1, 14, 12, 30))  # 13:30 local
    assert lunch.reopens_at == utc(2026, 1, 14, 13)


# Warsaw moves to summer time at 02:00 on Sunday 29 March 2026 (UTC+1 → UTC+2).
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (utc(2026, 3, 28, 20, 59, 59), State.CLOSED),  # Saturday 21:59:59 CET
        (utc(2026, 3, 28, 21, 0, 0), State.OPEN),  # Saturday 22:00 CET
        (utc(2026, 3, 29, 3, 59, 59), State.OPEN),  # Sunday 05:59:59 CEST
        (utc(2026, 3, 29, 4, 0, 0), State.CLOSED),  # Sunday 06:00 CEST: seven real hours later
        (utc(2026, 3, 30, 6, 59, 59), State.CLOSED),  # Monday 08:59:59 CEST
        (utc(2026, 3, 30, 7, 0, 0), State.OPEN),  # Monday 09:00 CEST is 07:00 UTC, not 08:00 as in winter
    ],
)
def test_hours_follow_the_daylight_saving_change_in_warsaw(now, expected):
    store = warsaw_store((5, time(22), time(6)), (0, time(9), time(17)))
    assert state(store, now) == expected


@pytest.mark.django_db
def test_the_overnight_interval_across_the_change_ends_at_the_local_closing_time():
    store = warsaw_store((5, time(22), time(6)))
    assert store_availability(store=store, now=utc(2026, 3, 28, 23)).open_until == utc(2026, 3, 29, 4)


def weekdays_9_to_17(store):
    for day in range(5):
        WorkingHours.objects.create(store=store, weekday=day, opens_at=time(9), closes_at=time(17))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (utc(2026, 1, 13, 15, 59, 59), State.OPEN),  # Tuesday 16:59:59 local, the day before
        (utc(2026, 1, 13, 22, 59, 59), State.CLOSED),  # Tuesday 23:59:59: closed, but no holiday yet
        (utc(2026, 1, 13, 23, 0, 0), State.HOLIDAY),  # Wednesday 00:00: the first local day
        (utc(2026, 1, 14, 11, 0, 0), State.HOLIDAY),  # Wednesday noon: working hours, still closed
        (utc(2026, 1, 15, 22, 59, 59), State.HOLIDAY),  # Thursday 23:59:59: the last local day
        (utc(2026, 1, 15, 23, 0, 0), State.CLOSED),  # Friday 00:00: the holiday is over
        (utc(2026, 1, 16, 8, 0, 0), State.OPEN),  # Friday 09:00
    ],
)
def test_a_holiday_closes_whole_local_days(now, expected):
    store = StoreFactory(time_zone="Europe/Warsaw")
    weekdays_9_to_17(store)
    StoreHoliday.objects.create(store=store, starts_on=date(2026, 1, 14), ends_on=date(2026, 1, 15))
    assert state(store, now) == expected


@pytest.mark.django_db
def test_a_holiday_says_when_the_store_is_back_and_cuts_an_overnight_interval_at_midnight():
    store = warsaw_store((1, time(20), time(2)), (4, time(9), time(17)))
    holiday = StoreHoliday.objects.create(store=store, starts_on=date(2026, 1, 14), ends_on=date(2026, 1, 15))
    tuesday_night = store_availability(store=store, now=utc(2026, 1, 13, 22))  # Tuesday 23:00 local
    assert tuesday_night.state == State.OPEN
    assert tuesday_night.open_until == utc(2026, 1, 13, 23)  # Wednesday 00:00: the holiday begins
    during = store_availability(store=store, now=utc(2026, 1, 13, 23, 30))
    assert during.state == State.HOLIDAY
    assert during.holiday == holiday
    assert during.reopens_at == utc(2026, 1, 16, 8)  # Friday 09:00 local


@pytest.mark.django_db
def test_busy_lasts_until_the_end_of_the_current_interval_and_then_goes_off_by_itself(store, seller):
    store.time_zone = "Europe/Warsaw"
    store.save()
    WorkingHours.objects.create(store=store, weekday=2, opens_at=time(9), closes_at=time(13))
    WorkingHours.objects.create(store=store, weekday=2, opens_at=time(14), closes_at=time(18))
    now = utc(2026, 1, 14, 9)  # Wednesday 10:00 local
    services.store_set_busy(store=store, actor=seller, busy=True, now=now)
    store.refresh_from_db()
    assert store.busy_until == utc(2026, 1, 14, 12)  # 13:00 local, the end of the morning interval
    assert state(store, utc(2026, 1, 14, 11, 59, 59)) == State.BUSY
    assert state(store, utc(2026, 1, 14, 12, 0, 0)) == State.CLOSED  # lunch
    assert state(store, utc(2026, 1, 14, 13, 0, 0)) == State.OPEN  # the afternoon is not busy


@pytest.mark.django_db
def test_busy_is_switched_off_by_a_member_and_refused_while_closed(store, agent, other_buyer):
    store.time_zone = "Europe/Warsaw"
    store.save()
    WorkingHours.objects.create(store=store, weekday=2, opens_at=time(9), closes_at=time(17))
    now = utc(2026, 1, 14, 9)
    services.store_set_busy(store=store, actor=agent, busy=True, now=now)
    assert state(store, now) == State.BUSY
    services.store_set_busy(store=store, actor=agent, busy=False, now=now)
    assert state(store, now) == State.OPEN
    with pytest.raises(ValidationError):
        services.store_set_busy(store=store, actor=agent, busy=True, now=utc(2026, 1, 14, 20))
    with pytest.raises(PermissionDenied):
        services.store_set_busy(store=store, actor=other_buyer, busy=True, now=now)
    store.refresh_from_db()
    assert store.busy_until is None


def test_overlaps_are_found_on_the_weekly_clock():
    lunch = [Interval(2, time(9), time(13)), Interval(2, time(14), time(18))]
    assert intervals_overlap(lunch) == []
    assert intervals_overlap([Interval(2, time(9), time(13)), Interval(2, time(12), time(18))])
    # Tuesday's overnight interval reaches into Wednesday morning.
    assert intervals_overlap([Interval(1, time(20), time(10)), Interval(2, time(9), time(13))])
    # Sunday night into Monday morning.
    assert intervals_overlap([Interval(6, time(22), time(8)), Interval(0, time(7), time(12))])
    assert intervals_overlap([Interval(6, time(22), time(7)), Interval(0, time(7), time(12))]) == []


@pytest.mark.django_db
def test_the_service_keeps_overnight_and_split_days_and_refuses_overlaps(store, seller):
    services.store_set_working_hours(
        store=store,
        actor=seller,
        intervals=[
            services.OpeningInterval(weekday=0, opens_at=time(7), closes_at=time(1)),
            services.OpeningInterval(weekday=2, opens_at=time(9), closes_at=time(13)),
            services.OpeningInterval(weekday=2, opens_at=time(14), closes_at=time(18)),
        ],
    )
    assert store.working_hours.count() == 3
    with pytest.raises(ValidationError):
        services.store_set_working_hours(
            store=store,
            actor=seller,
            intervals=[
                services.OpeningInterval(weekday=2, opens_at=time(9), closes_at=time(13)),
                services.OpeningInterval(weekday=2, opens_at=time(12), closes_at=time(18)),
            ],
        )
    with pytest.raises(ValidationError):
        services.store_set_working_hours(
            store=store,
            actor=seller,
            intervals=[services.OpeningInterval(weekday=2, opens_at=time(9), closes_at=time(9))],
        )
    assert store.working_hours.count() == 3


@pytest.mark.django_db
def test_a_holiday_ending_before_it_starts_is_refused(store, seller):
    with pytest.raises(ValidationError) as refused:
        services.store_holiday_add(store=store, actor=seller, starts_on=date(2026, 1, 15), ends_on=date(2026, 1, 14))
    assert "ends_on" in refused.value.message_dict
    holiday = services.store_holiday_add(
        store=store, actor=seller, starts_on=date(2026, 1, 15), ends_on=date(2026, 1, 15), auto_reply=" Back soon "
    )
    assert holiday.auto_reply == "Back soon"
    assert store_availability(store=store, now=utc(2026, 1, 15, 12) - timedelta(hours=8)).holiday == holiday
