"""The public read API's kept answers, served ahead of the site's session and sign-in middleware.

A marketplace asks for a product's reviews and its store's score on every view of its own
product page: the busiest requests Opinia answers, the same for every caller, and kept in the
cache already (`fragments.cached`, renewed when the store's ratings change). Such a request has
no use for what the site's middleware does for a person in a browser (session, sign-in,
preferences, CSRF, messages, htmx), nor for the database: on the 2-core benchmark machine that
work cost three times the answer itself.

`PublicReadsMiddleware` stands after the security headers and before the session. It answers a
cookie-less GET of a public read from the cache, through the operation's own steps, in one round
trip to Redis (`portal.cache.count_and_get_many`): the client's rate-limit counter, the kept
answer, the store's versions it was built under, and the version the ids its slugs led to hold
under; then the ETag and its 304. What it cannot answer from the
cache as the operation would (a miss, a parameter the operation would refuse, an unknown store,
a client over its limit, any cookie) goes on through the whole stack to the operation, which
answers it as documented and keeps the entry the next request is served from. Its answers carry
the headers the skipped middleware would have added (`Vary`, the language, framing), so a client
cannot tell which way a read went.

**Slugs without the database.** What a URL's slugs lead to (a store's id, a product's) is kept in
each process with the store's `profile` version at the time of the lookup. Every change to what
they lead to saves a store or a product (a slug changed, a product taken down, moved or deleted),
which renews that version (portal.apps, `_renew_store_profiles_on_save`; bulk writes call
`fragments.content_changed` themselves): the next read finds the version moved and goes to the
operation, which reads the database.
"""

import re
from collections.abc import Callable
from time import monotonic
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import DisallowedHost
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language_from_request

from api.auth import PUBLIC_RATE_COUNTED, public_rate_counted, public_rate_hit, public_rate_window
from api.routers import public
from portal import cache as shared_cache
from portal import fragments
from portal import selectors as portal_selectors

# `public.SLUG_PATTERN` without its anchors, and the operations' paths under /api/v1/ (a test
# checks the patterns against the operations' own URLs).
_SLUG = public.SLUG_PATTERN.removeprefix("^").removesuffix("$")
PRODUCT_REVIEWS = re.compile(rf"/api/v1/public/stores/(?P<slug>{_SLUG})/products/(?P<product_slug>{_SLUG})/reviews")
STORE_SCORE = re.compile(rf"/api/v1/public/stores/(?P<slug>{_SLUG})/score")
# The operation's limit on a cursor's length: a longer one is the operation's 422 to answer.
CURSOR_MAX_LENGTH = 200

# What slugs led to, in this process: (what was asked, its slugs) → (the object's id, its store's
# id, the store's `profile` version they hold under, when they were looked up), checked against
# the cache on every read (as current as the cache, without a round trip of its own), and looked
# up again after KEPT_IDS_SECONDS whatever the version says: a write that renews no version (a
# data fix in SQL, a database restored under a running cache) shows within that time. The
# oldest are forgotten first beyond KEPT_IDS_MAX.
Ids = tuple[int, int, str, float]
_KEPT_IDS: dict[tuple[str, ...], Ids] = {}
KEPT_IDS_MAX = 10_000
KEPT_IDS_SECONDS = 1.0


def forget_kept_ids() -> None:
    """Forget what slugs led to in this process (each test's database starts anew)."""
    _KEPT_IDS.clear()


class PublicReadsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.method == "GET" and not request.META.get("HTTP_COOKIE") and request.path_info.startswith("/api/"):
            try:
                # As CommonMiddleware would: a Host the site does not serve is its 400, not an answer.
                request.get_host()
            except DisallowedHost:
                return self.get_response(request)
            response = _kept_answer(request)
            if response is not None:
                return response
        return self.get_response(request)


def _kept_answer(request: HttpRequest) -> HttpResponse | None:
    path = request.path_info
    if (match := PRODUCT_REVIEWS.fullmatch(path)) is not None:
        return product_reviews_kept(request, slug=match["slug"], product_slug=match["product_slug"])
    if (match := STORE_SCORE.fullmatch(path)) is not None:
        return store_score_kept(request, slug=match["slug"])
    return None


def product_reviews_kept(request: HttpRequest, *, slug: str, product_slug: str) -> HttpResponse | None:
    """`public.product_reviews`'s answer when it is kept, else None (the operation answers)."""
    answerable, cursor = _cursor(request)
    if not answerable:
        return None

    def lookup() -> tuple[int, int]:
        return portal_selectors.product_ids_public_by_slugs(store_slug=slug, product_slug=product_slug)

    return _kept(
        request,
        asked=("product", slug, product_slug),
        lookup=lookup,
        part=lambda product_id, store_id: public.product_reviews_part(
            request, product_id=product_id, store_id=store_id, cursor=cursor
        ),
    )


