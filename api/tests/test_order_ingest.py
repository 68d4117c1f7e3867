"""The order ingest's cost and what its shortcuts must keep: a remembered key, one statement per
order, no savepoint, nothing left behind by a refused order."""

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from PIL import Image

from api import selectors
from api import services as portal_api_services
from api.models import ApiKey, ApiRequestLog, IdempotencyRecord
from api.tests.conftest import ApiClient, order_body, product_body
from portal import services as portal_services
from portal import uploads
from portal.models import Order, OrderItem, Product, User


def _post(client: ApiClient, ref: str, **overrides: object):
    return client.post("/api/v1/orders", order_body(external_ref=ref, **overrides), headers={"Idempotency-Key": ref})


def test_an_order_from_a_returning_buyer_takes_four_statements(marketplace_store):
    assert _post(marketplace_store, "MP-1").status_code == 201
    with CaptureQueriesContext(connection) as queries:
        response = _post(marketplace_store, "MP-2")
    assert response.status_code == 201
    statements = [q["sql"] for q in queries.captured_queries]
    # Savepoint (the test's transaction stands for BEGIN), the idempotency claim with the products,
    # their store and the buyer, the order with its items and event, the audit row and the
    # idempotency record's answer, release: the key is remembered, nothing is read back.
    assert len(statements) == 4, statements
    assert statements[1].startswith('WITH ahead AS (INSERT INTO "api_idempotencyrecord"')
    assert not any(sql.startswith("SELECT") and "portal_product" not in sql for sql in statements)
    assert not any("api_apikey" in sql for sql in statements)
    assert sum("SAVEPOINT" in sql for sql in statements) == 2  # the test's own, around the write


def test_an_order_from_a_new_buyer_takes_five_statements(marketplace_store):
    assert _post(marketplace_store, "MP-1").status_code == 201
    with CaptureQueriesContext(connection) as queries:
        response = _post(marketplace_store, "MP-2", buyer_email="first.order@example.com")
    assert response.status_code == 201
    statements = [q["sql"] for q in queries.captured_queries]
    # As for a returning buyer, and the buyer's INSERT … ON CONFLICT DO NOTHING: no savepoint of its own.
    assert len(statements) == 5, statements
    assert sum("SAVEPOINT" in sql for sql in statements) == 2
    buyer = User.objects.get(email="first.order@example.com")
    assert not buyer.has_usable_password()
    assert Order.objects.get(external_ref="MP-2").buyer == buyer


def test_the_answer_and_the_rows_of_a_new_order_agree(marketplace_store, integration):
    assert integration.put("/api/v1/stores/S-1/products/P-2", product_body(title="Charger", price="12.00")).status_code
    owner = User.objects.get(email="owner@shop.example")
    product = Product.objects.get(external_ref="P-2")
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(buffer, "PNG")
    validated = uploads.validate_photo(SimpleUploadedFile("red.png", buffer.getvalue()))
    (lead,) = portal_services.product_photos_add(
        actor=owner, product_id=product.pk, photos=[validated], now=timezone.now()
    )
    items = [{"product_ref": "P-1", "quantity": 2}, {"product_ref": "P-2", "quantity": 1, "unit_price": "10.00"}]
    response = _post(marketplace_store, "MP-1", items=items)
    assert response.status_code == 201
    body = response.json()
    order = Order.objects.get(external_ref="MP-1")
    assert body["number"] == order.number
    assert body["total"] == {"amount": "19.80", "currency": "USD"}
    assert order.total == Decimal("19.80")
    rows = list(OrderItem.objects.filter(order=order).order_by("pk"))
    assert [(i.product.external_ref, i.quantity, i.unit_price) for i in rows] == [
        ("P-1", 2, Decimal("4.90")),
        ("P-2", 1, Decimal("10.00")),
    ]
    assert [i.sold_photo_id for i in rows] == [None, lead.photo_id]
    assert [(i.sold_title, i.sold_price) for i in rows] == [
        ("USB-C cable 2 m", Decimal("4.90")),
        ("Charger", Decimal("12.00")),
    ]
    assert [i["product_ref"] for i in body["items"]] == ["P-1", "P-2"]
    assert order.events.get().new_status == "placed"
    # The order's statement recorded the answer to replay and the audit row.
    record = IdempotencyRecord.objects.get(key="MP-1")
    assert (record.status_code, record.response_body) == (201, response.content.decode())
    (logged,) = ApiRequestLog.objects.filter(path="/api/v1/orders")
    assert (logged.api_key_id, logged.method, logged.status_code, logged.idempotency_key) == (
        record.api_key_id,
        "POST",
        201,
        "MP-1",
    )
    assert logged.created_at <= order.placed_at
    again = _post(marketplace_store, "MP-1", items=items)
    assert (again.status_code, again.content, again["Idempotent-Replayed"]) == (201, response.content, "true")


