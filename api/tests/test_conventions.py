"""Conventions of every operation: idempotency, rate limits, body cap, problems in the caller's language."""

import json

import pytest
from django.core.exceptions import BadRequest, PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.http.multipartparser import MultiPartParserError
from django.test import override_settings

from api.models import ApiKey, ApiRequestLog, IdempotencyRecord
from api.tests.conftest import T0, ApiClient, order_body
from api.v1 import api
from portal.models import Order

PROBLEM = "application/problem+json"


def test_same_idempotency_key_and_body_replays_the_first_response(marketplace_store):
    headers = {"Idempotency-Key": "order-1001-attempt"}
    first = marketplace_store.post("/api/v1/orders", order_body(), headers=headers)
    assert first.status_code == 201
    replay = marketplace_store.post("/api/v1/orders", order_body(), headers=headers)
    assert replay.status_code == 201  # the first response, not the 200 of a second call
    assert replay.content == first.content
    assert replay["Idempotent-Replayed"] == "true"
    assert Order.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1


def test_replayed_errors_are_the_first_error(marketplace_store):
    marketplace_store.post("/api/v1/orders", order_body())
    headers = {"Idempotency-Key": "cancel-twice"}
    first = marketplace_store.post("/api/v1/orders/MP-1001/transitions", {"status": "cancelled"}, headers=headers)
    assert first.status_code == 200
    again = marketplace_store.post("/api/v1/orders/MP-1001/transitions", {"status": "cancelled"}, headers=headers)
    assert (again.status_code, again.content) == (200, first.content)
    # Without the key the same move is a second attempt, and refused.
    assert marketplace_store.post("/api/v1/orders/MP-1001/transitions", {"status": "cancelled"}).status_code == 409


def test_same_idempotency_key_with_another_body_is_a_422(marketplace_store):
    headers = {"Idempotency-Key": "k-1"}
    assert marketplace_store.post("/api/v1/orders", order_body(), headers=headers).status_code == 201
    response = marketplace_store.post("/api/v1/orders", order_body(external_ref="MP-2"), headers=headers)
    assert response.status_code == 422
    assert response["Content-Type"] == PROBLEM
    assert response.json()["type"] == "urn:opinia:problem:idempotency-conflict"
    assert Order.objects.count() == 1


def test_idempotency_keys_belong_to_their_api_key(marketplace_store, staff):
    from api import services
    from api.scopes import INTEGRATION_SCOPES

    other = ApiClient(
        services.api_key_issue(
            kind=ApiKey.Kind.INTEGRATION, name="Other", scopes=list(INTEGRATION_SCOPES), actor=staff, now=T0
        ).secret
    )
    headers = {"Idempotency-Key": "shared"}
    assert marketplace_store.post("/api/v1/orders", order_body(), headers=headers).status_code == 201
    # Another key's identical key string is its own: a new request (the order exists: 200).
    assert other.post("/api/v1/orders", order_body(), headers=headers).status_code == 200


@override_settings(OPINIA_API_RATE_LIMIT="3/minute")
def test_rate_limit_is_a_429_with_retry_after(integration, issued_store_key):
    for _ in range(3):
        assert integration.get("/api/v1/orders").status_code == 200
    response = integration.get("/api/v1/orders")
    assert response.status_code == 429
    assert response["Content-Type"] == PROBLEM
    assert 1 <= int(response["Retry-After"]) <= 60
    # Per key: another key still has its own allowance.
    assert ApiClient(issued_store_key.secret).get("/api/v1/store").status_code == 200


@override_settings(OPINIA_API_RATE_LIMIT="2/minute")
def test_public_api_is_limited_per_address(anonymous):
    for _ in range(2):
        anonymous.get("/api/v1/public/stores/nope/score")
    response = anonymous.get("/api/v1/public/stores/nope/score")
    assert response.status_code == 429
    assert "Retry-After" in response


@override_settings(OPINIA_API_MAX_BODY_BYTES=2048)
def test_a_body_above_the_cap_is_a_413_problem(marketplace_store):
    body = order_body(buyer_name="x" * 4000)
    response = marketplace_store.post("/api/v1/orders", body)
    assert response.status_code == 413
    assert response["Content-Type"] == PROBLEM
    assert not Order.objects.exists()


def test_invalid_json_is_a_problem(marketplace_store):
    response = marketplace_store.client.post(
        "/api/v1/orders", "{not json", content_type="application/json", headers=marketplace_store.headers()
    )
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    assert response.json()["detail"] == "The request body is not valid JSON."


