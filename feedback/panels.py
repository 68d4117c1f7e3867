"""The feedback panels on the core's pages (order pages, dashboard, store and product pages)."""

import re
from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.html import escape
from django.utils.http import urlencode
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from feedback import charts, selectors, structured_data
from messaging.selectors import store_response_stats, store_response_stats_changes_at
from portal import fragments
from portal.actions import ActionItem, moment_text, register_buyer_actions, register_store_actions
from portal.buyer_record import BuyerFact, register_buyer_facts
from portal.models import Order, Photo, Product, RequestUser, Store, User
from portal.pagination import cursor_decode, cursor_encode
from portal.panels import register_panel, register_viewer_slots
from portal.selectors import store_on_time_share

# Half a year of weeks: about the score's 180-day window.
CHART_WEEKS = 26

SORT_OPTIONS = [
    ("newest", gettext_lazy("Newest")),
    ("highest", gettext_lazy("Highest rating")),
    ("lowest", gettext_lazy("Lowest rating")),
    ("photos", gettext_lazy("With photos first")),
    ("helpful", gettext_lazy("Most helpful")),
]


def buyer_order_panel(*, request: HttpRequest, user: User, order: Order, **_: Any) -> str:
    window = selectors.window_for_order(order_id=order.pk)
    if window is None:
        return ""
    now = timezone.now()
    return render_to_string(
        "feedback/panels/buyer_order.html",
        {
            "window": window,
            "order": order,
            "can_rate": window.is_pending and window.buyer_rated_at is None and now < window.closes_at,
        },
        request=request,
    )


def seller_order_panel(*, request: HttpRequest, user: User, order: Order, store: Store, **_: Any) -> str:
    window = selectors.window_for_order(order_id=order.pk)
    if window is None:
        return ""
    now = timezone.now()
    is_open = window.is_pending and now < window.closes_at
    return render_to_string(
        "feedback/panels/seller_order.html",
        {
            "window": window,
            "order": order,
            "store": store,
            "is_open": is_open,
            "can_invite": is_open and window.buyer_rated_at is None and window.extra_invited_at is None,
        },
        request=request,
    )


def _charts(*, store: Store, now: datetime) -> dict[str, Any]:
    """The score's pictures: weeks from the daily buckets, stars from the stored counts."""
    return {
        "weeks_chart": charts.weeks_chart(selectors.store_score_weeks(store=store, now=now, weeks=CHART_WEEKS)),
        "stars_chart": charts.stars_chart(selectors.store_star_summary(store=store)),
    }


def store_dashboard_panel(*, request: HttpRequest, user: User, store: Store, **_: Any) -> str:
    now = timezone.now()
    return render_to_string(
        "feedback/panels/store_dashboard.html",
        {
            "store": store,
            "to_rate": selectors.windows_to_rate(store=store, now=now),
            "awaiting_reply": selectors.reviews_awaiting_reply(store=store),
            "score": selectors.store_score(store=store, now=now),
            **_charts(store=store, now=now),
        },
        request=request,
    )


# The store's reviews and score, as every visitor sees them: cached per store content version.
FEEDBACK = ["feedback"]
# A review's report slot in a cached list (HTML comments cannot come from escaped review text).
REPORT_SLOT = re.compile(r"<!--report:(\d+):(\d+)-->")


def fill_report_slots(html: str, user: RequestUser) -> SafeString:
    """The viewer's "Report this review" links in a cached list: signed-in visitors, not on their own reviews."""
    if not user.is_authenticated:
        return SafeString(REPORT_SLOT.sub("", html))
    label = escape(_("Report this review"))
    # The report URL of review 0, with the id put in per slot (ids are digits: nothing to escape).
    url_head, url_tail = reverse("feedback:report", args=[0]).rsplit("/0/", 1)

    def slot(match: re.Match[str]) -> str:
        review_id, buyer_id = int(match.group(1)), int(match.group(2))
        if buyer_id == user.pk:
            return ""
        return f'<p><a class="muted" href="{url_head}/{review_id}/{url_tail}">{label}</a></p>'

    return SafeString(REPORT_SLOT.sub(slot, html))


# A review's helpful slot: review id, author id and the count the list was rendered with.
HELPFUL_SLOT = re.compile(r"<!--helpful:(\d+):(\d+):(\d+)-->")
# The review lists show the helpful counts: a vote renews them (and only them).
LISTS = ["feedback", "helpful"]


