"""A visitor's product page body is one cached part: changes show at once, and each visitor's
own values (the CSRF input, the page's address, the chosen country) are never another's."""

import re

from django.test import Client
from django.urls import reverse

from portal import services
from portal.tests.factories import ProductFactory


def _page(client, product, **query):
    response = client.get(reverse("portal:product_page", args=[product.store.slug, product.slug]), query)
    assert response.status_code == 200
    return response.content.decode()


def _csrf_inputs(html):
    return re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)


def test_a_renamed_or_repriced_product_shows(client, store, product):
    assert "USB-C cable" in _page(client, product)
    product.title = "USB-C cable, braided"
    product.price = "24.50"
    product.save(update_fields=["title", "price"])
    html = _page(client, product)
    assert "<h1>USB-C cable, braided</h1>" in html
    assert "24.50" in html


def test_a_renamed_store_shows_on_its_product_pages(client, store, seller, product):
    assert "Bob&#x27;s Gadgets" in _page(client, product)
    services.store_update_settings(
        store=store, actor=seller, name="Bob's Lamps", time_zone=store.time_zone, auto_reply=""
    )
    assert "Bob&#x27;s Lamps" in _page(client, product)


def test_each_visitor_gets_a_csrf_input_that_works_for_them(store, product):
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first_inputs = _csrf_inputs(_page(first, product))
    second_html = _page(second, product)  # the body from the cache
    second_inputs = _csrf_inputs(second_html)
    assert "<!--viewer:" not in second_html
    assert first_inputs
    assert second_inputs
    assert set(first_inputs).isdisjoint(second_inputs)
    url = reverse("portal:product_page", args=[store.slug, product.slug])
    response = second.post(
        reverse("portal:delivery_country_set"),
        {"country": "KR", "next": url, "csrfmiddlewaretoken": second_inputs[-1]},
    )
    assert response.status_code == 302
    assert response["Location"] == url
    assert "Delivery to South Korea" in _page(second, product)


def test_the_return_address_is_each_visitors_own(store, product):
    first, second = Client(), Client()
    assert "campaign=private-42" in _page(first, product, campaign="private-42")
    html = _page(second, product)
    assert "private-42" not in html
    url = reverse("portal:product_page", args=[store.slug, product.slug])
    assert f'name="next" value="{url}"' in html


def test_each_country_gets_its_own_body(store, seller, product):
    services.store_set_delivery_times(
        store=store,
        actor=seller,
        rows=[
            services.DeliveryRow(country="DE", method="standard", min_days=3, max_days=5),
            services.DeliveryRow(country="PL", method="standard", min_days=6, max_days=9),
        ],
    )
    german, polish = Client(), Client()
    german.cookies["opinia_country"] = "DE"
    polish.cookies["opinia_country"] = "PL"
    assert "Standard: 3–5 days" in _page(german, product)
    html = _page(polish, product)
    assert "Standard: 6–9 days" in html
    assert "3–5 days" not in html


def test_filters_and_positions_each_get_their_own_body(client, store, product):
    assert 'value="lowest" selected' not in _page(client, product)
    assert 'value="lowest" selected' in _page(client, product, sort="lowest")


def test_a_signed_in_buyer_gets_their_own_form_not_a_visitors(client, store, product, buyer):
    _page(client, product)  # a visitor's body in the cache
    client.force_login(buyer)
    html = _page(client, product)
    assert "Log in to message the seller" not in html
    assert reverse("messaging:start", args=[store.slug]) in html


def test_another_product_of_the_store_has_its_own_body(client, store, product):
    other = ProductFactory(store=store, title="Desk lamp", slug="desk-lamp")
    assert "USB-C cable" in _page(client, product)
    html = _page(client, other)
    assert "<h1>Desk lamp</h1>" in html
    assert "<h1>USB-C cable</h1>" not in html
