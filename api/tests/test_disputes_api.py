"""The store's disputes through a store key: the case page's moves, rules and messages, over HTTP."""

from datetime import UTC, timedelta
from decimal import Decimal

import hypothesis
import pytest
import schemathesis
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone
from schemathesis import checks

from api import services
from api.models import ApiKey, ApiRequestLog
from api.scopes import STORE_SCOPES
from api.tests.conftest import T0, ApiClient
from disputes import services as dispute_services
from disputes.models import Dispute, DisputeMessage
from disputes.tests.helpers import dispute_in_state, jpeg_bytes, open_dispute
from portal.models import Photo
from portal.tests.hostile import html_document, small_jpeg

S = Dispute.Status
BASE = "/api/v1/store/disputes"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def now():
    return timezone.now().replace(microsecond=0)


@pytest.fixture
def dispute(buyer, store, now):
    """Opened an hour ago, asking for a full refund: awaiting the seller."""
    return open_dispute(buyer=buyer, store=store, now=now - timedelta(hours=1))


def in_state(status, *, buyer, seller, store, staff, now):
    return dispute_in_state(
        status=status, buyer=buyer, seller=seller, store=store, staff=staff, now=now - timedelta(days=4)
    )


def post_multipart(client: ApiClient, path: str, data: dict, headers: dict | None = None):
    return client.client.post(path, data, headers=client.headers(headers))


def key_for(store, owner, scopes) -> ApiClient:
    issued = services.api_key_issue(kind=ApiKey.Kind.STORE, store=store, name="k", scopes=scopes, actor=owner, now=T0)
    return ApiClient(issued.secret)


# --- Reading -----------------------------------------------------------------------------------------


def test_list_pages_with_a_cursor_and_filters_by_status(store_client, buyer, other_buyer, seller, store, staff, now):
    negotiating = in_state(S.NEGOTIATING, buyer=buyer, seller=seller, store=store, staff=staff, now=now)
    awaiting = [open_dispute(buyer=other_buyer, store=store, now=now - timedelta(minutes=m)) for m in (30, 20, 10)]
    seen, cursor = [], None
    while True:
        page = store_client.get(BASE, limit=2, **({"cursor": cursor} if cursor else {})).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [d.pk for d in reversed(awaiting)] + [negotiating.pk]
    only = store_client.get(BASE, status="negotiating").json()["items"]
    assert [item["id"] for item in only] == [negotiating.pk]
    resolved = in_state(S.RESOLVED, buyer=buyer, seller=seller, store=store, staff=staff, now=now - timedelta(days=1))
    assert resolved.pk in [item["id"] for item in store_client.get(BASE, limit=10).json()["items"]]
    assert resolved.pk not in [item["id"] for item in store_client.get(BASE, limit=10, open="true").json()["items"]]
    first = store_client.get(BASE).json()["items"][0]
    assert first["next_clock"]["name"] == "escalation_opens"
    assert first["requested_amount"]["currency"] == "USD"


def test_a_tampered_cursor_is_a_422_naming_the_cursor(store_client, dispute):
    response = store_client.get(BASE, cursor="bm90IGEgY3Vyc29y")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "cursor"


