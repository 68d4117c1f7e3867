"""The feedback panels on the core's pages (order pages, dashboard, store and product pages)."""

import re
from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from feedback import charts, selectors
from messaging.selectors import store_response_stats, store_response_stats_changes_at
from portal import fragments
from portal.actions import ActionItem, moment_text, register_buyer_actions, register_store_actions
from portal.buyer_record import BuyerFact, register_buyer_facts
from portal.models import Order, Product, RequestUser, Store, User
from portal.pagination import cursor_decode, cursor_encode
from portal.panels import register_panel
from portal.selectors import store_on_time_share

# Half a year of weeks: about the score's 180-day window.
CHART_WEEKS = 26

SORT_OPTIONS = [
    ("newest", gettext_lazy("Newest")),
    ("highest", gettext_lazy("Highest rating")),
    ("lowest", gettext_lazy("Lowest rating")),
    ("photos", gettext_lazy("With photos first")),
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
    label = _("Report this review")

    def slot(match: re.Match[str]) -> str:
        review_id, buyer_id = int(match.group(1)), int(match.group(2))
        if buyer_id == user.pk:
            return ""
        return format_html(
            '<p><a class="muted" href="{}">{}</a></p>', reverse("feedback:report", args=[review_id]), label
        )

    return SafeString(REPORT_SLOT.sub(slot, html))


def _list_variant(filters: selectors.ReviewFilters, cursor: str | None) -> tuple[object, ...]:
    """What a list page depends on: the filters and the position, decoded (any damaged cursor is the first page)."""
    position = cursor_decode(cursor)
    return (sorted(filters.as_query().items()), cursor_encode(position) if position else None, bool(cursor))


def store_score_html(*, store: Store, now: datetime) -> SafeString:
    """The score header, its explanation and charts: the same for every visitor, until a rating changes it."""

    def build() -> tuple[SafeString, datetime | None]:
        # The store's on-time share of promised shipments sits beside the shipping-speed rating.
        on_time, on_time_changes_at = store_on_time_share(store=store, now=now)
        html = render_to_string(
            "feedback/panels/_store_score.html",
            {"score": selectors.store_score(store=store, now=now), "on_time": on_time, **_charts(store=store, now=now)},
        )
        moments = [
            moment
            for moment in (selectors.store_score_changes_at(store=store, now=now), on_time_changes_at)
            if moment is not None
        ]
        return SafeString(html), min(moments, default=None)

    return fragments.cached(
        name="feedback.store_score", topics=["feedback", "shipments"], store_id=store.pk, build=build, now=now
    )


def store_page_panel(*, request: HttpRequest, user: RequestUser, store: Store, **_: Any) -> str:
    cursor = request.GET.get("after")
    now = timezone.now()
    # The store page offers the sorts (and the automatic ratings' own list), not the product filters.
    chosen = selectors.filters_from_params(request.GET)
    filters = selectors.ReviewFilters(sort=chosen.sort, automatic=chosen.automatic)

    def build() -> tuple[SafeString, None]:
        page = selectors.store_reviews(store=store, filters=filters, cursor=cursor)
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
        return SafeString(html), None

    reviews = fragments.cached(
        name="feedback.store_reviews",
        topics=FEEDBACK,
        store_id=store.pk,
        variant=_list_variant(filters, cursor),
        build=build,
        now=now,
    )
    return store_score_html(store=store, now=now) + fill_report_slots(reviews, user)


def product_page_panel(*, request: HttpRequest, user: RequestUser, store: Store, product: Product, **_: Any) -> str:
    cursor = request.GET.get("after")
    filters = selectors.filters_from_params(request.GET)

    def build() -> tuple[SafeString, None]:
        page = selectors.product_reviews(product=product, filters=filters, cursor=cursor)
        html = render_to_string(
            "feedback/panels/product_page.html",
            {
                "summary": selectors.product_star_summary(product=product),
                "strip": selectors.product_photo_strip(product=product),
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
        topics=FEEDBACK,
        store_id=store.pk,
        variant=(product.pk, *_list_variant(filters, cursor)),
        build=build,
    )
    return fill_report_slots(html, user)


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
    register_panel("store_page", store_page_panel)
    register_panel("product_page", product_page_panel)
    register_panel("store_trust", store_trust_panel)
    register_store_actions(store_actions)
    register_buyer_actions(buyer_actions)
    fragments.register_photo_content(selectors.stores_showing_photo)
    fragments.register_user_content(selectors.stores_showing_buyer)
