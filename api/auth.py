"""`Authorization: Bearer <key>`: who is calling, in which language, within which limits.

One callable per operation's needs (`integration_key("orders:write")`, `store_key("feedback:read")`)
so that the OpenAPI document shows the bearer scheme on each operation and a missing scope is a 403.
"""

from allauth.core.internal.ratelimit import get_ip
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from ninja.security import HttpBearer

from api import selectors, services
from api.models import ApiKey
from api.problems import ApiProblem
from api.ratelimit import RateWindow, rate_limit_hit, rate_window
from portal.models import Store


def supported_language(code: str) -> bool:
    return code in dict(settings.LANGUAGES)


def body_limit(*, photos: int = 0) -> int:
    """The largest body an operation reads: OPINIA_API_MAX_BODY_BYTES, plus room for its photos."""
    return settings.OPINIA_API_MAX_BODY_BYTES + photos * settings.OPINIA_PHOTO_MAX_BYTES


def check_body_size(request: HttpRequest, *, photos: int = 0) -> None:
    """Refuse a body above the operation's limit before anything reads it."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    limit = body_limit(photos=photos)
    if length > limit:
        raise ApiProblem(
            status=413,
            kind="body-too-large",
            detail=_("The request body may be at most %(limit)d bytes.") % {"limit": limit},
        )


def check_rate(*, bucket: str) -> None:
    refuse_over_limit(rate_limit_hit(bucket=bucket, rate=settings.OPINIA_API_RATE_LIMIT))


def refuse_over_limit(retry_after: int | None) -> None:
    """429 with Retry-After when a limit was hit (`retry_after`: seconds until its window resets)."""
    if retry_after is not None:
        raise ApiProblem(
            status=429,
            kind="too-many-requests",
            detail=_("Try again in %(seconds)d seconds.") % {"seconds": retry_after},
            headers={"Retry-After": str(retry_after)},
        )


class ApiKeyAuth(HttpBearer):
    """A valid key of `kind` holding `scope`; sets `request.auth` to the ApiKey.

    `photos`: how many photos the operation accepts as multipart files, each of which may be up
    to OPINIA_PHOTO_MAX_BYTES on top of the ordinary body limit.
    """

    def __init__(self, *, kind: str, scope: str | None, photos: int = 0) -> None:
        super().__init__()
        self.kind = kind
        self.scope = scope
        self.photos = photos

    def __call__(self, request: HttpRequest) -> ApiKey | None:
        key = super().__call__(request)
        if key is None:
            raise ApiProblem(status=401, kind="unauthenticated", headers={"WWW-Authenticate": "Bearer"})
        return key

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey | None:
        now = timezone.now()
        key = selectors.api_key_authenticate(raw_key=token)
        if key is None or key.revoked_at is not None or (key.expires_at is not None and key.expires_at <= now):
            return None
        # Problems read in the caller's Accept-Language (LocaleMiddleware chose it), else in the
        # language of the person who created the key.
        if (
            "HTTP_ACCEPT_LANGUAGE" not in request.META
            and key.created_by
            and supported_language(key.created_by.language)
        ):
            translation.activate(key.created_by.language)
            request.LANGUAGE_CODE = key.created_by.language
        check_rate(bucket=f"key:{key.pk}")
        check_body_size(request, photos=self.photos)
        if key.kind != self.kind or (self.scope is not None and self.scope not in key.scopes):
            raise ApiProblem(
                status=403,
                kind="forbidden",
                detail=_("This operation needs a key with the scope %(scope)s.") % {"scope": self.scope or self.kind},
            )
        if services.api_key_touch(key=key, now=now):
            selectors.api_key_remember_use(raw_key=token, key=key)
        return key


def integration_key(scope: str) -> ApiKeyAuth:
    return ApiKeyAuth(kind=ApiKey.Kind.INTEGRATION, scope=scope)


def store_key(scope: str | None = None, *, photos: int = 0) -> ApiKeyAuth:
    return ApiKeyAuth(kind=ApiKey.Kind.STORE, scope=scope, photos=photos)


def request_key(request: HttpRequest) -> ApiKey:
    key = request.auth  # type: ignore[attr-defined]
    assert isinstance(key, ApiKey)
    return key


def request_store(request: HttpRequest) -> Store:
    """The one store a store key acts for: every store-key operation looks objects up inside it."""
    key = request_key(request)
    assert key.store is not None
    return key.store


def public_rate_check(request: HttpRequest) -> None:
    """The public read API has no key: its limit is per client address (429 over it)."""
    refuse_over_limit(public_rate_hit(request))


def public_rate_hit(request: HttpRequest) -> int | None:
    """Count the request against its client address's limit: None within it, else the seconds
    until its window resets. Counted once per request, however often asked (the reads answered
    ahead of the middleware count it before a miss passes it on to the operation)."""
    if not hasattr(request, PUBLIC_RATE_COUNTED):
        setattr(request, PUBLIC_RATE_COUNTED, public_rate_window(request).hit())
    retry_after: int | None = getattr(request, PUBLIC_RATE_COUNTED)
    return retry_after


def public_rate_window(request: HttpRequest) -> RateWindow:
    """The window of the public limit the request falls in, for its client address.

    The address is allauth's `get_ip`, as for the site's own limits: behind the proxy
    (ALLAUTH_TRUSTED_PROXY_COUNT / ALLAUTH_TRUSTED_CLIENT_IP_HEADER) the client's, not the
    proxy's, else every visitor would share one bucket; IPv6 grouped by prefix.
    """
    try:
        address = get_ip(request)
    except (PermissionDenied, ImproperlyConfigured):
        # A forwarded header that names no usable address: the connection's own address.
        address = request.META.get("REMOTE_ADDR", "")
    return rate_window(bucket=f"ip:{address}", rate=settings.OPINIA_API_RATE_LIMIT)


def public_rate_counted(request: HttpRequest, window: RateWindow, counted: int) -> int | None:
    """The request was the `counted`-th of its window (counted by the caller, with its own reads):
    remembered for `public_rate_hit`; None within the limit, else the seconds to wait."""
    retry_after = window.retry_after(counted)
    setattr(request, PUBLIC_RATE_COUNTED, retry_after)
    return retry_after


# The request attribute holding what counting it against the public limit answered.
PUBLIC_RATE_COUNTED = "_opinia_public_rate"