def test_read_a_case_with_clocks_offers_evidence_and_thread(store_client, buyer, store, now):
    dispute = open_dispute(buyer=buyer, store=store, now=now - timedelta(hours=1), photos=1)
    dispute_services.dispute_post_message(dispute_id=dispute.pk, actor=buyer, text="Still pink.", now=now)
    response = store_client.get(f"{BASE}/{dispute.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "awaiting_seller"
    clocks = {clock["name"]: clock for clock in body["clocks"]}
    assert set(clocks) == {"seller_response", "escalation_opens", "auto_escalation"}
    seller_clock = clocks["seller_response"]
    assert seller_clock["due_at"] == dispute.seller_response_due_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    assert seller_clock["text"].startswith("The seller has 4 days")
    assert seller_clock["on_expiry"] == "The buyer's request is granted and the seller gets penalty points."
    assert [o["side"] for o in body["offers"]] == ["buyer"]
    assert body["acceptable_offer"]["kind"] == "full_refund"
    assert len(body["evidence"]) == 1
    assert body["thread"][0]["text"] == "Still pink."
    assert body["returns"] is None


# --- Acting ------------------------------------------------------------------------------------------


def test_accept_the_buyers_request_resolves_the_case(store_client, dispute, seller):
    response = store_client.post(f"{BASE}/{dispute.pk}/accept", None, headers={"Idempotency-Key": "acc-1"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "resolved"
    dispute.refresh_from_db()
    assert dispute.status == S.RESOLVED
    assert dispute.refund_amount == dispute.order.total
    assert dispute.events.filter(kind="accepted", actor=seller).exists()
    again = store_client.post(f"{BASE}/{dispute.pk}/accept", None, headers={"Idempotency-Key": "acc-1"})
    assert again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert ApiRequestLog.objects.filter(path=f"{BASE}/{dispute.pk}/accept", status_code=200).count() == 1


def test_counter_offer_starts_negotiation(store_client, dispute):
    body = {"kind": "partial_refund", "amount": {"amount": "3.50", "currency": "USD"}, "note": "Colour as pictured."}
    response = store_client.post(f"{BASE}/{dispute.pk}/offers", body)
    assert response.status_code == 201, response.content
    case = response.json()
    assert case["status"] == "negotiating"
    assert case["offers"][-1] == {**case["offers"][-1], "side": "seller", "kind": "partial_refund"}
    assert case["offers"][-1]["amount"] == {"amount": "3.50", "currency": "USD"}
    dispute.refresh_from_db()
    assert dispute.status == S.NEGOTIATING
    assert dispute.seller_responded_at is not None


def test_a_replacement_offer_names_the_new_parcel(store_client, dispute):
    body = {"kind": "replacement", "carrier": "Cainiao", "tracking_number": "LP00999888777CN", "note": "Right colour."}
    response = store_client.post(f"{BASE}/{dispute.pk}/offers", body)
    assert response.status_code == 201, response.content
    offer = response.json()["offers"][-1]
    assert (offer["kind"], offer["carrier"], offer["tracking_number"]) == ("replacement", "Cainiao", "LP00999888777CN")
    assert offer["amount"] == {"amount": "0.00", "currency": "USD"}
    assert response.json()["replacement"] is None  # until the buyer accepts it
    dispute.refresh_from_db()
    assert dispute.status == S.NEGOTIATING


def test_a_replacement_offer_without_tracking_number_names_the_field(store_client, dispute):
    response = store_client.post(f"{BASE}/{dispute.pk}/offers", {"kind": "replacement", "carrier": "Cainiao"})
    assert response.status_code == 422, response.content
    errors = response.json()["errors"]
    assert errors[0]["field"] == "tracking_number"
    assert errors[0]["message"] == "Enter the tracking number of the replacement parcel."
    dispute.refresh_from_db()
    assert dispute.status == S.AWAITING_SELLER


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"kind": "partial_refund"}, "amount.amount", "Enter the amount of the partial refund."),
        (
            {"kind": "partial_refund", "amount": {"amount": "abc", "currency": "USD"}},
            "amount.amount",
            "Enter a number.",
        ),
        (
            {"kind": "partial_refund", "amount": {"amount": "1.005", "currency": "USD"}},
            "amount.amount",
            "Ensure that there are no more than 2 decimal places.",
        ),
        (
            {"kind": "partial_refund", "amount": {"amount": "0.00", "currency": "USD"}},
            "amount.amount",
            "Ensure this value is greater than or equal to 0.01.",
        ),
        (
            {"kind": "partial_refund", "amount": {"amount": "99999.00", "currency": "USD"}},
            "amount.amount",
            "The refund cannot be larger than the order total,",
        ),
        ({"kind": "partial_refund", "amount": {"amount": "2.00", "currency": "EUR"}}, "amount.currency", "USD"),
        ({"kind": "store_credit"}, "kind", "Select a valid choice."),
    ],
)
def test_bad_offer_input_names_the_field_with_the_forms_message(store_client, dispute, body, field, message):
    response = store_client.post(f"{BASE}/{dispute.pk}/offers", body)
    assert response.status_code == 422, response.content
    assert response["Content-Type"] == "application/problem+json"
    errors = response.json()["errors"]
    assert errors[0]["field"] == field
    assert message in errors[0]["message"]
    dispute.refresh_from_db()
    assert dispute.status == S.AWAITING_SELLER


def test_field_errors_in_polish_with_accept_language(store_client, dispute):
    response = store_client.post(
        f"{BASE}/{dispute.pk}/offers", {"kind": "partial_refund"}, headers={"Accept-Language": "pl"}
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "amount.amount", "message": "Podaj kwotę częściowego zwrotu."}]


def test_confirm_the_returns_receipt_executes_the_refund(store_client, buyer, seller, store, staff, now):
    dispute = in_state(S.RETURN_SHIPPED, buyer=buyer, seller=seller, store=store, staff=staff, now=now)
    before = store_client.get(f"{BASE}/{dispute.pk}").json()
    assert before["returns"]["tracking_number"] == "RR123456789PL"
    assert "return_confirm" in [c["name"] for c in before["clocks"]]
    response = store_client.post(f"{BASE}/{dispute.pk}/return-received", None)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "resolved"
    dispute.refresh_from_db()
    assert dispute.closed_by == Dispute.ClosedBy.RETURN_RECEIVED