@pytest.mark.parametrize("store_ref", ["S-1", "S-404"])
def test_a_key_used_again_with_another_body_is_a_conflict_whatever_the_body(marketplace_store, store_ref):
    # The key is claimed by the products' statement: a body naming no known store (no row
    # comes back) is still told from the first request by its key, before anything else.
    assert _post(marketplace_store, "MP-1").status_code == 201
    response = _post(marketplace_store, "MP-1", store_ref=store_ref, buyer_email="other@example.com")
    assert response.status_code == 422
    assert response.json()["type"].endswith("idempotency-conflict")
    assert Order.objects.count() == 1
    assert not User.objects.filter(email="other@example.com").exists()
    assert list(ApiRequestLog.objects.filter(path="/api/v1/orders").values_list("status_code", flat=True)) == [201]
    again = _post(marketplace_store, "MP-1")
    assert (again.status_code, again["Idempotent-Replayed"]) == (201, "true")


def test_a_first_order_naming_no_known_store_claims_its_key_and_is_replayed(marketplace_store):
    response = _post(marketplace_store, "MP-1", store_ref="S-404")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "store_ref"
    record = IdempotencyRecord.objects.get(key="MP-1")
    assert (record.status_code, record.response_body) == (422, response.content.decode())
    again = _post(marketplace_store, "MP-1", store_ref="S-404")
    assert (again.status_code, again.content, again["Idempotent-Replayed"]) == (422, response.content, "true")


def test_an_order_sent_again_under_another_key_is_answered_and_audited_apart(marketplace_store):
    assert _post(marketplace_store, "MP-1").status_code == 201
    response = marketplace_store.post(
        "/api/v1/orders", order_body(external_ref="MP-1"), headers={"Idempotency-Key": "K2"}
    )
    assert response.status_code == 200
    assert Order.objects.filter(external_ref="MP-1").count() == 1
    # No order inserted: the audit row and the answer were written on their own, with the 200.
    record = IdempotencyRecord.objects.get(key="K2")
    assert (record.status_code, record.response_body) == (200, response.content.decode())
    assert sorted(ApiRequestLog.objects.filter(path="/api/v1/orders").values_list("status_code", flat=True)) == [
        200,
        201,
    ]
    unkeyed = marketplace_store.post("/api/v1/orders", order_body(external_ref="MP-2"))
    assert unkeyed.status_code == 201
    assert ApiRequestLog.objects.filter(path="/api/v1/orders", status_code=201, idempotency_key="").count() == 1


def test_a_refused_order_leaves_no_buyer_behind_and_is_replayed_and_audited(marketplace_store):
    response = _post(marketplace_store, "MP-1", buyer_email="new.buyer@example.com", ship_to_country="ZZ")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "ship_to_country"
    # The buyer created on the way rolled back with the order.
    assert not User.objects.filter(email="new.buyer@example.com").exists()
    again = _post(marketplace_store, "MP-1", buyer_email="new.buyer@example.com", ship_to_country="ZZ")
    assert again.status_code == 422
    assert again["Idempotent-Replayed"] == "true"
    assert again.content == response.content
    assert list(ApiRequestLog.objects.filter(path="/api/v1/orders").values_list("status_code", flat=True)) == [422]
    other = _post(marketplace_store, "MP-1", buyer_email="new.buyer@example.com")
    assert other.status_code == 422
    assert other.json()["type"].endswith("idempotency-conflict")


def test_a_key_revoked_by_another_process_is_refused_within_the_bound(issued_integration, monkeypatch):
    client = ApiClient(issued_integration.secret)
    assert client.get("/api/v1/orders").status_code == 200
    # Another web process revokes it: this one hears nothing (no signal), and remembers the key.
    ApiKey.objects.filter(pk=issued_integration.key.pk).update(revoked_at=timezone.now())
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/v1/orders").status_code == 200
    assert not any("api_apikey" in q["sql"] for q in queries.captured_queries)
    later = selectors.monotonic() + selectors.KEY_CACHE_SECONDS + 0.1
    monkeypatch.setattr(selectors, "monotonic", lambda: later)
    assert client.get("/api/v1/orders").status_code == 401


