import zoneinfo
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers

from portal.http import clean_query

if TYPE_CHECKING:
    from django.http.request import _ImmutableQueryDict

LANGUAGE_COOKIE_AGE = 365 * 24 * 3600


def keyed_api_request(request: HttpRequest) -> bool:
    """A request to the API that carries a key (`Authorization`) and no cookie at all.

    Such a request has no session, so it is anonymous to the site and has no messages to
    show: the site's session, sign-in, preferences and messages middleware let it pass
    untouched, and it skips their work (a marketplace sends thousands of them). Whatever they
    would have left on its response is left the same way (below).
    A request with any cookie (a browser on the API's docs, say) goes the whole way.
    """
    meta = request.META
    return "HTTP_AUTHORIZATION" in meta and not meta.get("HTTP_COOKIE") and request.path_info.startswith("/api/")


class SiteSessionMiddleware(SessionMiddleware):
    """Sessions, but not for keyed API requests. Their responses still vary by Cookie, as when
    the session middleware looked for a session cookie (signing-in always looks) and found none."""

    def __call__(self, request: HttpRequest) -> Any:
        if self.async_mode or not keyed_api_request(request):
            return super().__call__(request)
        response = cast("HttpResponseBase", self.get_response(request))  # synchronous here
        patch_vary_headers(response, ("Cookie",))
        return response


class SiteAuthenticationMiddleware(AuthenticationMiddleware):
    """Signing in, but not for keyed API requests: without a session cookie they are anonymous."""

    def __call__(self, request: HttpRequest) -> Any:
        if self.async_mode or not keyed_api_request(request):
            return super().__call__(request)
        request.user = AnonymousUser()
        request.auser = _anonymous
        return self.get_response(request)


async def _anonymous() -> AnonymousUser:
    return AnonymousUser()


class SiteMessageMiddleware(MessageMiddleware):
    """The site's flash messages, but not for keyed API requests (which never show one)."""

    def __call__(self, request: HttpRequest) -> Any:
        if self.async_mode or not keyed_api_request(request):
            return super().__call__(request)
        return self.get_response(request)


class UserPreferencesMiddleware:
    """Show a signed-in user the site in their remembered language and time zone."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if keyed_api_request(request):  # anonymous (no cookie): no language, time zone or cookie of its own
            timezone.deactivate()
            return self.get_response(request)
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
