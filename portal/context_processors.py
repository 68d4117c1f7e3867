from typing import Any

from django.http import HttpRequest

from portal.models import StoreMember
from portal.navigation import nav_read

# Where a request keeps its navigation once read: panels rendered with the request run the
# context processors again, and the bar must cost its queries once per page, not once per panel.
_MEMO = "_opinia_navigation"
_MEMBERSHIPS = "_opinia_memberships"


def _read(request: HttpRequest) -> tuple[list[StoreMember], dict[str, int]]:
    """The user's memberships and the bar's counters, one query once per request."""
    memo: tuple[list[StoreMember], dict[str, int]] | None = getattr(request, _MEMBERSHIPS, None)
    if memo is None:
        user = getattr(request, "user", None)
        memo = nav_read(user) if user is not None and user.is_authenticated else ([], {})
        setattr(request, _MEMBERSHIPS, memo)
    return memo


def request_store_memberships(request: HttpRequest) -> list[StoreMember]:
    """The signed-in user's memberships, read once per request (the bar and the panels share them)."""
    return _read(request)[0]


def viewer_works_for(request: HttpRequest, store_id: int) -> bool:
    """Whether the request's user works for the store, from the request's memberships (no query of its own)."""
    return any(membership.store_id == store_id for membership in request_store_memberships(request))


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Stores the user works for, and the cheap unread counters of the navigation bar (one query)."""
    memo: dict[str, Any] | None = getattr(request, _MEMO, None)
    if memo is not None:
        return memo
    # A request refused before the authentication middleware (a Host header not allowed, say)
    # has no user: its error page is drawn for a visitor.
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        memo = {"nav_stores": [], "nav_counts": {}}
    else:
        memberships, counts = _read(request)
        memo = {"nav_stores": [m.store for m in memberships], "nav_counts": counts}
    setattr(request, _MEMO, memo)
    return memo
