"""Schemathesis against the served OpenAPI document: every operation fuzzed with valid and invalid
input, in process through Django's WSGI application (the test database, no server).

No response may be a 5xx, and every response must match the document: its status, content type,
headers and body schema. The examples per operation are bounded so that the run stays well
under a minute in the normal suite.
"""

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis import checks

from api import services
from api.models import ApiKey
from api.scopes import INTEGRATION_SCOPES, STORE_SCOPES
from api.tests.conftest import T0, ApiClient, order_body, product_body, store_body

# The document as served, read once when the module is collected (no database needed for it).
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", WSGIHandler())


@pytest.fixture(autouse=True)
def _in_process(db, settings):
    # Fuzzing sends hundreds of requests with one key: no rate limit in this run.
    settings.OPINIA_API_RATE_LIMIT = "1000000/minute"
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def keys(staff, seller, store):
    integration = services.api_key_issue(
        kind=ApiKey.Kind.INTEGRATION, name="Fuzz", scopes=list(INTEGRATION_SCOPES), actor=staff, now=T0
    ).secret
    store_key = services.api_key_issue(
        kind=ApiKey.Kind.STORE, store=store, name="Fuzz", scopes=list(STORE_SCOPES), actor=seller, now=T0
    ).secret
    # Some objects to find, so that not every valid request is a 404.
    client = ApiClient(integration)
    client.put("/api/v1/stores/S-1", store_body())
    client.put("/api/v1/stores/S-1/products/P-1", product_body())
    client.post("/api/v1/orders", order_body())
    return {"integration": integration, "store": store_key}


@schema.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_every_operation_conforms_to_the_document(case, keys):
    path = case.operation.path
    key = keys["store"] if path.startswith("/api/v1/store") else keys["integration"]
    # As Django's test client does for each of its requests (and reconnects after it): a finished
    # request must not close the connection that holds the test's transaction.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    # Valid-by-schema input may still be refused by a rule (an unknown reference in the body, a
    # reused idempotency key, a cursor the API did not make): a documented 422, so the check
    # that every schema-valid request succeeds does not apply.
    case.call_and_validate(
        headers={"Authorization": f"Bearer {key}"}, excluded_checks=[checks.positive_data_acceptance]
    )
