"""A store's opening hours in its own time zone (zoneinfo, so daylight saving is included)."""

from collections.abc import Iterable
from datetime import datetime

from portal.models import Store, WorkingHours


def store_is_open(*, store: Store, now: datetime, hours: Iterable[WorkingHours] | None = None) -> bool:
    """Say whether `now` falls inside the store's working hours on the store's local weekday.

    The local wall-clock time comes from zoneinfo, so 09:00 in New York is 14:00 UTC in
    winter and 13:00 UTC in summer; the week's intervals are stored in local time.
    """
    local = store.local_now(now)
    intervals = list(hours) if hours is not None else list(store.working_hours.all())
    moment = local.time().replace(tzinfo=None)
    return any(h.weekday == local.weekday() and h.contains(moment) for h in intervals)
