"""Small HTTP helpers shared by every app's views."""

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, QueryDict

from portal.models import User


def request_user(request: HttpRequest) -> User:
    """The signed-in user of a view behind `login_required`, typed as the portal's user."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user


# Longer than any search, filter or cursor the site makes; a 10,000-character `q` is cut here
# instead of reaching an `icontains` scan.
QUERY_VALUE_MAX_CHARS = 1000


def _clean_query_text(raw: str) -> str:
    # PostgreSQL cannot store or compare NUL, and no person types one: drop it rather than
    # let it reach a query and fail there. Invalid UTF-8 was already replaced by U+FFFD.
    return raw.replace("\x00", "")[:QUERY_VALUE_MAX_CHARS]


def clean_query(query: QueryDict) -> QueryDict:
    """Return `query` without NUL characters and with every name and value cut to a sane length.

    Every list page reads its search, filters and cursor from the query string; this one
    cleaner (run by `QueryStringMiddleware` on every request) means no view, admin page or
    third-party view can be handed text the database refuses.
    """
    cleaned = QueryDict(mutable=True, encoding=query.encoding)
    for name, values in query.lists():
        cleaned.setlist(_clean_query_text(name), [_clean_query_text(value) for value in values])
    cleaned._mutable = False
    return cleaned
