"""Acceptance checks written from SPEC §3 as buyers, sellers and moderators use the product."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from feedback import selectors, services
from feedback.models import FeedbackWindow, ItemReview
from feedback.tests.conftest import buyer_rates, complete_order, seller_rates
from portal.models import Order
from portal.tests.factories import ProductFactory, make_order


@pytest.fixture
def fresh(buyer, store):
    order = complete_order(buyer, store, at=timezone.now() - timedelta(hours=1), items=1)
    return FeedbackWindow.objects.select_related("order").get(order=order)


@pytest.mark.parametrize("status", ["placed", "paid", "shipped", "cancelled"])
def test_an_order_not_completed_is_refused_clearly_not_hidden(client, buyer, store, status):
    order = make_order(buyer=buyer, store=store, status=status, products=[ProductFactory(store=store)])
    item = order.items.get()
    client.force_login(buyer)
    url = reverse("feedback:review_form", args=[order.pk])
    page = client.get(url)
    assert page.status_code == 200
    expected = "was cancelled, so it cannot be rated" if status == "cancelled" else "can be rated once it is completed"
    assert expected in page.content.decode()
    refused = client.post(url, {f"stars_{item.pk}": "5"})
    assert refused.status_code == 400
    assert expected in refused.content.decode()
    assert not ItemReview.objects.exists()


def test_an_unfinished_order_of_another_buyer_is_404(client, other_buyer, buyer, store):
    order = make_order(buyer=buyer, store=store, status=Order.Status.SHIPPED)
    client.force_login(other_buyer)
    assert client.get(reverse("feedback:review_form", args=[order.pk])).status_code == 404
    assert client.post(reverse("feedback:review_form", args=[order.pk]), {}).status_code == 404
