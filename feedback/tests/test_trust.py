"""The store's standing where a buyer decides: product pages and the buyer's order page."""

import re
from datetime import time, timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from feedback.models import FeedbackWindow
from feedback.selectors import store_score, store_score_changes_at
from feedback.tests.conftest import buyer_rates, complete_order, seller_rates
from messaging import services as messaging_services
from messaging.models import Side
from messaging.selectors import store_response_stats, store_response_stats_changes_at
from portal.models import Order, WorkingHours
from portal.panels import PANELS
from portal.tests.factories import UserFactory, make_order


def trust(html: str) -> dict[str, str]:
    block = re.search(r'<section class="trust".*?</section>', html, flags=re.S)
    assert block, "no trust line on the page"
    items = re.findall(r'<li data-trust="([a-z]+)">(.*?)</li>', block.group(0), flags=re.S)
    return {key: " ".join(re.sub(r"<[^>]+>", "", text).split()) for key, text in items}


@pytest.fixture
def rated_store(store, seller):
    """Three positive ratings, one neutral, one negative; two buyers' questions, one answered in time."""
    now = timezone.now()
    for stars in (5, 4, 5, 3, 1):
        buyer = UserFactory()
        order = complete_order(buyer, store, at=now - timedelta(days=3), items=1)
        window = FeedbackWindow.objects.select_related("order").get(order=order)
        buyer_rates(window, buyer, stars=stars, now=now - timedelta(days=2))
        seller_rates(window, seller, now=now - timedelta(days=2) + timedelta(hours=1))
    for day in range(7):
        WorkingHours.objects.create(store=store, weekday=day, opens_at=time(0), closes_at=time(23, 59, 59))
    answered, _ = messaging_services.conversation_start(
        buyer=UserFactory(), store=store, text="Waterproof?", now=now - timedelta(days=3)
    )
    messaging_services.message_send(
        conversation_id=answered.conversation_id,
        sender=seller,
        side=Side.STORE,
        text="Yes.",
        now=now - timedelta(days=3) + timedelta(hours=2),
    )
    messaging_services.conversation_start(buyer=UserFactory(), store=store, text="Hello?", now=now - timedelta(days=2))
    return store


def test_product_page_shows_the_stores_standing(client, rated_store, product):
    html = client.get(reverse("portal:product_page", args=[rated_store.slug, product.slug])).content.decode()
    # 3 positive ÷ (3 positive + 1 negative); the neutral one is counted but does not move it.
    assert trust(html) == {
        "positive": "75.0% positive feedback",
        "ratings": "5 ratings in the last 180 days",
        "response": "Response rate 50%",
    }
    assert reverse("portal:store_page", args=[rated_store.slug]) + "#store-score" in html


def test_buyer_order_page_shows_the_stores_standing(client, rated_store, buyer, other_buyer):
    order = make_order(buyer=buyer, store=rated_store, status=Order.Status.PAID)
    client.force_login(buyer)
    html = client.get(reverse("portal:order_detail", args=[order.pk])).content.decode()
    assert trust(html)["positive"] == "75.0% positive feedback"
    assert trust(html)["response"] == "Response rate 50%"
    client.force_login(other_buyer)
    assert client.get(reverse("portal:order_detail", args=[order.pk])).status_code == 404


def test_a_new_store_says_it_has_no_score_yet(client, store, product):
    html = client.get(reverse("portal:product_page", args=[store.slug, product.slug])).content.decode()
    assert trust(html) == {
        "positive": "No positive feedback score yet",
        "ratings": "0 ratings in the last 180 days",
        "response": "Response rate not known yet",
    }


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("page", ["product", "order"])
def test_the_standing_costs_only_its_selectors_queries(client, rated_store, product, buyer, monkeypatch, page):
    """Pinned: the line adds exactly the queries of the score and response-rate selectors."""
    order = make_order(buyer=buyer, store=rated_store, status=Order.Status.PAID, products=[product])
    client.force_login(buyer)
    url = (
        reverse("portal:product_page", args=[rated_store.slug, product.slug])
        if page == "product"
        else reverse("portal:order_detail", args=[order.pk])
    )
    _queries(client, url)  # warm the session
    cache.clear()
    cold = _queries(client, url)
    warm = _queries(client, url)
    now = timezone.now()
    with CaptureQueriesContext(connection) as selector_queries:
        store_score(store=rated_store, now=now)
        store_response_stats(store=rated_store, now=now)
        # How long the cached line holds by the clock alone (two index reads each).
        store_score_changes_at(store=rated_store, now=now)
        store_response_stats_changes_at(store=rated_store, now=now)
    monkeypatch.setitem(PANELS, "store_trust", [])
    cache.clear()
    cold_without = _queries(client, url)
    # Cached, the line costs no query; built, exactly its selectors' queries.
    assert _queries(client, url) == warm
    assert cold - cold_without == len(selector_queries) == 12
    # ... and does not grow with the store's ratings or messages.
    for stars in (2, 5):
        rater = UserFactory()
        window = FeedbackWindow.objects.get(order=complete_order(rater, rated_store, at=now - timedelta(days=1)))
        buyer_rates(window, rater, stars=stars, now=now)
        seller_rates(window, rated_store.owner, now=now)
    monkeypatch.undo()

    # The ratings gave the store a new version: the line is built again, at the same cost (the
    # product page's delivery times, photo gallery and the restriction banner's penalty points,
    # cached under topics of their own, are not read again, nor is the session: only the cleared
    # cache made the cold request read it from the database).
    assert _queries(client, url) == cold - (3 if page == "product" else 0) - 1
    assert _queries(client, url) == warm