def test_an_illegal_move_is_a_409_naming_both_states(store_client, dispute):
    response = store_client.post(f"{BASE}/{dispute.pk}/return-received", None)
    assert response.status_code == 409
    problem = response.json()
    assert problem["type"] == "urn:opinia:problem:conflict"
    assert "Awaiting the seller" in problem["detail"]
    assert "Resolved" in problem["detail"]


def test_a_passed_deadline_fires_first_and_refuses_the_action(store_client, buyer, store, now):
    dispute = open_dispute(buyer=buyer, store=store, now=now - timedelta(days=6))
    response = store_client.post(
        f"{BASE}/{dispute.pk}/offers", {"kind": "partial_refund", "amount": {"amount": "1.00", "currency": "USD"}}
    )
    assert response.status_code == 409
    assert response.json()["detail"].startswith("A deadline passed before your action:")
    dispute.refresh_from_db()
    assert dispute.status == S.RESOLVED
    assert dispute.closed_by == Dispute.ClosedBy.SELLER_TIMEOUT


def test_post_to_the_thread_with_a_real_jpeg_processed_by_the_pipeline(
    store_client, dispute, seller, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_multipart(
            store_client,
            f"{BASE}/{dispute.pk}/messages",
            {"text": "Our photo before shipping.", "photos": [SimpleUploadedFile("before.jpg", small_jpeg())]},
            headers={"Idempotency-Key": "msg-1"},
        )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["side"] == "seller"
    assert body["text"] == "Our photo before shipping."
    message = DisputeMessage.objects.get(pk=body["id"])
    photo = message.photos.get()
    assert photo.owner == seller
    assert photo.original_name == "before.jpg"
    assert photo.status == Photo.Status.READY
    assert photo.image
    assert body["photos"][0]["id"] == str(photo.uuid)
    replay = post_multipart(
        store_client,
        f"{BASE}/{dispute.pk}/messages",
        {"text": "Our photo before shipping.", "photos": [SimpleUploadedFile("before.jpg", small_jpeg())]},
        headers={"Idempotency-Key": "msg-1"},
    )
    assert replay.status_code == 201
    assert replay["Idempotent-Replayed"] == "true"
    assert DisputeMessage.objects.filter(dispute=dispute, side="seller").count() == 1
    other_body = post_multipart(
        store_client,
        f"{BASE}/{dispute.pk}/messages",
        {"text": "Another text.", "photos": [SimpleUploadedFile("before.jpg", small_jpeg())]},
        headers={"Idempotency-Key": "msg-1"},
    )
    assert other_body.status_code == 422
    assert other_body.json()["type"] == "urn:opinia:problem:idempotency-conflict"


def test_a_non_image_is_refused_naming_the_photos_field(store_client, dispute):
    response = post_multipart(
        store_client,
        f"{BASE}/{dispute.pk}/messages",
        {"text": "See attached.", "photos": [SimpleUploadedFile("photo.jpg", html_document(), "image/jpeg")]},
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "photos", "message": "“photo.jpg” is not a JPEG, PNG or WebP photo."}
    ]
    assert not DisputeMessage.objects.filter(dispute=dispute).exists()
    assert not Photo.objects.filter(original_name="photo.jpg").exists()


def test_an_empty_message_names_the_text_field(store_client, dispute):
    response = post_multipart(store_client, f"{BASE}/{dispute.pk}/messages", {"text": "  "})
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "text", "message": "Write a message or attach a photo."}]


def test_a_photo_upload_above_the_ordinary_body_limit_is_accepted(store_client, dispute, settings):
    settings.OPINIA_API_MAX_BODY_BYTES = 1024
    photo = jpeg_bytes(size=(400, 300))
    assert len(photo) > 1024
    response = post_multipart(
        store_client, f"{BASE}/{dispute.pk}/messages", {"photos": [SimpleUploadedFile("a.jpg", photo)]}
    )
    assert response.status_code == 201, response.content
    assert (
        store_client.post(f"{BASE}/{dispute.pk}/offers", {"kind": "full_refund", "note": "x" * 2000}).status_code == 413
    )


def test_a_closed_cases_thread_is_kept_as_it_is(store_client, buyer, seller, store, staff, now):
    dispute = in_state(S.RESOLVED, buyer=buyer, seller=seller, store=store, staff=staff, now=now)
    response = post_multipart(store_client, f"{BASE}/{dispute.pk}/messages", {"text": "One more thing."})
    assert response.status_code == 422
    assert response.json()["detail"] == "This dispute is closed; its thread is kept as it is."


# --- Who may: the BOLA matrix -----------------------------------------------------------------------