def store_score_kept(request: HttpRequest, *, slug: str) -> HttpResponse | None:
    """`public.store_score`'s answer when it is kept, else None (the operation answers)."""
    if request.META.get("QUERY_STRING"):
        return None

    def lookup() -> tuple[int, int]:
        store_id = portal_selectors.store_get_public(slug=slug).pk
        return store_id, store_id

    return _kept(
        request,
        asked=("store", slug),
        lookup=lookup,
        part=lambda _store_id, store_id: public.store_score_part(store_id=store_id),
    )


def _kept(
    request: HttpRequest,
    *,
    asked: tuple[str, ...],
    lookup: Callable[[], tuple[int, int]],
    part: Callable[[int, int], dict[str, Any]],
) -> HttpResponse | None:
    """The kept entry `part(object id, store id)` names for the ids `asked`'s slugs lead to, as the
    operation answers it; None when it is not kept (or the ids may have moved)."""
    ids = _KEPT_IDS.get(asked)
    try:
        if ids is None or monotonic() - ids[3] >= KEPT_IDS_SECONDS:
            # To the database: the client is counted first, as the operation counts it first.
            if public_rate_hit(request) is not None:
                return None
            ids = _ids(lookup)
            _keep(asked, ids)
        object_id, store_id, profile_version, _looked_up = ids
        reading = fragments.lookup(**part(object_id, store_id), held={"profile": profile_version})
        if hasattr(request, PUBLIC_RATE_COUNTED):
            found = cache.get_many(reading.keys)
        else:
            # One round trip: the client's counter, the kept answer, the store's versions.
            window = public_rate_window(request)
            counted, found = shared_cache.count_and_get_many(window.key, window.timeout, reading.keys)
            if public_rate_counted(request, window, counted) is not None:
                return None  # over the limit: the operation answers the 429
        kept = reading.value(found)
    except fragments.HeldVersionMoved:
        # The store's profile moved (a slug changed, a product taken down or moved): the operation
        # answers, and the next read looks the slugs up again.
        _KEPT_IDS.pop(asked, None)
        return None
    except Http404:
        return None
    if kept is None:  # not built yet: the operation builds it
        return None
    body, etag = kept
    return _as_the_stack_would(request, public.cached_json(request, body, etag=etag))


def _keep(asked: tuple[str, ...], ids: Ids) -> None:
    _KEPT_IDS.pop(asked, None)  # to the end: the oldest lookups are forgotten first
    while len(_KEPT_IDS) >= KEPT_IDS_MAX:
        try:
            del _KEPT_IDS[next(iter(_KEPT_IDS))]
        except (KeyError, StopIteration, RuntimeError):  # another thread changed it meanwhile
            break
    _KEPT_IDS[asked] = ids


def _ids(lookup: Callable[[], tuple[int, int]]) -> Ids:
    """(object id, store id) the slugs lead to, with the store's `profile` version they hold under
    and the moment of the lookup.

    The slugs are looked up again once the version is read: a change committed between the first
    lookup and the version's read is then in the ids kept, and one committed later moves the
    version again (`fragments.content_changed` renews it after the commit).
    """
    _object_id, store_id = lookup()
    (profile_version,) = fragments.content_versions(topics=["profile"], store_id=store_id)
    object_id, store_id_now = lookup()
    if store_id_now != store_id:
        # The slug went to another store between the two lookups: not kept this time.
        raise Http404("The slugs are moving.")
    return object_id, store_id, profile_version, monotonic()


def _cursor(request: HttpRequest) -> tuple[bool, str | None]:
    """(whether this path answers the query as the operation would, the page's cursor or None for
    the first page): only an empty query or one well-formed `cursor`."""
    if not request.META.get("QUERY_STRING"):
        return True, None
    if set(request.GET) != {"cursor"} or len(request.GET.getlist("cursor")) != 1:
        return False, None
    cursor = request.GET["cursor"]
    # Longer than its limit is refused before the operation counts the client; an undecodable
    # one is refused after, and no entry is ever kept for it.
    if not cursor or len(cursor) > CURSOR_MAX_LENGTH:
        return False, None
    return True, cursor


def _as_the_stack_would(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """The headers the skipped middleware adds to an API answer to a request without cookies:
    the length (CommonMiddleware), the language chosen from Accept-Language (LocaleMiddleware),
    Vary on it and on the cookie the session would have looked for, and the framing rule
    (XFrameOptionsMiddleware)."""
    response["Content-Length"] = str(len(response.content))
    response["Content-Language"] = get_language_from_request(request)
    patch_vary_headers(response, ("Accept-Language", "Cookie"))
    response["X-Frame-Options"] = settings.X_FRAME_OPTIONS
    return response
