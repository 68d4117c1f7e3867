"""The feedback panels on the core's pages (order pages, dashboard, store and product pages)."""

from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from feedback import selectors
from portal.models import Order, Product, Store
from portal.panels import register_panel

SORT_OPTIONS = [
    ("newest", _("Newest")),
    ("highest", _("Highest rating")),
    ("lowest", _("Lowest rating")),
    ("photos", _("With photos first")),
]


def buyer_order_panel(*, request: HttpRequest, user: Any, order: Order, **_: Any) -> str:
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


def seller_order_panel(*, request: HttpRequest, user: Any, order: Order, store: Store, **_: Any) -> str:
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


def store_dashboard_panel(*, request: HttpRequest, user: Any, store: Store, **_: Any) -> str:
    return render_to_string(
        "feedback/panels/store_dashboard.html",
        {
            "store": store,
            "to_rate": selectors.windows_to_rate(store=store, now=timezone.now()),
            "awaiting_reply": selectors.reviews_awaiting_reply(store=store),
            "score": selectors.store_score(store=store, now=timezone.now()),
        },
        request=request,
    )


def store_page_panel(*, request: HttpRequest, user: Any, store: Store, **_: Any) -> str:
    cursor = request.GET.get("after")
    # The store page offers the sorts (and the automatic ratings' own list), not the product filters.
    chosen = selectors.filters_from_params(request.GET)
    page = selectors.store_reviews(
        store=store, filters=selectors.ReviewFilters(sort=chosen.sort, automatic=chosen.automatic), cursor=cursor
    )
    return render_to_string(
        "feedback/panels/store_page.html",
        {
            "store": store,
            "score": selectors.store_score(store=store, now=timezone.now()),
            "page": page,
            "filters": page.filters,
            "filter_query": page.filters.as_query(),
            "sort_options": SORT_OPTIONS,
            "is_deep": bool(cursor),
        },
        request=request,
    )


def product_page_panel(*, request: HttpRequest, user: Any, store: Store, product: Product, **_: Any) -> str:
    cursor = request.GET.get("after")
    page = selectors.product_reviews(product=product, filters=selectors.filters_from_params(request.GET), cursor=cursor)
    return render_to_string(
        "feedback/panels/product_page.html",
        {
            "store": store,
            "product": product,
            "summary": selectors.product_star_summary(product=product),
            "strip": selectors.product_photo_strip(product=product),
            "page": page,
            "filters": page.filters,
            "filter_query": page.filters.as_query(),
            "star_options": [5, 4, 3, 2, 1],
            "sort_options": SORT_OPTIONS,
            "is_deep": bool(cursor),
        },
        request=request,
    )


def buyer_home_panel(*, request: HttpRequest, user: Any, **_: Any) -> str:
    windows = selectors.windows_awaiting_buyer(user=user, now=timezone.now())
    if not windows:
        return ""
    return render_to_string("feedback/panels/buyer_home.html", {"windows": windows}, request=request)


def register() -> None:
    register_panel("buyer_home", buyer_home_panel)
    register_panel("buyer_order", buyer_order_panel)
    register_panel("seller_order", seller_order_panel)
    register_panel("store_dashboard", store_dashboard_panel)
    register_panel("store_page", store_page_panel)
    register_panel("product_page", product_page_panel)
