"""The buyer's record beside the seller's thread and on the store's order page."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from feedback.models import FeedbackWindow
from feedback.tests.conftest import T0, buyer_rates, complete_order, seller_rates
from messaging import services
from portal.buyer_record import buyer_record
from portal.models import Order, Store
from portal.tests.factories import StoreFactory, make_order


def _rated(buyer, store, *, seller_stars, buyer_rates_too):
    order = complete_order(buyer, store, at=T0, items=1)
    window = FeedbackWindow.objects.select_related("order").get(order=order)
    seller_rates(window, store.owner, stars=seller_stars, now=T0 + timedelta(days=1))
    if buyer_rates_too:
        buyer_rates(window, buyer, now=T0 + timedelta(days=2))
    return order, window


@pytest.fixture
def history(buyer, store):
    """Three orders with this store, three with another; one rating of the buyer still sealed."""
    from disputes.tests.helpers import open_dispute

    elsewhere = StoreFactory(name="Elsewhere")
    order, _window = _rated(buyer, store, seller_stars=5, buyer_rates_too=True)  # published
    _sealed_order, sealed = _rated(buyer, store, seller_stars=1, buyer_rates_too=False)  # sealed
    _rated(buyer, elsewhere, seller_stars=4, buyer_rates_too=True)  # published, by another store
    make_order(buyer=buyer, store=elsewhere)
    now = timezone.now()
    open_dispute(buyer=buyer, store=store, now=now)
    open_dispute(buyer=buyer, store=elsewhere, now=now)
    return {"order": order, "sealed": sealed}


def _facts(html):
    return " ".join(html.split())


def test_store_order_page_shows_the_buyers_record_without_sealed_ratings(client, seller, store, buyer, history):
    client.force_login(seller)
    page = _facts(
        client.get(reverse("portal:store_order_detail", args=[store.slug, history["order"].pk])).content.decode()
    )
    assert "About the buyer Alice Buyer" in page
    assert "<dt>Orders</dt><dd>3 with this store · 6 in all</dd>" in page
    # The 1★ rating this store gave is sealed: neither its count nor its stars show.
    assert "<dt>Ratings from sellers</dt><dd>4.5★ average of 2 ratings</dd>" in page
    assert "<dt>Disputes opened</dt><dd>1 with this store · 2 in all</dd>" in page

    # Once the buyer rates too, both ratings publish and the 1★ counts.
    buyer_rates(history["sealed"], buyer, now=T0 + timedelta(days=3))
    page = _facts(
        client.get(reverse("portal:store_order_detail", args=[store.slug, history["order"].pk])).content.decode()
    )
    assert "<dt>Ratings from sellers</dt><dd>3.3★ average of 3 ratings</dd>" in page


def test_seller_sees_the_record_beside_the_thread_and_the_buyer_does_not(client, seller, agent, buyer, store, history):
    message, _ = services.conversation_start(buyer=buyer, store=store, text="Hello", now=timezone.now())
    thread = reverse("messaging:thread", args=[message.conversation_id])
    client.force_login(agent)
    page = _facts(client.get(thread).content.decode())
    assert "<dt>Orders</dt><dd>3 with this store · 6 in all</dd>" in page
    assert "<dt>Ratings from sellers</dt><dd>4.5★ average of 2 ratings</dd>" in page
    assert "<dt>Disputes opened</dt><dd>1 with this store · 2 in all</dd>" in page
    client.force_login(buyer)
    assert "About the buyer" not in client.get(thread).content.decode()


def test_a_buyer_without_history_reads_as_new(client, seller, store, other_buyer):
    order = make_order(buyer=other_buyer, store=store)
    client.force_login(seller)
    page = _facts(client.get(reverse("portal:store_order_detail", args=[store.slug, order.pk])).content.decode())
    assert "<dt>Orders</dt><dd>1 with this store · 1 in all</dd>" in page
    assert "<dt>Ratings from sellers</dt><dd>None published yet</dd>" in page
    assert "<dt>Disputes opened</dt><dd>0 with this store · 0 in all</dd>" in page


def test_the_record_costs_three_queries_whatever_the_history(buyer, store, history, django_assert_num_queries):
    for _ in range(5):
        make_order(buyer=buyer, store=store, status=Order.Status.PAID)
    store = Store.objects.get(pk=store.pk)
    with django_assert_num_queries(3):
        facts = buyer_record(buyer=buyer, store=store)
    assert [str(f.label) for f in facts] == ["Orders", "Ratings from sellers", "Disputes opened"]


def test_the_record_reads_in_the_sellers_language(client, seller, store, buyer, history):
    seller.language = "pl"
    seller.save()
    client.force_login(seller)
    url = reverse("portal:store_order_detail", args=[store.slug, history["order"].pk])
    page = _facts(client.get(url, HTTP_ACCEPT_LANGUAGE="pl").content.decode())
    assert "<dt>Zamówienia</dt><dd>3 w tym sklepie · 6 łącznie</dd>" in page
    assert "<dt>Oceny od sprzedawców</dt><dd>4,5★ średnio, 2 oceny</dd>" in page
    assert "<dt>Otwarte spory</dt><dd>1 w tym sklepie · 2 łącznie</dd>" in page