def operations(dispute_id: int) -> list[tuple[str, str, object]]:
    return [
        ("GET", f"{BASE}/{dispute_id}", None),
        ("POST", f"{BASE}/{dispute_id}/accept", None),
        ("POST", f"{BASE}/{dispute_id}/offers", {"kind": "full_refund"}),
        ("POST", f"{BASE}/{dispute_id}/return-received", None),
        ("POST", f"{BASE}/{dispute_id}/messages", {"text": "Hello"}),
    ]


def call(client: ApiClient, method: str, path: str, body: object):
    if method == "GET":
        return client.get(path)
    if path.endswith("/messages"):
        return post_multipart(client, path, body)  # type: ignore[arg-type]
    return client.post(path, body)


def test_another_stores_key_gets_404_for_every_operation_and_changes_nothing(dispute, other_seller):
    other_store = other_seller.owned_stores.get()
    stranger = key_for(other_store, other_seller, list(STORE_SCOPES))
    for method, path, body in operations(dispute.pk):
        response = call(stranger, method, path, body)
        assert response.status_code == 404, (method, path, response.content)
        assert response.json()["type"] == "urn:opinia:problem:not-found"
    assert [item["id"] for item in stranger.get(BASE).json()["items"]] == []
    dispute.refresh_from_db()
    assert dispute.status == S.AWAITING_SELLER
    assert not dispute.offers.filter(side="seller").exists()
    assert not DisputeMessage.objects.filter(dispute=dispute).exists()


def test_a_store_key_without_the_scope_gets_403(dispute, store, seller):
    read_only = key_for(store, seller, ["disputes:read", "feedback:write", "messages:write"])
    write_only = key_for(store, seller, ["disputes:write"])
    for method, path, body in operations(dispute.pk):
        client = write_only if method == "GET" else read_only
        assert call(client, method, path, body).status_code == 403, (method, path)
    assert write_only.get(BASE).status_code == 403


def test_an_integration_key_gets_403(dispute, integration):
    for method, path, body in [("GET", BASE, None), *operations(dispute.pk)]:
        response = call(integration, method, path, body)
        assert response.status_code == 403, (method, path)
        assert response.json()["type"] == "urn:opinia:problem:forbidden"


def test_a_missing_case_is_a_404(store_client, dispute):
    assert store_client.get(f"{BASE}/{dispute.pk + 1000}").status_code == 404
    assert store_client.post(f"{BASE}/{dispute.pk + 1000}/accept", None).status_code == 404


def test_the_buyers_later_offer_is_what_the_seller_accepts(store_client, dispute, buyer, now):
    dispute_services.dispute_make_offer(
        dispute_id=dispute.pk, actor=buyer, kind=Dispute.Outcome.PARTIAL_REFUND, amount=Decimal("2.00"), now=now
    )
    body = store_client.get(f"{BASE}/{dispute.pk}").json()
    assert body["acceptable_offer"]["amount"]["amount"] == "2.00"
    assert store_client.post(f"{BASE}/{dispute.pk}/accept", None).json()["refund_amount"]["amount"] == "2.00"


# --- The document: every disputes operation fuzzed against a real case ---------------------------------

disputes_schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", WSGIHandler()).include(
    path_regex=r"^/api/v1/store/disputes"
)


@pytest.fixture
def fuzzing(settings, store_client, dispute):
    settings.OPINIA_API_RATE_LIMIT = "1000000/minute"
    yield store_client.key, dispute
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@disputes_schema.parametrize()
@hypothesis.settings(
    max_examples=15, deadline=None, suppress_health_check=list(hypothesis.HealthCheck), derandomize=True
)
def test_disputes_operations_conform_to_the_document_on_a_real_case(case, fuzzing):
    """As api/tests/test_schemathesis.py, but on an existing case of the key's store (not only 404s)."""
    key, dispute = fuzzing
    generated = (case.path_parameters or {}).get("dispute_id")
    # Only a valid id is pointed at the case: an invalid one stays what the fuzzer meant it to be.
    if isinstance(generated, int) and not isinstance(generated, bool) and 1 <= generated < 2**63:
        case.path_parameters["dispute_id"] = dispute.pk
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    excluded = [checks.positive_data_acceptance]
    if case.operation.path == "/api/v1/store/disputes":
        # Unknown query parameters are ignored, as on every list of the API; the fuzzer counts an
        # extra one as invalid input that should have been refused.
        excluded.append(checks.negative_data_rejection)
    case.call_and_validate(headers={"Authorization": f"Bearer {key}"}, excluded_checks=excluded)


def test_a_buyer_without_a_display_name_is_named_as_everywhere_else(store_client, buyer, store, now):
    buyer.display_name = ""
    buyer.save(update_fields=["display_name"])
    open_dispute(buyer=buyer, store=store, now=now - timedelta(hours=1))
    item = store_client.get(BASE).json()["items"][0]
    assert item["buyer_name"] == buyer.public_name != ""
