"""Helpers of the feedback tests: completed orders and both sides' ratings through the services."""

from datetime import UTC, datetime, timedelta

import pytest

from feedback import services
from feedback.models import FeedbackWindow
from portal.models import Order
from portal.tests.factories import ProductFactory, make_order

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def complete_order(buyer, store, *, at=T0, items=2):
    """An order completed exactly at `at` (placed three days earlier), with `items` products."""
    products = [ProductFactory(store=store) for _ in range(items)]
    order = make_order(
        buyer=buyer, store=store, status=Order.Status.COMPLETED, products=products, at=at - timedelta(days=3)
    )
    return order


def buyer_rates(window, buyer, *, stars=5, text="", now, photos=(), details=(None, None, None)):
    items = [
        services.ItemInput(order_item_id=item.pk, stars=stars, text=text, photos=photos)
        for item in window.order.items.order_by("pk")
    ]
    return services.review_submit(
        window_id=window.pk,
        author=buyer,
        items=items,
        as_described=details[0],
        communication=details[1],
        shipping=details[2],
        now=now,
    )


def seller_rates(window, seller, *, stars=5, now, text=""):
    return services.seller_rating_submit(window_id=window.pk, author=seller, stars=stars, text=text, now=now)


@pytest.fixture
def window(buyer, store):
    order = complete_order(buyer, store)
    return FeedbackWindow.objects.select_related("order").get(order=order)
