"""Is it open now, and when does it open next? The one answer for stores and for platform support.

A week is a list of intervals (weekday, opens at, closes at) on a local wall clock; an
interval whose closing time is not after its opening time runs into the next day (07:00–01:00
on Monday is open until Tuesday 01:00). Days off (a store's holidays) close whole local days,
including the part of an overnight interval that runs into them.

Every moment is turned into UTC through zoneinfo before it is compared: two aware datetimes
of the same zone compare by wall clock in Python, which is wrong across a daylight-saving
change. So a 09:00–17:00 day in Warsaw lasts eight real hours except on the days the clocks
move inside it, and 02:30 on the spring-forward night (a time that does not exist) is read
as 03:30 summer time.

`store_availability` is what every page, service and auto-reply asks about a store
(`messaging.hours` passes it on to the message centre); the support chat asks
`schedule_availability` with the platform's own hours.
"""

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from portal.models import Store, StoreHoliday, WorkingHours

# How far ahead "reopens at" is looked for past the last day off: a week always holds the next
# opening of a schedule that has any; a store closed for longer than this shows no date.
HORIZON_DAYS = 8
MAX_HORIZON_DAYS = 400


class State(enum.StrEnum):
    OPEN = "open"
    BUSY = "busy"  # open, but the seller switched "busy" on: buyers get the busy auto-reply
    CLOSED = "closed"  # outside working hours
    HOLIDAY = "holiday"  # a day off: closed all day


@dataclass(frozen=True)
class Interval:
    weekday: int
    opens_at: time
    closes_at: time


@dataclass(frozen=True)
class DayOff:
    starts_on: date
    ends_on: date


@dataclass(frozen=True)
class Availability:
    state: State
    # When open (or busy): the end of the open period `now` is in (UTC); None otherwise.
    open_until: datetime | None = None
    # When closed (or on holiday): the next opening (UTC); None when none is in sight.
    reopens_at: datetime | None = None
    # The store's holiday `now` falls on, if any.
    holiday: StoreHoliday | None = None

    @property
    def is_open(self) -> bool:
        return self.state in (State.OPEN, State.BUSY)


Span = tuple[datetime, datetime]


def _at(day: date, moment: time, zone: tzinfo) -> datetime:
    return datetime.combine(day, moment, tzinfo=zone).astimezone(UTC)


def _days(first: date, last: date) -> Iterable[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def open_spans(*, intervals: Iterable[Interval], zone: tzinfo, first: date, last: date) -> list[Span]:
    """The open periods (UTC) of intervals starting from the day before `first` to `last`, merged."""
    week: dict[int, list[Interval]] = {}
    for interval in intervals:
        week.setdefault(interval.weekday, []).append(interval)
    spans: list[Span] = []
    for day in _days(first - timedelta(days=1), last):
        for interval in week.get(day.weekday(), []):
            closes_on = day if interval.closes_at > interval.opens_at else day + timedelta(days=1)
            start, end = _at(day, interval.opens_at, zone), _at(closes_on, interval.closes_at, zone)
            if end > start:
                spans.append((start, end))
    return _merge(spans)


def _merge(spans: list[Span]) -> list[Span]:
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _subtract(spans: list[Span], holes: list[Span]) -> list[Span]:
    for hole_start, hole_end in holes:
        kept: list[Span] = []
        for start, end in spans:
            if end <= hole_start or start >= hole_end:
                kept.append((start, end))
                continue
            if start < hole_start:
                kept.append((start, hole_start))
            if end > hole_end:
                kept.append((hole_end, end))
        spans = kept
    return spans


def schedule_availability(
    *, intervals: Sequence[Interval], zone: tzinfo, now: datetime, days_off: Sequence[DayOff] = ()
) -> tuple[State, datetime | None, datetime | None, DayOff | None]:
    """(OPEN or CLOSED or HOLIDAY, open until, reopens at, the day off now falls on) of a weekly schedule."""
    today = now.astimezone(zone).date()
    day_off = next((d for d in days_off if d.starts_on <= today <= d.ends_on), None)
    last = today + timedelta(days=HORIZON_DAYS)
    for off in days_off:
        if off.ends_on >= today:
            last = max(last, off.ends_on + timedelta(days=HORIZON_DAYS))
    last = min(last, today + timedelta(days=MAX_HORIZON_DAYS))
    holes = [
        (_at(off.starts_on, time(0), zone), _at(off.ends_on + timedelta(days=1), time(0), zone)) for off in days_off
    ]
    spans = _subtract(open_spans(intervals=intervals, zone=zone, first=today, last=last), holes)
    for start, end in spans:
        if start <= now < end:
            return State.OPEN, end, None, None
    reopens_at = min((start for start, _end in spans if start > now), default=None)
    return (State.HOLIDAY if day_off else State.CLOSED), None, reopens_at, day_off


def store_intervals(hours: Iterable[WorkingHours]) -> list[Interval]:
    return [Interval(weekday=h.weekday, opens_at=h.opens_at, closes_at=h.closes_at) for h in hours]


def store_availability(
    *,
    store: Store,
    now: datetime,
    hours: Iterable[WorkingHours] | None = None,
    holidays: Iterable[StoreHoliday] | None = None,
) -> Availability:
    """Say whether the store is open, busy, closed or on holiday at `now`, and until or from when.

    `hours` and `holidays` let a caller that already loaded them pass them in. Busy counts only
    while the store is open and before `store.busy_until` (the end of the interval it was
    switched on in), so it ends by itself.
    """
    hours = list(hours) if hours is not None else list(store.working_hours.all())
    if holidays is None:
        local_today = store.local_now(now).date()
        holidays = store.holidays.filter(ends_on__gte=local_today - timedelta(days=1))
    holiday_rows = list(holidays)
    state, open_until, reopens_at, day_off = schedule_availability(
        intervals=store_intervals(hours),
        zone=store.tzinfo,
        now=now,
        days_off=[DayOff(starts_on=h.starts_on, ends_on=h.ends_on) for h in holiday_rows],
    )
    holiday = None
    if day_off is not None:
        holiday = next(h for h in holiday_rows if (h.starts_on, h.ends_on) == (day_off.starts_on, day_off.ends_on))
    if state == State.OPEN and store.busy_until is not None and now < store.busy_until:
        state = State.BUSY
    return Availability(state=state, open_until=open_until, reopens_at=reopens_at, holiday=holiday)


def intervals_overlap(intervals: Sequence[Interval]) -> list[tuple[Interval, Interval]]:
    """Pairs of intervals that overlap on the weekly clock (an overnight one reaches into the next day)."""
    day = 24 * 3600
    week = 7 * day

    def seconds(moment: time) -> int:
        return moment.hour * 3600 + moment.minute * 60 + moment.second

    def span(interval: Interval) -> tuple[int, int]:
        start = interval.weekday * day + seconds(interval.opens_at)
        length = seconds(interval.closes_at) - seconds(interval.opens_at)
        return start, start + (length if length > 0 else length + day)

    found = []
    for i, first in enumerate(intervals):
        a_start, a_end = span(first)
        for second in intervals[i + 1 :]:
            b_start, b_end = span(second)
            # Compare on a circle: Sunday night's interval may reach into Monday morning.
            for shift in (-week, 0, week):
                if a_start < b_end + shift and b_start + shift < a_end:
                    found.append((first, second))
                    break
    return found
