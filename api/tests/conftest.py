"""API personas: the marketplace's integration key and a store key for each seller's store."""

from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client

from api import services
from api.models import ApiKey
from api.scopes import INTEGRATION_SCOPES, STORE_SCOPES

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class ApiClient:
    """The test client with a bearer key and JSON bodies."""

    def __init__(self, key: str | None) -> None:
        self.client = Client()
        self.key = key

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.key}"} if self.key else {}
        return {**headers, **(extra or {})}

    def get(self, path: str, *, headers: dict[str, str] | None = None, **params: Any) -> Any:
        return self.client.get(path, params, headers=self.headers(headers))

    def post(self, path: str, body: Any, *, headers: dict[str, str] | None = None) -> Any:
        return self.client.post(path, body, content_type="application/json", headers=self.headers(headers))

    def put(self, path: str, body: Any, *, headers: dict[str, str] | None = None) -> Any:
        return self.client.put(path, body, content_type="application/json", headers=self.headers(headers))


@pytest.fixture
def issued_integration(staff):
    return services.api_key_issue(
        kind=ApiKey.Kind.INTEGRATION, name="Marketplace", scopes=list(INTEGRATION_SCOPES), actor=staff, now=T0
    )


@pytest.fixture
def integration(issued_integration):
    return ApiClient(issued_integration.secret)


@pytest.fixture
def issued_store_key(store, seller):
    return services.api_key_issue(
        kind=ApiKey.Kind.STORE, store=store, name="Helpdesk", scopes=list(STORE_SCOPES), actor=seller, now=T0
    )


@pytest.fixture
def store_client(issued_store_key):
    return ApiClient(issued_store_key.secret)


@pytest.fixture
def anonymous(db):
    return ApiClient(None)


def store_body(**overrides: Any) -> dict[str, Any]:
    return {
        "owner_email": "owner@shop.example",
        "name": "Shenzhen Cables",
        "country": "cn",
        "time_zone": "Asia/Shanghai",
        **overrides,
    }


def product_body(**overrides: Any) -> dict[str, Any]:
    return {"title": "USB-C cable 2 m", "price": "4.90", "currency": "USD", **overrides}


def order_body(**overrides: Any) -> dict[str, Any]:
    return {
        "external_ref": "MP-1001",
        "store_ref": "S-1",
        "buyer_email": "buyer.api@example.com",
        "buyer_name": "Ola",
        "buyer_language": "pl",
        "currency": "USD",
        "items": [{"product_ref": "P-1", "quantity": 2}],
        **overrides,
    }


@pytest.fixture
def marketplace_store(integration):
    """A store S-1 with product P-1, made through the API."""
    assert integration.put("/api/v1/stores/S-1", store_body()).status_code == 201
    assert integration.put("/api/v1/stores/S-1/products/P-1", product_body()).status_code == 201
    return integration
