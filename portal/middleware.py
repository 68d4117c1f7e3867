import zoneinfo
from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

from portal.http import clean_query

if TYPE_CHECKING:
    from django.http.request import _ImmutableQueryDict


class UserPreferencesMiddleware:
    """Show a signed-in user the site in their remembered language and time zone."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            if user.language:
                translation.activate(user.language)
                request.LANGUAGE_CODE = translation.get_language()
            try:
                timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        else:
            timezone.deactivate()
        response = self.get_response(request)
        if user is not None and user.is_authenticated:
            response.headers.setdefault("Content-Language", translation.get_language())
        return response


class QueryStringMiddleware:
    """Clean every request's query string once, before any view reads it (see `clean_query`)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.GET:
            # The stubs type request.GET as an immutable QueryDict, which `clean_query` returns.
            request.GET = cast("_ImmutableQueryDict", clean_query(request.GET))
        return self.get_response(request)
