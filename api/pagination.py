"""Cursor pagination for the API: the house's one keyset helper (`portal.pagination`), with one difference.

The pages and the API share the cursor (base64 of "moment|id"), the condition (`rows_after`)
and the page cut (`page_split`). Only a damaged cursor is answered differently: a page reads
it as "no cursor" (a person sees the first page again), while a program that sent a cursor it
did not get from us must be told so, not silently restarted and led into a loop: a 422 naming
`cursor`. That is all this module adds.
"""

from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _

from api.problems import ApiProblem
from portal.pagination import Cursor, cursor_decode, page_split, rows_after

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


def invalid_cursor() -> ApiProblem:
    message = _("This cursor is not valid; start again without one.")
    return ApiProblem(
        status=422, kind="invalid-input", detail=message, errors=[{"field": "cursor", "message": message}]
    )


def decode_cursor(raw: str | None) -> Cursor | None:
    """The cursor in `raw`; None for no cursor; a 422 naming `cursor` for anything that is not one."""
    if not raw:
        return None
    cursor = cursor_decode(raw)
    if cursor is None or cursor.group is not None:
        raise invalid_cursor()
    return cursor


def keyset_page[M: Model](
    queryset: QuerySet[M], *, cursor: str | None, limit: int, moment_field: str
) -> tuple[list[M], str | None]:
    """One page of `queryset`, newest first by (`moment_field`, id), after `cursor`.

    An index range scan at any depth where the list has an index on (…, -moment, -id).
    """
    queryset = queryset.order_by(f"-{moment_field}", "-pk")
    position = decode_cursor(cursor)
    if position is not None:
        queryset = queryset.filter(rows_after(position, moment_field=moment_field))
    rows = list(queryset[: limit + 1])
    return page_split(rows, size=limit, cursor_of=lambda row: Cursor(getattr(row, moment_field), row.pk))
