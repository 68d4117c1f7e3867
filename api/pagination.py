"""Cursor pagination: an opaque cursor (base64 of the last row's key), `next_cursor` null on the last page."""

import base64
import binascii
import json
from typing import Any

from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _

from api.problems import ApiProblem

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


def encode_cursor(payload: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> dict[str, Any]:
    try:
        payload = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        payload = None
    if not isinstance(payload, dict):
        raise invalid_cursor()
    return payload


def invalid_cursor() -> ApiProblem:
    message = _("This cursor is not valid; start again without one.")
    return ApiProblem(
        status=422, kind="invalid-input", detail=message, errors=[{"field": "cursor", "message": message}]
    )


def keyset_page[M: Model](queryset: QuerySet[M], *, cursor: str | None, limit: int) -> tuple[list[M], str | None]:
    """One page of `queryset` (ordered by -pk) after `cursor`: an index range scan at any depth."""
    if cursor:
        after = decode_cursor(cursor).get("before_id")
        if not isinstance(after, int) or isinstance(after, bool):
            raise invalid_cursor()
        queryset = queryset.filter(pk__lt=after)
    rows = list(queryset[: limit + 1])
    next_cursor = encode_cursor({"before_id": rows[limit - 1].pk}) if len(rows) > limit else None
    return rows[:limit], next_cursor
