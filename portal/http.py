"""Small HTTP helpers shared by every app's views."""

from collections.abc import Callable, Sequence
from functools import wraps
from typing import Concatenate

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, QueryDict
from django_htmx.http import HttpResponseClientRefresh
from django_htmx.middleware import HtmxDetails

from portal.models import User


def request_user(request: HttpRequest) -> User:
    """The signed-in user of a view behind `login_required`, typed as the portal's user."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user


class HtmxHttpRequest(HttpRequest):
    """A request as `HtmxMiddleware` leaves it: `request.htmx` is true for a request htmx made."""

    htmx: HtmxDetails


class HttpResponseClientRefreshNoContent(HttpResponseClientRefresh):
    """Tell htmx to reload the whole page, with 204 rather than django-htmx's 200.

    htmx reloads on `HX-Refresh` whatever the status; 204 also says there is nothing to
    swap, so a client that ignores the header pastes nothing.
    """

    status_code = 204


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


# Every method a browser or a client library sends. Anything else is refused before a view
# loads anything: the same 405 for every URL, so it tells a stranger nothing.
HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def object_view[RequestT: HttpRequest, Loaded, **UrlArgs](
    *, load: Callable[Concatenate[HttpRequest, UrlArgs], Loaded], methods: Sequence[str]
) -> Callable[
    [Callable[Concatenate[RequestT, Loaded, UrlArgs], HttpResponse]],
    Callable[Concatenate[RequestT, UrlArgs], HttpResponse],
]:
    """Load the user's object with `load`, then refuse a method outside `methods` with 405.

    `load` gets the request and the URL's arguments and raises Http404 for "missing or not
    yours"; the view gets what it returned after the request (which the view may type more
    narrowly, as an `HtmxHttpRequest`). Loading first means a stranger gets the same 404
    whatever the method, and only the owner learns from a 405 that the URL exists. `methods`
    are exactly the methods answered: list HEAD where GET's HEAD is wanted.
    """
    allowed = list(methods)

    def decorator(
        view: Callable[Concatenate[RequestT, Loaded, UrlArgs], HttpResponse],
    ) -> Callable[Concatenate[RequestT, UrlArgs], HttpResponse]:
        @wraps(view)
        def wrapper(request: RequestT, /, *args: UrlArgs.args, **kwargs: UrlArgs.kwargs) -> HttpResponse:
            if request.method not in HTTP_METHODS:
                return HttpResponseNotAllowed(allowed)
            loaded = load(request, *args, **kwargs)
            if request.method not in allowed:
                return HttpResponseNotAllowed(allowed)
            return view(request, loaded, *args, **kwargs)

        return wrapper

    return decorator
