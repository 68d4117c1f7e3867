"""The feedback panels on the core's pages (order pages, dashboard, store and product pages)."""

from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from feedback import selectors
from portal.buyer_record import BuyerFact, register_buyer_facts
from portal.models import Order, Product, Store, User
from portal.panels import register_panel


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
    return render_to_string(
        "feedback/panels/store_page.html",
        {
            "store": store,
            "score": selectors.store_score(store=store, now=timezone.now()),
            "page": selectors.store_reviews(store=store, cursor=cursor),
            "is_deep": bool(cursor),
        },
        request=request,
    )


def product_page_panel(*, request: HttpRequest, user: Any, store: Store, product: Product, **_: Any) -> str:
    filters = selectors.filters_from_params(request.GET)
    cursor = request.GET.get("after")
    return render_to_string(
        "feedback/panels/product_page.html",
        {
            "store": store,
            "product": product,
            "summary": selectors.product_star_summary(product=product),
            "page": selectors.product_reviews(product=product, filters=filters, cursor=cursor),
            "filters": filters,
            "filter_query": filters.as_query(),
            "star_options": [5, 4, 3, 2, 1],
            "is_deep": bool(cursor),
        },
        request=request,
    )


def buyer_home_panel(*, request: HttpRequest, user: Any, **_: Any) -> str:
    windows = selectors.windows_awaiting_buyer(user=user, now=timezone.now())
    if not windows:
        return ""
    return render_to_string("feedback/panels/buyer_home.html", {"windows": windows}, request=request)


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