def fill_helpful_slots(html: str, request: HttpRequest, user: RequestUser) -> SafeString:
    """Each review's helpful count, with the viewer's way to vote: an htmx button that also posts
    without JavaScript, a link through the login for visitors, nothing to press on one's own review.

    No query: whether the viewer already voted or works for the store is answered when they press.
    What is the same for every slot (escaped once) is made once per page, not per review.
    """
    if not HELPFUL_SLOT.search(html):
        return SafeString(html)
    back = escape(request.get_full_path())
    token = escape(get_token(request)) if user.is_authenticated else ""
    # The vote URL of review 0, with the id put in per slot (ids are digits: nothing to escape).
    url_head, url_tail = reverse("feedback:helpful", args=[0]).rsplit("/0/", 1)
    login_query = escape(urlencode({"next": request.get_full_path()}))
    sign_in = escape(_("Helpful? Sign in to say so"))
    label = escape(_("Helpful"))
    texts: dict[int, str] = {}

    def counted_text(count: int) -> str:
        if count not in texts:
            texts[count] = escape(
                ngettext("%(n)s person found this helpful", "%(n)s people found this helpful", count) % {"n": count}
            )
        return texts[count]

    def slot(match: re.Match[str]) -> str:
        review_id, author_id, count = (int(group) for group in match.groups())
        # The same markup as feedback/_helpful_button.html (which htmx swaps in).
        counted = (
            f'<span class="helpful" id="helpful-{review_id}"><span class="muted">{counted_text(count)}</span></span>'
        )
        url = f"{url_head}/{review_id}/{url_tail}"
        if not user.is_authenticated:
            return f'<p class="helpful-line">{counted} <a class="muted" href="{url}?{login_query}">{sign_in}</a></p>'
        if author_id == user.pk:
            return f'<p class="helpful-line">{counted}</p>'
        return (
            f'<form class="helpful-line" method="post" action="{url}" hx-post="{url}" hx-target="#helpful-{review_id}"'
            f' hx-swap="outerHTML"><input type="hidden" name="csrfmiddlewaretoken" value="{token}">'
            f'<input type="hidden" name="next" value="{back}">{counted} '
            f'<button type="submit" class="btn-small">{label}</button></form>'
        )

    return SafeString(HELPFUL_SLOT.sub(slot, html))


def viewer_slots(html: str, request: HttpRequest, user: RequestUser) -> SafeString:
    """The review lists' per-viewer parts: helpful buttons and report links (`portal.panels` calls it)."""
    return fill_report_slots(fill_helpful_slots(html, request, user), user)


def _list_variant(filters: selectors.ReviewFilters, cursor: str | None) -> tuple[object, ...]:
    """What a list page depends on: the filters and the position, decoded (any damaged cursor is the first page)."""
    position = cursor_decode(cursor)
    return (sorted(filters.as_query().items()), cursor_encode(position) if position else None, bool(cursor))


def store_score_part(*, store: Store, now: datetime) -> tuple[SafeString, dict[str, Any] | None]:
    """The score header, its explanation and charts, with the JSON-LD aggregate of the same stars:
    the same for every visitor, until a rating changes it."""

    def build() -> tuple[tuple[SafeString, dict[str, Any] | None], datetime | None]:
        summary = selectors.store_star_summary(store=store)
        # The store's on-time share of promised shipments sits beside the shipping-speed rating.
        on_time, on_time_changes_at = store_on_time_share(store=store, now=now)
        html = render_to_string(
            "feedback/panels/_store_score.html",
            {
                "score": selectors.store_score(store=store, now=now),
                "summary": summary,
                "on_time": on_time,
                "weeks_chart": charts.weeks_chart(selectors.store_score_weeks(store=store, now=now, weeks=CHART_WEEKS)),
                "stars_chart": charts.stars_chart(summary),
            },
        )
        moments = [
            moment
            for moment in (selectors.store_score_changes_at(store=store, now=now), on_time_changes_at)
            if moment is not None
        ]
        return (SafeString(html), structured_data.aggregate_rating(summary)), min(moments, default=None)

    # Named apart from the HTML-only entries this replaced: their values had another shape.
    return fragments.cached(
        name="feedback.store_score.ld", topics=[*FEEDBACK, "shipments"], store_id=store.pk, build=build, now=now
    )


def _store_page_filters(request: HttpRequest) -> selectors.ReviewFilters:
    # The store page offers the sorts (and the automatic ratings' own list), not the product filters.
    chosen = selectors.filters_from_params(request.GET)
    return selectors.ReviewFilters(sort=chosen.sort, automatic=chosen.automatic)


