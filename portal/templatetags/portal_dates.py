"""Dates and times in templates, beyond Django's `|date` and `|time`.

`|date` and `|time` convert every aware datetime to the viewer's zone; a store's local time
must be rendered with these instead, so that it is the store's clock and not the viewer's.
"""

from datetime import datetime

from django import template

from portal import dates
from portal.models import Store

register = template.Library()


@register.simple_tag
def store_local_time(store: Store, moment: datetime) -> str:
    """`{% store_local_time store now %}`: the store's weekday and time ("Sat 09:01")."""
    return dates.store_clock(moment, store)


@register.filter
def in_store_zone(moment: datetime, store: Store) -> datetime | str:
    """`{{ moment|in_store_zone:store|date:"DATETIME_FORMAT" }}`: a moment on the store's clock."""
    if not isinstance(moment, datetime) or not isinstance(store, Store):
        return ""  # filters never raise: a missing value prints nothing
    return dates.in_store_zone(moment, store)