def test_problems_in_polish_with_accept_language(marketplace_store):
    response = marketplace_store.post("/api/v1/orders", order_body(items=[]), headers={"Accept-Language": "pl"})
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["field"] == "items"
    assert error["message"] == "To pole jest wymagane."
    conflict = marketplace_store.post(
        "/api/v1/orders", order_body(items=[{"product_ref": "X", "quantity": 1}]), headers={"Accept-Language": "pl"}
    )
    assert conflict.json()["errors"][0]["message"] != "The store has no product with this reference."


def test_problems_in_the_key_owners_language_without_accept_language(marketplace_store, staff):
    staff.language = "pl"
    staff.save(update_fields=["language"])
    response = marketplace_store.client.post(
        "/api/v1/orders",
        json.dumps(order_body(items=[])),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {marketplace_store.key}",
    )
    assert response.json()["errors"][0]["message"] == "To pole jest wymagane."


def test_reads_are_not_audited_but_writes_are(marketplace_store):
    before = ApiRequestLog.objects.count()
    marketplace_store.get("/api/v1/orders")
    assert ApiRequestLog.objects.count() == before


def test_the_openapi_document_is_3_1_with_problem_responses(anonymous):
    document = anonymous.get("/api/v1/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    create = document["paths"]["/api/v1/orders"]["post"]
    assert "application/problem+json" in create["responses"]["422"]["content"]
    assert any(p["name"] == "Idempotency-Key" for p in create["parameters"])
    assert anonymous.get("/api/v1/docs").status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/orders/%00", "/api/v1/orders/" + "x" * 300])
def test_bad_path_parameters_are_problems(marketplace_store, path):
    response = marketplace_store.get(path)
    assert response.status_code in (404, 422)


def test_idempotency_records_are_pruned_after_their_retention(marketplace_store, settings):
    from datetime import timedelta

    from django.utils import timezone

    from api.services import idempotency_records_prune

    marketplace_store.post("/api/v1/orders", order_body(), headers={"Idempotency-Key": "old"})
    now = timezone.now()
    assert idempotency_records_prune(now=now + timedelta(hours=47)) == 0
    assert idempotency_records_prune(now=now + timedelta(hours=49)) == 1
    assert not IdempotencyRecord.objects.exists()


def test_an_unknown_api_address_is_a_404_problem(anonymous):
    response = anonymous.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM


@override_settings(OPINIA_API_RATE_LIMIT="2/minute", ALLAUTH_TRUSTED_PROXY_COUNT=1)
def test_behind_the_proxy_the_public_api_is_limited_per_client(anonymous):
    proxy, first, second = "10.0.0.2", "203.0.113.9", "198.51.100.7"

    def get(client_ip):
        return anonymous.client.get(
            "/api/v1/public/stores/nope/score", REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=f"192.0.2.1, {client_ip}"
        )

    for _ in range(2):
        assert get(first).status_code == 404
    assert get(first).status_code == 429
    # Another client behind the same proxy has its own allowance.
    assert get(second).status_code == 404
    # A forwarded header naming no address falls back to the connection's address, never a 500.
    garbage = anonymous.client.get("/api/v1/public/stores/nope/score", REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="junk")
    assert garbage.status_code == 404


def test_a_method_the_path_does_not_have_is_a_405_problem(integration):
    response = integration.client.delete("/api/v1/orders", headers=integration.headers())
    assert response.status_code == 405
    assert response["Content-Type"] == PROBLEM
    assert response.json()["type"].endswith("method-not-allowed")
    assert set(response["Allow"].replace(" ", "").split(",")) == {"GET", "POST"}


@pytest.mark.parametrize(
    ("error", "status", "kind"),
    [
        (PermissionDenied(), 403, "forbidden"),
        (BadRequest(), 400, "invalid-input"),
        (SuspiciousOperation(), 400, "invalid-input"),
        (MultiPartParserError(), 400, "invalid-input"),
        (RequestDataTooBig(), 413, "body-too-large"),
    ],
)
def test_djangos_request_errors_are_problem_documents(rf, error, status, kind):
    response = api.on_exception(rf.post("/api/v1/orders"), error)
    assert response.status_code == status
    assert response["Content-Type"] == PROBLEM
    assert json.loads(response.content)["type"].endswith(kind)