def store_page_variant(request: HttpRequest) -> tuple[object, ...]:
    """What the store page's review list reads of the request: its sort and position."""
    return _list_variant(_store_page_filters(request), request.GET.get("after"))


def store_page_panel(*, request: HttpRequest, user: RequestUser, store: Store, **_: Any) -> str:
    cursor = request.GET.get("after")
    now = timezone.now()
    filters = _store_page_filters(request)

    def build() -> tuple[tuple[SafeString, list[dict[str, Any]]], None]:
        # The count of automatic ratings does not move with the cursor: kept once for every position.
        automatic_count = fragments.cached(
            name="feedback.store_reviews.automatic",
            topics=LISTS,
            store_id=store.pk,
            variant=(filters.automatic,),
            build=lambda: (selectors.store_automatic_count(store=store, filters=filters), None),
            localized=False,
        )
        page = selectors.store_reviews(store=store, filters=filters, cursor=cursor, automatic_count=automatic_count)
        html = render_to_string(
            "feedback/panels/_store_reviews.html",
            {
                "page": page,
                "filters": page.filters,
                "filter_query": page.filters.as_query(),
                "sort_options": SORT_OPTIONS,
                "is_deep": bool(cursor),
            },
        )
        return (SafeString(html), structured_data.review_items(page.reviews)), None

    reviews, review_items = fragments.cached(
        name="feedback.store_reviews.ld",
        topics=LISTS,
        store_id=store.pk,
        variant=_list_variant(filters, cursor),
        build=build,
        now=now,
    )
    score, aggregate = store_score_part(store=store, now=now)
    jsonld = structured_data.thing(
        kind="Organization",
        name=store.name,
        url=reverse("portal:store_page", args=[store.slug]),
        aggregate=aggregate,
        reviews=review_items,
    )
    return structured_data.json_ld_script(jsonld) + score + reviews


def product_page_variant(request: HttpRequest) -> tuple[object, ...]:
    """What the product page's review list reads of the request: its filters, sort and position."""
    return _list_variant(selectors.filters_from_params(request.GET), request.GET.get("after"))


def product_page_panel(*, request: HttpRequest, user: RequestUser, store: Store, product: Product, **_: Any) -> str:
    cursor = request.GET.get("after")
    filters = selectors.filters_from_params(request.GET)

    def build_head() -> tuple[tuple[selectors.StarSummary, list[Photo], int], None]:
        return (
            selectors.product_star_summary(product=product),
            selectors.product_photo_strip(product=product),
            selectors.product_automatic_count(product=product, filters=filters),
        ), None

    def build() -> tuple[SafeString, None]:
        # What does not move with the cursor (the stars, the buyers' photos, the count of
        # automatic ratings) is kept apart, under the same versions: a page at a new position
        # reads only its own rows.
        summary, strip, automatic_count = fragments.cached(
            name="feedback.product_reviews.head",
            topics=LISTS,
            store_id=store.pk,
            # The count depends on the filters, not on the sort.
            variant=(product.pk, filters.stars, filters.with_photos, filters.with_additional, filters.automatic),
            build=build_head,
            localized=False,
        )
        page = selectors.product_reviews(
            product=product, filters=filters, cursor=cursor, automatic_count=automatic_count
        )
        jsonld = structured_data.thing(
            kind="Product",
            name=product.title,
            url=reverse("portal:product_page", args=[store.slug, product.slug]),
            aggregate=structured_data.aggregate_rating(summary),
            reviews=structured_data.review_items(page.reviews),
        )
        html = render_to_string(
            "feedback/panels/product_page.html",
            {
                "jsonld": structured_data.json_ld_script(jsonld),
                "summary": summary,
                "strip": strip,
                "page": page,
                "filters": page.filters,
                "filter_query": page.filters.as_query(),
                "star_options": [5, 4, 3, 2, 1],
                "sort_options": SORT_OPTIONS,
                "is_deep": bool(cursor),
            },
        )
        return SafeString(html), None

    html = fragments.cached(
        name="feedback.product_reviews",
        topics=LISTS,
        store_id=store.pk,
        # The title is in the JSON-LD: a renamed product is never described by its old name.
        variant=(product.pk, product.title, *_list_variant(filters, cursor)),
        build=build,
    )
    return html


