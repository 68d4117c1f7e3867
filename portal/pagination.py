"""Keyset pagination, newest first, for every list that pages by a moment and an id.

A page starts after the last row of the previous one: `(moment, id) < (cursor.moment,
cursor.id)`, read through an index on (…, -moment, -id), so page 1000 costs what page 1
costs, and rows with the same moment are neither repeated nor skipped (the id breaks ties).
The cursor in the query string is opaque: base64 of "moment|id" (and "|group" for lists read
in groups, such as reviews by stars). A damaged or forged cursor reads as "no cursor", that
is the first page, never an error.
"""

import base64
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q


@dataclass(frozen=True)
class Cursor:
    """Where a page starts: after the row at `moment` with id `pk` (inside sort group `group`, if any)."""

    moment: datetime
    pk: int
    group: int | None = None


def cursor_encode(cursor: Cursor) -> str:
    raw = f"{cursor.moment.isoformat()}|{cursor.pk}"
    if cursor.group is not None:
        raw += f"|{cursor.group}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def cursor_decode(raw: str | None) -> Cursor | None:
    """The cursor in `raw`, or None for no cursor and for anything that is not one."""
    if not raw:
        return None
    try:
        parts = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode().split("|")
        if len(parts) not in (2, 3):
            return None
        moment = datetime.fromisoformat(parts[0])
        if moment.tzinfo is None:
            return None
        return Cursor(moment, int(parts[1]), int(parts[2]) if len(parts) == 3 else None)
    except (ValueError, UnicodeDecodeError):  # binascii.Error is a ValueError
        return None


def rows_after(cursor: Cursor, *, moment_field: str, oldest_first: bool = False) -> Q:
    """The rows after `cursor` in newest-first order of (`moment_field`, pk).

    `oldest_first` is for the lists read the other way, soonest deadline first (the orders
    to ship): the rows after the cursor are then the later ones, by (`moment_field`, pk).
    """
    if oldest_first:
        at_or_after = Q(**{f"{moment_field}__gte": cursor.moment})
        return at_or_after & (Q(**{f"{moment_field}__gt": cursor.moment}) | Q(pk__gt=cursor.pk))
    # `moment <= cursor.moment` bounds the index range scan; the OR only trims the ties.
    at_or_before = Q(**{f"{moment_field}__lte": cursor.moment})
    return at_or_before & (Q(**{f"{moment_field}__lt": cursor.moment}) | Q(pk__lt=cursor.pk))


def page_split[Row](rows: list[Row], *, size: int, cursor_of: Callable[[Row], Cursor]) -> tuple[list[Row], str | None]:
    """Cut rows read with one too many (`[: size + 1]`) into the page and the next page's cursor.

    The extra row only says that a next page exists; the cursor is the page's last row, so the
    extra row opens the next page. The cursor is None on the last page.
    """
    if len(rows) <= size:
        return rows, None
    page = rows[:size]
    return page, cursor_encode(cursor_of(page[-1]))