def test_a_revoked_key_is_remembered_until_the_bound_and_refused_at_it(issued_integration, monkeypatch):
    """KEY_CACHE_SECONDS is the bound: a second before it the revoked key still passes here, at it no more."""
    start = 1000.0
    monkeypatch.setattr(selectors, "monotonic", lambda: start)
    client = ApiClient(issued_integration.secret)
    assert client.get("/api/v1/orders").status_code == 200
    ApiKey.objects.filter(pk=issued_integration.key.pk).update(revoked_at=timezone.now())
    monkeypatch.setattr(selectors, "monotonic", lambda: start + selectors.KEY_CACHE_SECONDS - 1)
    assert client.get("/api/v1/orders").status_code == 200
    monkeypatch.setattr(selectors, "monotonic", lambda: start + selectors.KEY_CACHE_SECONDS)
    assert client.get("/api/v1/orders").status_code == 401


def test_a_key_saved_in_this_process_is_forgotten_at_once(issued_integration):
    client = ApiClient(issued_integration.secret)
    assert client.get("/api/v1/orders").status_code == 200
    key = ApiKey.objects.get(pk=issued_integration.key.pk)
    key.scopes = ["feedback:read"]
    key.save(update_fields=["scopes"])
    assert client.get("/api/v1/orders").status_code == 403


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def test_an_order_whose_drawn_number_is_taken_draws_another(marketplace_store, monkeypatch):
    """Numbers are random within a day: one drawn twice is drawn again, never a 500."""
    draws = iter([7, 7, 7, 8])
    monkeypatch.setattr(portal_services.secrets, "randbelow", lambda _n: next(draws))
    assert _post(marketplace_store, "MP-1").status_code == 201
    response = _post(marketplace_store, "MP-2")
    assert response.status_code == 201
    first, second = Order.objects.get(external_ref="MP-1"), Order.objects.get(external_ref="MP-2")
    assert first.number.endswith("00000007")
    assert second.number.endswith("00000008")
    assert response.json()["number"] == second.number
    assert OrderItem.objects.filter(order=second).count() == OrderItem.objects.filter(order=first).count() == 1


def test_order_create_draws_again_and_a_given_number_taken_is_refused(db, monkeypatch):
    from django.db import IntegrityError

    from portal.tests.factories import ProductFactory, UserFactory

    product = ProductFactory()
    buyer = UserFactory()
    now = timezone.now()
    line = [portal_services.LineItem(product=product, quantity=1)]
    draws = iter([5, 5, 6])
    monkeypatch.setattr(portal_services.secrets, "randbelow", lambda _n: next(draws))
    first = portal_services.order_create(buyer=buyer, store=product.store, items=line, now=now)
    second = portal_services.order_create(buyer=buyer, store=product.store, items=line, now=now)
    assert (first.number[-1], second.number[-1]) == ("5", "6")
    assert second.items.count() == 1
    assert second.events.count() == 1
    with pytest.raises(IntegrityError):
        portal_services.order_create(buyer=buyer, store=product.store, items=line, now=now, number=first.number)


def test_a_refused_write_whose_key_was_taken_meanwhile_still_gets_its_own_problem(marketplace_store, monkeypatch):
    """The refused write claims its key again after rolling back; another body may hold it by then."""
    claims = []
    real_claim = portal_api_services.idempotency_claim

    def claim(**kwargs):
        claims.append(kwargs["key"])
        if len(claims) == 2:  # the second claim: another request took the key in between
            raise portal_api_services.IdempotencyConflict
        return real_claim(**kwargs)

    monkeypatch.setattr(portal_api_services, "idempotency_claim", claim)
    response = _post(marketplace_store, "MP-9", store_ref="no-such-store")
    assert response.status_code == 422
    assert response.json()["type"] != "urn:opinia:problem:idempotency-conflict"
    assert [e["field"] for e in response.json()["errors"]] == ["store_ref"]
    assert ApiRequestLog.objects.filter(idempotency_key="MP-9", status_code=422).count() == 1
    assert not IdempotencyRecord.objects.filter(key="MP-9").exists()


def test_a_returning_buyer_is_found_whatever_the_case_of_the_address(marketplace_store):
    assert _post(marketplace_store, "MP-1", buyer_email="Returning.Buyer@example.com").status_code == 201
    assert _post(marketplace_store, "MP-2", buyer_email="  returning.buyer@EXAMPLE.com ").status_code == 201
    [buyer] = User.objects.filter(email__iexact="returning.buyer@example.com")
    assert list(Order.objects.filter(buyer=buyer).values_list("external_ref", flat=True).order_by("pk")) == [
        "MP-1",
        "MP-2",
    ]