def store_trust_panel(*, request: HttpRequest, user: RequestUser, store: Store, **_: Any) -> str:
    """The store's standing where a buyer decides (product and order pages): the score's header
    and the response rate, from the same selectors as the store page; cached until either changes."""
    now = timezone.now()

    def build() -> tuple[SafeString, datetime | None]:
        html = render_to_string(
            "feedback/_store_trust.html",
            {
                "store": store,
                "score": selectors.store_score(store=store, now=now),
                "response": store_response_stats(store=store, now=now),
            },
        )
        moments = [
            moment
            for moment in (
                selectors.store_score_changes_at(store=store, now=now),
                store_response_stats_changes_at(store=store, now=now),
            )
            if moment is not None
        ]
        return SafeString(html), min(moments, default=None)

    # The store's name is in the panel: keyed by it too, so a renamed store is never shown by its old name.
    return fragments.cached(
        name="feedback.store_trust",
        topics=["feedback", "responses"],
        store_id=store.pk,
        variant=(store.name, store.slug),
        build=build,
        now=now,
    )


def buyer_home_panel(*, request: HttpRequest, user: User, **_: Any) -> str:
    windows = selectors.windows_awaiting_buyer(user=user, now=timezone.now())
    if not windows:
        return ""
    return render_to_string("feedback/panels/buyer_home.html", {"windows": windows}, request=request)


def store_actions(*, store: Store, now: datetime) -> list[ActionItem]:
    """Buyers to rate and reviews awaiting a reply: the dashboard's two lists, counted."""
    items = []
    dashboard = reverse("portal:store_dashboard", args=[store.slug])
    soonest = selectors.windows_to_rate(store=store, now=now, limit=1)
    if soonest:
        to_rate = selectors.windows_to_rate_count(store=store, now=now)
        items.append(
            ActionItem(
                key="buyers_to_rate",
                count=to_rate,
                text=ngettext("%(n)d buyer to rate", "%(n)d buyers to rate", to_rate) % {"n": to_rate},
                url=dashboard + "#fb-to-give",
                detail=_("Next window closes: %(when)s") % {"when": moment_text(soonest[0].closes_at)},
            )
        )
    awaiting = selectors.reviews_awaiting_reply_count(store=store)
    if awaiting:
        items.append(
            ActionItem(
                key="reviews_awaiting_reply",
                count=awaiting,
                text=ngettext("%(n)d review awaiting a reply", "%(n)d reviews awaiting a reply", awaiting)
                % {"n": awaiting},
                url=dashboard + "#fb-awaiting",
            )
        )
    return items


def buyer_actions(*, user: User, now: datetime) -> list[ActionItem]:
    soonest = selectors.windows_awaiting_buyer(user=user, now=now, limit=1)
    if not soonest:
        return []
    count = selectors.windows_awaiting_buyer_count(user=user, now=now)
    return [
        ActionItem(
            key="orders_to_rate",
            count=count,
            text=ngettext("%(n)d order to rate", "%(n)d orders to rate", count) % {"n": count},
            url=reverse("feedback:my_feedback"),
            detail=_("Next window closes: %(when)s") % {"when": moment_text(soonest[0].closes_at)},
        )
    ]


def buyer_facts(*, buyer: User, store: Store) -> list[BuyerFact]:
    """The published ratings sellers gave the buyer, for the buyer's record."""
    count, average = selectors.buyer_ratings_received(buyer=buyer)
    if not count or average is None:
        value = _("None published yet")
    else:
        value = ngettext(
            "%(average)s★ average of %(count)s rating", "%(average)s★ average of %(count)s ratings", count
        ) % {"average": number_format(average, 1), "count": count}
    return [BuyerFact(label=gettext_lazy("Ratings from sellers"), value=value)]


def register() -> None:
    register_buyer_facts(buyer_facts)
    register_panel("buyer_home", buyer_home_panel)
    register_panel("buyer_order", buyer_order_panel)
    register_panel("seller_order", seller_order_panel)
    register_panel("store_dashboard", store_dashboard_panel)
    register_panel("store_page", store_page_panel, variant=store_page_variant)
    register_viewer_slots(viewer_slots)
    register_panel("product_page", product_page_panel, variant=product_page_variant)
    register_panel("store_trust", store_trust_panel)
    register_store_actions(store_actions)
    register_buyer_actions(buyer_actions)
    fragments.register_photo_content(selectors.stores_showing_photo)
    fragments.register_user_content(selectors.stores_showing_buyer)
