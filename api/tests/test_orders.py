"""Orders in: stores and products upserted by reference, orders created once, moved by the table."""

import itertools

import pytest

from api.models import ApiRequestLog
from api.tests.conftest import order_body, product_body, store_body
from portal.models import Order, Product, Store, User
from portal.services import ALLOWED_TRANSITIONS

S = Order.Status


def test_store_upsert_creates_the_owner_then_updates(integration):
    response = integration.put("/api/v1/stores/S-1", store_body())
    assert response.status_code == 201
    body = response.json()
    assert body["external_ref"] == "S-1"
    assert body["country"] == "CN"
    assert body["owner_email"] == "owner@shop.example"
    store = Store.objects.get(external_ref="S-1")
    assert store.owner == User.objects.get(email="owner@shop.example")
    assert store.members.get().role == "owner"
    response = integration.put("/api/v1/stores/S-1", store_body(name="Shenzhen Cables Ltd", time_zone="UTC"))
    assert response.status_code == 200
    store.refresh_from_db()
    assert (store.name, store.time_zone) == ("Shenzhen Cables Ltd", "UTC")
    assert Store.objects.count() == 1


def test_store_owner_cannot_change(integration):
    integration.put("/api/v1/stores/S-1", store_body())
    response = integration.put("/api/v1/stores/S-1", store_body(owner_email="thief@example.com"))
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "owner_email", "message": "The owner of a store cannot be changed."}]


def test_store_with_an_unknown_time_zone_names_the_field(integration):
    response = integration.put("/api/v1/stores/S-1", store_body(time_zone="Mars/Olympus"))
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["time_zone"]
    assert not Store.objects.exists()
    assert not User.objects.filter(email="owner@shop.example").exists()


def test_existing_user_becomes_the_owner(integration, buyer):
    response = integration.put("/api/v1/stores/S-1", store_body(owner_email="BUYER@example.com"))
    assert response.status_code == 201
    assert Store.objects.get().owner == buyer


def test_product_upsert(marketplace_store):
    product = Product.objects.get(external_ref="P-1")
    assert product.store.external_ref == "S-1"
    assert str(product.price) == "4.90"
    response = marketplace_store.put("/api/v1/stores/S-1/products/P-1", product_body(price="5.10", is_active=False))
    assert response.status_code == 200
    assert response.json()["price"] == {"amount": "5.10", "currency": "USD"}
    product.refresh_from_db()
    assert str(product.price) == "5.10"
    assert not product.is_active


def test_product_of_unknown_store_is_404(integration):
    response = integration.put("/api/v1/stores/NOPE/products/P-1", product_body())
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_product_reference_of_another_store_is_refused(marketplace_store):
    marketplace_store.put("/api/v1/stores/S-2", store_body(owner_email="two@shop.example"))
    response = marketplace_store.put("/api/v1/stores/S-2/products/P-1", product_body())
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "external_ref"
    assert Product.objects.get(external_ref="P-1").store.external_ref == "S-1"


def test_order_created_once_per_external_reference(marketplace_store):
    first = marketplace_store.post("/api/v1/orders", order_body())
    assert first.status_code == 201
    body = first.json()
    assert body["status"] == "placed"
    assert body["total"] == {"amount": "9.80", "currency": "USD"}
    assert body["items"][0]["unit_price"] == {"amount": "4.90", "currency": "USD"}
    assert body["placed_at"].endswith("Z")
    again = marketplace_store.post("/api/v1/orders", order_body())
    assert again.status_code == 200
    assert again.json()["number"] == body["number"]
    assert Order.objects.count() == 1
    buyer = User.objects.get(email="buyer.api@example.com")
    assert buyer.language == "pl"
    assert Order.objects.get().buyer == buyer


def test_order_with_an_unknown_product_names_the_item(marketplace_store):
    response = marketplace_store.post(
        "/api/v1/orders", order_body(items=[{"product_ref": "P-1", "quantity": 1}, {"product_ref": "X", "quantity": 1}])
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "items.1.product_ref", "message": "The store has no product with this reference."}
    ]
    assert not Order.objects.exists()


def test_order_validation_names_nested_fields(marketplace_store):
    response = marketplace_store.post("/api/v1/orders", order_body(items=[{"product_ref": "P-1", "quantity": 0}]))
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "items.0.quantity", "message": "Ensure this value is greater than or equal to 1."}
    ]


def test_order_in_an_unknown_store(marketplace_store):
    response = marketplace_store.post("/api/v1/orders", order_body(store_ref="NOPE"))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "store_ref"


def _create(client, ref="MP-1001"):
    assert client.post("/api/v1/orders", order_body(external_ref=ref)).status_code == 201


def _move(client, to, ref="MP-1001", **extra):
    body = {"status": to, **extra}
    if to == "shipped":
        body = {"carrier": "Cainiao", "tracking_number": "LP00123456789CN", **body}
    return client.post(f"/api/v1/orders/{ref}/transitions", body)


