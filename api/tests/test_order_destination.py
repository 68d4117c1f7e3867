"""Orders in: where the parcel goes (`ship_to_country`), and the promise read back once shipped."""

from datetime import datetime

import pytest

from api.tests.conftest import order_body
from portal import services
from portal.models import Order, ShippingMethod, Store


def test_the_destination_is_taken_from_the_order(marketplace_store):
    response = marketplace_store.post("/api/v1/orders", order_body(ship_to_country="de"))
    assert response.status_code == 201
    body = response.json()
    assert body["ship_to_country"] == "DE"
    assert (body["delivery_from_at"], body["delivery_by_at"]) == (None, None)
    assert Order.objects.get(external_ref="MP-1001").ship_to_country == "DE"


def test_without_one_the_parcel_goes_to_the_buyers_country(marketplace_store):
    response = marketplace_store.post("/api/v1/orders", order_body(buyer_language="ko"))
    assert response.status_code == 201
    assert response.json()["ship_to_country"] == "KR"


@pytest.mark.parametrize("country", ["XQ", "POL", "1!"])
def test_a_bad_destination_is_a_422_naming_the_field(marketplace_store, country):
    response = marketplace_store.post("/api/v1/orders", order_body(ship_to_country=country))
    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == ["ship_to_country"]
    assert not Order.objects.exists()


def test_the_promise_is_read_back_once_shipped(marketplace_store):
    store = Store.objects.get(external_ref="S-1")
    services.store_set_delivery_times(
        store=store,
        actor=store.owner,
        rows=[services.DeliveryRow(country="PL", method=ShippingMethod.STANDARD, min_days=3, max_days=5)],
    )
    assert marketplace_store.post("/api/v1/orders", order_body(ship_to_country="PL")).status_code == 201
    order = Order.objects.get(external_ref="MP-1001")
    services.order_pay(order_id=order.pk, actor=None, now=order.placed_at)
    shipped = services.order_transition(
        order_id=order.pk, to="shipped", actor=None, now=order.placed_at, shipping_method=ShippingMethod.STANDARD
    )
    body = marketplace_store.get("/api/v1/orders/MP-1001").json()
    assert datetime.fromisoformat(body["delivery_by_at"]) == shipped.delivery_by_at
