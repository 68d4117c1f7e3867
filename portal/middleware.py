import zoneinfo
from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

from portal.http import clean_query

if TYPE_CHECKING:
    from django.http.request import _ImmutableQueryDict

LANGUAGE_COOKIE_AGE = 365 * 24 * 3600


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
        # Remember the signed-in user's language in the cookie that anonymous pages read, so
        # that the page after signing out (and its "You have signed out." message) stays in it.
        # Whoever is signed in at the end of the request (who just signed in) decides, else
        # whoever was at its start (who just signed out).
        person = next((u for u in (getattr(request, "user", None), user) if u is not None and u.is_authenticated), None)
        language = getattr(person, "language", "")
        if language and request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) != language:
            response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, max_age=LANGUAGE_COOKIE_AGE, samesite="Lax")
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
