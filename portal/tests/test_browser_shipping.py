"""Chromium: a seller ships an order with tracking from the desk; the buyer, reading Polish, follows it."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from playwright.sync_api import expect

from portal.models import DeliveryTime, Order, ShippingMethod
from portal.tests.factories import make_order
from portal.tests.test_browser_front import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TRACKING_NUMBER = "LP123456785CN"
TRACKING_URL = "https://www.ems.com.cn/english-main/tracking?mailNum=LP123456785CN"


@pytest.fixture
def polish_buyer(buyer):
    buyer.language = "pl"
    buyer.time_zone = "Europe/Warsaw"
    buyer.save()
    return buyer


@pytest.fixture
def paid(polish_buyer, store, product):
    return make_order(
        buyer=polish_buyer,
        store=store,
        status=Order.Status.PAID,
        products=[product],
        at=timezone.now() - timedelta(days=3),
    )


@pytest.fixture
def delivery_promise(store, paid):
    """The store's promise for this order's destination and method, set up before it ships: the
    delivery-time table is where the promised window comes from."""
    return DeliveryTime.objects.create(
        store=store,
        country=paid.ship_to_country,
        method=ShippingMethod.EXPRESS,
        min_days=5,
        max_days=12,
    )


def expected_window_text(order: Order) -> str:
    """The window as the Polish buyer's page prints it, from the order's own promised dates."""
    with translation.override("pl"), timezone.override("Europe/Warsaw"):
        start = date_format(timezone.localtime(order.delivery_from_at), "DATE_FORMAT")
        end = date_format(timezone.localtime(order.delivery_by_at), "DATE_FORMAT")
    return f"Przewidywana dostawa: {start} – {end}"


def test_seller_ships_from_the_desk_and_the_polish_buyer_follows_the_parcel(
    browser_page, live_server, seller, store, polish_buyer, paid, delivery_promise
):
    page = browser_page
    log_in(page.context, seller, live_server)

    # The seller's way in: the store's tabs lead to the desk.
    page.goto(reverse("portal:store_dashboard", args=[store.slug]))
    page.get_by_role("link", name="Orders to ship").click()
    row = page.locator(f'tr[data-order="{paid.number}"]')
    expect(row).to_be_visible()
    row.get_by_label("Shipping method").select_option("express")
    row.get_by_label("Carrier").select_option(label="China Post / EMS")
    row.get_by_label("Tracking number").fill("lp 123 456 785 cn")
    with page.expect_navigation():
        row.get_by_role("button", name="Mark as shipped").click()
    expect(page.get_by_text(f"Order {paid.number} is marked as shipped.")).to_be_visible()
    expect(page.locator(f'tr[data-order="{paid.number}"]')).to_have_count(0)
    paid.refresh_from_db()
    assert (paid.status, paid.carrier, paid.tracking_number) == ("shipped", "china-post", TRACKING_NUMBER)

    # The buyer, in Polish, opens the order and sees the carrier and the tracking link.
    buyer_context = page.context.browser.new_context(base_url=live_server.url)
    buyer_context.set_default_timeout(15_000)
    try:
        buyer_page = buyer_context.new_page()
        log_in(buyer_context, polish_buyer, live_server)
        buyer_page.goto(reverse("portal:order_detail", args=[paid.pk]))
        expect(buyer_page.locator("html")).to_have_attribute("lang", "pl")
        shipping = buyer_page.locator("dl.shipping")
        expect(shipping).to_contain_text("Przewoźnik")
        expect(shipping).to_contain_text("China Post / EMS")
        expect(shipping).to_contain_text("Numer przesyłki")
        link = buyer_page.get_by_role("link", name=TRACKING_NUMBER)
        expect(link).to_have_attribute("href", TRACKING_URL)

        paid.refresh_from_db()
        assert paid.delivery_by_at == paid.shipped_at + timedelta(days=delivery_promise.max_days)
        expect(buyer_page.locator("[data-expected-window]")).to_have_text(expected_window_text(paid))
    finally:
        buyer_context.close()
