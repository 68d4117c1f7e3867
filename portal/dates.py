"""Moments as people read them: in the active language's formats (portal/formats) and a chosen zone.

Code that puts a date into text (admin columns, error messages, e-mails, `__str__`) goes
through `format_moment`, never `strftime` or `isoformat`, so that it reads like the dates the
templates print around it. A store's wall clock goes through `in_store_zone`.
"""

from datetime import date, datetime, time, tzinfo
from typing import TYPE_CHECKING, Any

from django.templatetags.tz import datetimeobject
from django.utils import timezone
from django.utils.formats import date_format, time_format

if TYPE_CHECKING:  # the models format their own moments with this module
    from portal.models import Store


def in_zone(moment: datetime, zone: tzinfo) -> datetime:
    """Return `moment` in `zone`, marked so that the template engine keeps that zone.

    `|date` and `|time` convert every aware datetime to the viewer's active zone first, so
    `store.local_now(now)|time` prints the viewer's clock under the store's zone name. The
    marked copy (what Django's own `|timezone` filter returns) is left as it is.
    """
    local = timezone.localtime(moment, zone)
    marked = datetimeobject(
        local.year,
        local.month,
        local.day,
        local.hour,
        local.minute,
        local.second,
        local.microsecond,
        local.tzinfo,
        fold=local.fold,
    )
    marked.convert_to_local_time = False  # type: ignore[attr-defined]  # the flag Django's template engine reads
    return marked


def in_store_zone(moment: datetime, store: "Store") -> datetime:
    """Return `moment` on the store's wall clock (its own zone, daylight saving included)."""
    return in_zone(moment, store.tzinfo)


def store_clock(moment: datetime, store: "Store") -> str:
    """The store's wall clock at `moment` as every page shows it: weekday and time ("Sat 09:01").

    The weekday matters as much as the hour: at 01:01 UTC it is already Saturday in Shanghai
    while still Friday in the Americas.
    """
    local = in_store_zone(moment, store)
    return f"{date_format(local, 'D')} {time_format(local)}"


def format_moment(
    moment: datetime | date | time | None,
    fmt: str = "DATETIME_FORMAT",
    *,
    zone: tzinfo | None = None,
    empty: str = "—",
) -> str:
    """Format `moment` in the active language's `fmt`, in `zone` (default: the reader's active zone).

    `fmt` names a locale format (DATETIME_FORMAT, DATE_FORMAT, TIME_FORMAT, ...). Naive
    times of day (working hours) are printed as they are.
    """
    if moment is None:
        return empty
    if isinstance(moment, time):
        return time_format(moment, "TIME_FORMAT" if fmt == "DATETIME_FORMAT" else fmt)
    value: Any = moment
    if isinstance(moment, datetime) and timezone.is_aware(moment):
        value = timezone.localtime(moment, zone)
    return date_format(value, fmt)
