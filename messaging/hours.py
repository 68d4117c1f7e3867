"""Opening hours as the message centre reads them: a store's (portal.hours) and platform support's.

A store's answer is `portal.hours.store_availability`, passed on here so that the auto-reply,
the thread's side panel and the support chat ask one module; support keeps its own hours in
settings (`OPINIA_SUPPORT_HOURS`, `OPINIA_SUPPORT_TIME_ZONE`).
"""

import zoneinfo
from collections.abc import Iterable
from datetime import datetime

from django.conf import settings

from portal.hours import Availability, Interval, State, schedule_availability, store_availability
from portal.models import Store, WorkingHours

__all__ = ["Availability", "State", "store_availability", "store_is_open", "support_availability"]


def store_is_open(*, store: Store, now: datetime, hours: Iterable[WorkingHours] | None = None) -> bool:
    """Say whether `now` falls inside the store's working hours and not on one of its holidays.

    The local wall-clock time comes from zoneinfo, so 09:00 in New York is 14:00 UTC in
    winter and 13:00 UTC in summer; the week's intervals are stored in local time. A store
    marked busy is still open.
    """
    return store_availability(store=store, now=now, hours=hours).is_open


def support_intervals() -> list[Interval]:
    """Platform support's week: the same daily intervals on every day."""
    return [
        Interval(weekday=day, opens_at=opens_at, closes_at=closes_at)
        for day in range(7)
        for opens_at, closes_at in settings.OPINIA_SUPPORT_HOURS
    ]


def support_availability(*, now: datetime) -> Availability:
    """Whether platform support answers at `now`, and when it is back if not (UTC)."""
    state, open_until, reopens_at, _day_off = schedule_availability(
        intervals=support_intervals(), zone=zoneinfo.ZoneInfo(settings.OPINIA_SUPPORT_TIME_ZONE), now=now
    )
    return Availability(state=state, open_until=open_until, reopens_at=reopens_at)
