"""PostgreSQL only: the same order sent twice at once is one order; one idempotency key is one effect."""

import pytest
from django.db import connection

from api.models import ApiRequestLog, IdempotencyRecord
from api.tests.conftest import ApiClient, order_body
from portal.models import Order, User
from portal.tests.concurrency import in_threads

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL unique-index waits"),
]


def _in_threads(target, count=4):
    return in_threads(target, count)


@pytest.mark.parametrize("new_buyer", [False, True])
def test_concurrent_creation_of_one_external_order_makes_one_order(marketplace_store, new_buyer):
    key = marketplace_store.key
    if not new_buyer:  # the race is then on the order's reference alone, not on creating its buyer
        assert marketplace_store.post("/api/v1/orders", order_body(external_ref="MP-0")).status_code == 201
    email = "racing.buyer@example.com" if new_buyer else order_body()["buyer_email"]

    def create():
        response = ApiClient(key).post("/api/v1/orders", order_body(buyer_email=email))
        return response.status_code, response.json()["number"]

    results, errors = _in_threads(create)
    assert errors == []
    assert sorted(status for status, _number in results) == [200, 200, 200, 201]
    assert len({number for _status, number in results}) == 1
    assert Order.objects.filter(external_ref="MP-1001").count() == 1
    assert User.objects.filter(email=email).count() == 1


def test_concurrent_duplicates_with_one_idempotency_key_are_one_effect(marketplace_store):
    key = marketplace_store.key

    def create():
        response = ApiClient(key).post(
            "/api/v1/orders", order_body(external_ref="MP-7"), headers={"Idempotency-Key": "same-attempt"}
        )
        return response.status_code, response.content

    results, errors = _in_threads(create)
    assert errors == []
    assert {status for status, _body in results} == {201}
    assert len({body for _status, body in results}) == 1
    assert Order.objects.filter(external_ref="MP-7").count() == 1
    assert IdempotencyRecord.objects.count() == 1
    # The replays are not audited: the one row is the order's.
    assert list(ApiRequestLog.objects.filter(path="/api/v1/orders").values_list("status_code", flat=True)) == [201]


def test_concurrent_store_upserts_make_one_store_and_one_owner(integration):
    from api.tests.conftest import store_body

    key = integration.key

    def upsert():
        return ApiClient(key).put("/api/v1/stores/S-9", store_body(owner_email="new.owner@example.com")).status_code

    results, errors = _in_threads(upsert)
    assert errors == []
    assert sorted(results) == [200, 200, 200, 201]
    assert User.objects.filter(email="new.owner@example.com").count() == 1