def test_order_walks_to_completion(marketplace_store):
    _create(marketplace_store)
    assert _move(marketplace_store, "paid").status_code == 200
    response = _move(marketplace_store, "shipped")
    assert response.status_code == 200
    body = response.json()
    # A carrier named by its display name (as clients did before codes) is stored by its code.
    assert (body["carrier"], body["tracking_number"]) == ("cainiao", "LP00123456789CN")
    assert _move(marketplace_store, "completed").json()["status"] == "completed"
    order = Order.objects.get()
    assert order.completed_at is not None
    assert order.events.count() == 4
    # The feedback window opened through the completed-order listeners, as for any order.
    assert order.feedback_window is not None


def test_shipping_needs_carrier_and_tracking(marketplace_store):
    _create(marketplace_store)
    _move(marketplace_store, "paid")
    response = marketplace_store.post("/api/v1/orders/MP-1001/transitions", {"status": "shipped"})
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"carrier", "tracking_number"}
    assert Order.objects.get().status == "paid"


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"carrier": "china-post", "tracking_number": "1Z999AA10123456784"}, "tracking_number"),
        ({"carrier": "pigeon-express", "tracking_number": "LP123456785CN"}, "carrier"),
        ({"carrier": "ups", "tracking_number": "LP123456785CN"}, "tracking_number"),
    ],
)
def test_shipping_with_a_bad_carrier_or_tracking_number_is_a_422_naming_the_field(marketplace_store, extra, field):
    _create(marketplace_store)
    _move(marketplace_store, "paid")
    response = _move(marketplace_store, "shipped", **extra)
    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/problem+json")
    assert [e["field"] for e in response.json()["errors"]] == [field]
    order = Order.objects.get()
    assert (order.status, order.tracking_number, order.carrier) == ("paid", "", "")


def test_shipping_normalises_the_number_and_keeps_the_method(marketplace_store):
    _create(marketplace_store)
    _move(marketplace_store, "paid")
    response = _move(
        marketplace_store, "shipped", carrier="UPS", tracking_number="1z 999 aa1 0123456784", shipping_method="express"
    )
    assert response.status_code == 200, response.content
    assert (response.json()["carrier"], response.json()["tracking_number"]) == ("ups", "1Z999AA10123456784")
    assert Order.objects.get().shipping_method == "express"


PATHS = {
    S.PLACED: [],
    S.PAID: ["paid"],
    S.SHIPPED: ["paid", "shipped"],
    S.COMPLETED: ["paid", "shipped", "completed"],
    S.CANCELLED: ["cancelled"],
}
ILLEGAL = [
    (start, to)
    for start, to in itertools.product(PATHS, ["paid", "shipped", "completed", "cancelled"])
    if to not in ALLOWED_TRANSITIONS[start]
]


@pytest.mark.parametrize(("start", "to"), ILLEGAL)
def test_every_illegal_move_is_a_409_naming_both_states(marketplace_store, start, to):
    _create(marketplace_store)
    for step in PATHS[start]:
        assert _move(marketplace_store, step).status_code == 200
    response = _move(marketplace_store, to)
    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    detail = response.json()["detail"]
    assert str(S(start).label) in detail
    assert str(S(to).label) in detail
    assert Order.objects.get().status == start


def test_moving_an_unknown_order_is_404(marketplace_store):
    assert _move(marketplace_store, "paid", ref="NOPE").status_code == 404


def test_orders_read_back_with_a_cursor(marketplace_store):
    for n in range(5):
        _create(marketplace_store, ref=f"MP-{n}")
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = marketplace_store.get("/api/v1/orders", **params).json()
        seen += [o["external_ref"] for o in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["MP-4", "MP-3", "MP-2", "MP-1", "MP-0"]
    assert marketplace_store.get("/api/v1/orders/MP-3").json()["external_ref"] == "MP-3"
    assert marketplace_store.get("/api/v1/orders/NOPE").status_code == 404
    assert [o["external_ref"] for o in marketplace_store.get("/api/v1/orders", status="paid").json()["items"]] == []


def test_a_tampered_cursor_is_a_422_naming_the_cursor(marketplace_store):
    response = marketplace_store.get("/api/v1/orders", cursor="not-a-cursor")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "cursor"


def test_every_write_is_audited_with_its_key(marketplace_store, issued_integration):
    _create(marketplace_store)
    _move(marketplace_store, "cancelled")
    _move(marketplace_store, "paid")  # refused: audited too, with its status
    logs = list(ApiRequestLog.objects.order_by("pk").values_list("api_key_id", "method", "path", "status_code"))
    key = issued_integration.key.pk
    assert logs == [
        (key, "PUT", "/api/v1/stores/S-1", 201),
        (key, "PUT", "/api/v1/stores/S-1/products/P-1", 201),
        (key, "POST", "/api/v1/orders", 201),
        (key, "POST", "/api/v1/orders/MP-1001/transitions", 200),
        (key, "POST", "/api/v1/orders/MP-1001/transitions", 409),
    ]
