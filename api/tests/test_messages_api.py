"""Store keys, messages: conversations with unread counts, threads, answers (text, photos through the
photo pipeline, cards), marking read; another store's conversation is a 404."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from api import services as api_services
from api.models import ApiKey, ApiRequestLog
from api.tests.conftest import T0, ApiClient
from messaging import services as messaging_services
from messaging.models import Message, Side
from messaging.tests.conftest import jpeg_upload, write
from portal import uploads
from portal.models import Photo
from portal.tests.factories import make_order

PROBLEM = "application/problem+json"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def conversation(buyer, store):
    message, _created = messaging_services.conversation_start(
        buyer=buyer, store=store, text="Is the cable braided?", now=timezone.now()
    )
    return message.conversation


def key_for(store, actor, scopes):
    issued = api_services.api_key_issue(
        kind=ApiKey.Kind.STORE, store=store, name="Tool", scopes=scopes, actor=actor, now=T0
    )
    return ApiClient(issued.secret)


def send(client, conversation, data, headers=None):
    """A multipart POST, as the photo upload needs."""
    return client.client.post(
        f"/api/v1/store/conversations/{conversation.pk}/messages", data, headers=client.headers(headers)
    )


def test_conversations_with_unread_counts_and_a_cursor(store_client, conversation, other_buyer, store):
    second, _created = messaging_services.conversation_start(
        buyer=other_buyer, store=store, text="Hello?", now=timezone.now()
    )
    write(conversation, conversation.buyer, text="Anyone there?")
    page = store_client.get("/api/v1/store/conversations", limit=1)
    assert page.status_code == 200
    body = page.json()
    assert [c["id"] for c in body["items"]] == [conversation.pk]
    assert body["items"][0]["unread"] == 2
    assert body["items"][0]["preview"] == "Anyone there?"
    assert body["items"][0]["last_message_at"].endswith("Z")
    rest = store_client.get("/api/v1/store/conversations", limit=1, cursor=body["next_cursor"]).json()
    assert [c["id"] for c in rest["items"]] == [second.conversation.pk]
    assert rest["items"][0]["unread"] == 1
    assert store_client.get("/api/v1/store/conversations", cursor="%%%").status_code == 422


def test_read_a_thread_page_by_page(store_client, conversation, settings):
    for number in range(55):
        write(conversation, conversation.buyer, text=f"Question {number}")
    first = store_client.get(f"/api/v1/store/conversations/{conversation.pk}")
    assert first.status_code == 200
    body = first.json()
    assert len(body["messages"]) == 50
    assert body["messages"][-1]["text"] == "Question 54"
    assert body["conversation"]["unread"] == 56
    older = store_client.get(f"/api/v1/store/conversations/{conversation.pk}", cursor=body["next_cursor"]).json()
    assert [m["text"] for m in older["messages"]][:2] == ["Is the cable braided?", "Question 0"]
    assert older["next_cursor"] is None
    # Reading does not mark read; marking read does.
    marked = store_client.post(f"/api/v1/store/conversations/{conversation.pk}/read", {})
    assert marked.status_code == 200
    assert marked.json()["marked_read"] == 56
    conversation.refresh_from_db()
    assert conversation.store_unread == 0


def test_answer_with_text(store_client, conversation, seller):
    response = send(store_client, conversation, {"text": "Yes, braided nylon."})
    assert response.status_code == 201
    body = response.json()
    assert (body["side"], body["text"]) == ("store", "Yes, braided nylon.")
    message = Message.objects.get(pk=body["id"])
    assert (message.sender, message.side) == (seller, Side.STORE)
    conversation.refresh_from_db()
    assert conversation.buyer_unread == 1
    assert ApiRequestLog.objects.filter(status_code=201, method="POST").count() == 1


def test_answer_with_a_photo_goes_through_the_photo_pipeline(store_client, conversation):
    response = send(store_client, conversation, {"text": "", "photos": [jpeg_upload()]})
    assert response.status_code == 201, response.content
    body = response.json()
    # Answered before the worker re-encodes it: a photo is listed once it can be served.
    assert body["photos"] == []
    message = Message.objects.get(pk=body["id"])
    assert message.photos.count() == 1
    uploads.photo_process(photo_id=message.photos.get().pk)  # the worker, run after the commit
    thread = store_client.get(f"/api/v1/store/conversations/{conversation.pk}").json()
    assert len(next(m for m in thread["messages"] if m["id"] == message.pk)["photos"]) == 1


def test_a_non_image_is_refused_naming_the_field(store_client, conversation):
    fake = SimpleUploadedFile("invoice.jpg", b"%PDF-1.4 not an image", content_type="image/jpeg")
    response = send(store_client, conversation, {"text": "See attached", "photos": [fake]})
    assert response.status_code == 422
    assert response["Content-Type"] == PROBLEM
    errors = response.json()["errors"]
    assert [e["field"] for e in errors] == ["photos"]
    assert "invoice.jpg" in errors[0]["message"]
    assert Message.objects.filter(side=Side.STORE).count() == 0


def test_answer_with_product_and_order_cards(store_client, conversation, store, product, buyer):
    order = make_order(buyer=buyer, store=store)
    response = send(store_client, conversation, {"product_id": product.pk, "order_id": order.pk})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["product"]["slug"] == product.slug
    assert body["order"]["number"] == order.number


def test_cards_of_another_store_or_buyer_are_refused_by_field(store_client, conversation, other_seller, other_buyer):
    other_store = other_seller.owned_stores.get()
    from portal.tests.factories import ProductFactory

    foreign_product = ProductFactory(store=other_store)
    response = send(store_client, conversation, {"product_id": foreign_product.pk})
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "product_id", "message": "This product is not sold by this store."}]


def test_empty_answer_names_the_text_in_polish(store_client, conversation):
    response = send(store_client, conversation, {"text": "  "}, headers={"Accept-Language": "pl"})
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["field"] == "text"
    assert error["message"] == "Napisz wiadomość lub dołącz zdjęcie."


def test_answer_replays_with_the_same_idempotency_key(store_client, conversation):
    headers = {"Idempotency-Key": "answer-1"}
    first = send(store_client, conversation, {"text": "Once"}, headers=headers)
    again = send(store_client, conversation, {"text": "Once"}, headers=headers)
    assert first.status_code == 201
    assert (again.status_code, again.content) == (201, first.content)
    assert again["Idempotent-Replayed"] == "true"
    assert Message.objects.filter(side=Side.STORE, text="Once").count() == 1


# --- BOLA ---------------------------------------------------------------------------------------


def test_another_stores_key_gets_404(conversation, other_seller):
    other = key_for(other_seller.owned_stores.get(), other_seller, ["messages:read", "messages:write"])
    assert other.get(f"/api/v1/store/conversations/{conversation.pk}").status_code == 404
    assert other.post(f"/api/v1/store/conversations/{conversation.pk}/read", {}).status_code == 404
    response = send(other, conversation, {"text": "Hijack"})
    assert response.status_code == 404
    assert response.json()["type"] == "urn:opinia:problem:not-found"
    assert not Message.objects.filter(text="Hijack").exists()
    assert other.get("/api/v1/store/conversations").json()["items"] == []
    conversation.refresh_from_db()
    assert conversation.store_unread == 1


def test_keys_without_the_scope_or_of_the_other_kind_get_403(conversation, store, seller, integration):
    feedback_only = key_for(store, seller, ["feedback:read", "feedback:write"])
    read_only = key_for(store, seller, ["messages:read"])
    for client in (feedback_only, integration):
        assert client.get("/api/v1/store/conversations").status_code == 403
        assert client.get(f"/api/v1/store/conversations/{conversation.pk}").status_code == 403
    for client in (feedback_only, integration, read_only):
        assert client.post(f"/api/v1/store/conversations/{conversation.pk}/read", {}).status_code == 403
        assert send(client, conversation, {"text": "No"}).status_code == 403
    assert not Message.objects.filter(text="No").exists()


def test_a_photo_larger_than_the_json_body_cap_is_accepted(store_client, conversation, settings):
    import io
    import os

    from PIL import Image

    buffer = io.BytesIO()
    Image.frombytes("RGB", (300, 300), os.urandom(300 * 300 * 3)).save(buffer, "JPEG", quality=95)
    assert len(buffer.getvalue()) > settings.OPINIA_API_MAX_BODY_BYTES
    upload = SimpleUploadedFile("noise.jpg", buffer.getvalue(), content_type="image/jpeg")
    response = send(store_client, conversation, {"photos": [upload]})
    assert response.status_code == 201, response.content
    # Any other operation keeps the JSON cap.
    big = store_client.post(f"/api/v1/store/conversations/{conversation.pk}/read", {"pad": "x" * 70000})
    assert big.status_code == 413


def test_a_thread_shows_only_ready_photos(store_client, conversation, buyer):
    message = write(conversation, buyer, text="See the pictures")
    ready, processing, failed = (
        Photo.objects.create(owner=buyer, status=status, source_format="jpeg")
        for status in (Photo.Status.READY, Photo.Status.PROCESSING, Photo.Status.FAILED)
    )
    message.photos.add(ready, processing, failed)
    body = store_client.get(f"/api/v1/store/conversations/{conversation.pk}").json()
    shown = next(m for m in body["messages"] if m["id"] == message.pk)
    assert [p["url"].rsplit("/", 2)[-2] for p in shown["photos"]] == [str(ready.uuid)]


def _raw_post(client, conversation, body: bytes, content_type: str):
    return client.client.generic(
        "POST",
        f"/api/v1/store/conversations/{conversation.pk}/messages",
        body,
        content_type=content_type,
        headers=client.headers(),
    )


def _multipart(boundary: str, parts: int) -> bytes:
    body = b""
    for number in range(parts):
        body += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="photos"; filename="p{number}.jpg"\r\n'
            f"Content-Type: image/jpeg\r\n\r\nxx\r\n"
        ).encode()
    return body + f"--{boundary}--\r\n".encode()


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        pytest.param(_multipart("B0undary", 12), "multipart/form-data; boundary=B0undary", 400, id="too-many-files"),
        pytest.param(_multipart("B0undary", 1), "multipart/form-data; boundary=", 400, id="empty-boundary"),
        pytest.param(b"text=hi", "multipart/form-data", 400, id="no-boundary"),
        # Django reads what is there of a cut-off body: no message in it, so the form's 422.
        pytest.param(_multipart("B0undary", 1)[:40], "multipart/form-data; boundary=B0undary", 422, id="truncated"),
    ],
)
def test_a_hostile_multipart_body_is_a_problem_never_html(store_client, conversation, body, content_type, status):
    response = _raw_post(store_client, conversation, body, content_type)
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == PROBLEM
    assert response.json()["type"].endswith("invalid-input")
    assert Message.objects.filter(side=Side.STORE).count() == 0
