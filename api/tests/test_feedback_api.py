"""Store keys, feedback: rating buyers, invitations, the change feed, replies, revisions, reports, the
score; through the real services, inside the key's store only, never showing sealed content."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from api import services as api_services
from api.models import ApiKey, ApiRequestLog
from api.tests.conftest import T0, ApiClient, product_body
from feedback import services as feedback_services
from feedback.models import FeedbackWindow, ItemReview, ReviewReport, RevisionRequest, SellerRating
from feedback.tests.conftest import buyer_rates, complete_order, seller_rates
from messaging.models import Notification
from portal.models import Photo, Product, Store

PROBLEM = "application/problem+json"


def recent_window(buyer, store, *, hours_ago=2, items=1):
    """A window of an order completed a few hours ago (the API acts at the real time)."""
    order = complete_order(buyer, store, at=timezone.now() - timedelta(hours=hours_ago), items=items)
    return FeedbackWindow.objects.select_related("order").get(order=order)


@pytest.fixture
def published(buyer, seller, store):
    """A published three-star review of `store`, written an hour ago."""
    window = recent_window(buyer, store, hours_ago=3)
    now = timezone.now()
    buyer_rates(window, buyer, stars=3, text="Cable a bit short", now=now - timedelta(hours=2))
    seller_rates(window, seller, now=now - timedelta(hours=1))
    review = ItemReview.objects.get(window=window)
    assert review.published_at is not None
    return review


@pytest.fixture
def sealed(other_buyer, store):
    """A review the buyer wrote, sealed: the store has not rated and the window is open."""
    window = recent_window(other_buyer, store)
    buyer_rates(window, other_buyer, stars=1, text="SEALED-SECRET broken", now=timezone.now() - timedelta(hours=1))
    review = ItemReview.objects.get(window=window)
    assert review.published_at is None
    return review


def key_for(store, actor, scopes):
    issued = api_services.api_key_issue(
        kind=ApiKey.Kind.STORE, store=store, name="Tool", scopes=scopes, actor=actor, now=T0
    )
    return ApiClient(issued.secret)


@pytest.fixture
def other_store_client(other_seller):
    return key_for(
        other_seller.owned_stores.get(),
        other_seller,
        ["feedback:read", "feedback:write", "messages:read", "messages:write"],
    )


# --- Rating buyers and invitations -------------------------------------------------------------


def test_orders_awaiting_the_buyers_rating_are_listed_with_a_cursor(store_client, buyer, other_buyer, store):
    first = recent_window(buyer, store, hours_ago=5)
    second = recent_window(other_buyer, store, hours_ago=4)
    page = store_client.get("/api/v1/store/feedback/awaiting", limit=1)
    assert page.status_code == 200
    body = page.json()
    assert [item["order_id"] for item in body["items"]] == [second.order_id]
    assert body["items"][0]["closes_at"].endswith("Z")
    assert body["items"][0]["buyer_rated"] is False
    rest = store_client.get("/api/v1/store/feedback/awaiting", limit=1, cursor=body["next_cursor"]).json()
    assert [item["order_id"] for item in rest["items"]] == [first.order_id]
    assert rest["next_cursor"] is None


def test_rating_the_buyer_goes_through_the_service_and_leaves_the_list(store_client, buyer, store, seller):
    window = recent_window(buyer, store)
    response = store_client.post(f"/api/v1/store/orders/{window.order_id}/buyer-rating", {"stars": 4, "text": "Fine"})
    assert response.status_code == 201
    assert response.json()["state"] == "pending"
    rating = SellerRating.objects.get(window=window)
    assert (rating.stars, rating.text, rating.author) == (4, "Fine", seller)
    assert store_client.get("/api/v1/store/feedback/awaiting").json()["items"] == []
    again = store_client.post(f"/api/v1/store/orders/{window.order_id}/buyer-rating", {"stars": 5})
    assert again.status_code == 422
    assert again.json()["errors"] == [{"field": None, "message": "This buyer has already been rated."}]
    assert ApiRequestLog.objects.filter(status_code=422).count() == 1


def test_rating_with_bad_stars_names_the_field_with_the_forms_message(store_client, buyer, store):
    window = recent_window(buyer, store)
    response = store_client.post(f"/api/v1/store/orders/{window.order_id}/buyer-rating", {"stars": 6, "text": ""})
    assert response.status_code == 422
    assert response["Content-Type"] == PROBLEM
    assert response.json()["errors"] == [
        {"field": "stars", "message": "Select a valid choice. 6 is not one of the available choices."}
    ]
    long = store_client.post(f"/api/v1/store/orders/{window.order_id}/buyer-rating", {"stars": 3, "text": "x" * 1001})
    assert [e["field"] for e in long.json()["errors"]] == ["text"]
    assert not SellerRating.objects.exists()


def test_problems_speak_polish_with_accept_language(store_client, buyer, store):
    window = recent_window(buyer, store)
    response = store_client.post(
        f"/api/v1/store/orders/{window.order_id}/buyer-rating",
        {"stars": 6},
        headers={"Accept-Language": "pl"},
    )
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["field"] == "stars"
    assert error["message"] == "Wybierz poprawną wartość. 6 nie jest żadną z dostępnych opcji."


def test_invite_review_once_per_order(store_client, buyer, store):
    window = recent_window(buyer, store)
    url = f"/api/v1/store/orders/{window.order_id}/review-invitation"
    response = store_client.post(url, {})
    assert response.status_code == 201
    assert response.json()["invited_again_at"].endswith("Z")
    assert Notification.objects.filter(recipient=buyer, kind="feedback_invitation_extra").count() == 1
    again = store_client.post(url, {})
    assert again.status_code == 422
    assert again.json()["detail"] == "This buyer has already been invited again."
    assert Notification.objects.filter(recipient=buyer, kind="feedback_invitation_extra").count() == 1


def test_invite_replays_with_the_same_idempotency_key(store_client, buyer, store):
    window = recent_window(buyer, store)
    url = f"/api/v1/store/orders/{window.order_id}/review-invitation"
    headers = {"Idempotency-Key": "invite-1"}
    first = store_client.post(url, {}, headers=headers)
    replay = store_client.post(url, {}, headers=headers)
    assert (replay.status_code, replay.content) == (201, first.content)
    assert replay["Idempotent-Replayed"] == "true"


# --- Replies, revisions, reports ---------------------------------------------------------------


def test_reply_to_a_review(store_client, published):
    response = store_client.post(f"/api/v1/store/reviews/{published.pk}/reply", {"text": "We will send a longer one"})
    assert response.status_code == 201
    assert response.json()["text"] == "We will send a longer one"
    published.refresh_from_db()
    assert published.has_reply
    empty = store_client.post(f"/api/v1/store/reviews/{published.pk}/reply", {"text": "  "})
    assert empty.status_code == 422
    assert empty.json()["errors"] == [{"field": "text", "message": "Write your reply."}]
    twice = store_client.post(f"/api/v1/store/reviews/{published.pk}/reply", {"text": "Again"})
    assert twice.json()["detail"] == "This review already has a reply."


def test_reply_to_an_additional_review(store_client, published, buyer):
    additional = feedback_services.additional_review_submit(
        window_id=published.window_id, author=buyer, text="Still works", now=timezone.now()
    )
    response = store_client.post(f"/api/v1/store/additional-reviews/{additional.pk}/reply", {"text": "Thanks!"})
    assert response.status_code == 201
    additional.refresh_from_db()
    assert additional.has_reply


def test_request_a_revision_once(store_client, published, buyer):
    response = store_client.post(f"/api/v1/store/reviews/{published.pk}/revision-request", {})
    assert response.status_code == 201
    assert response.json()["old_stars"] == 3
    assert RevisionRequest.objects.filter(review=published).exists()
    again = store_client.post(f"/api/v1/store/reviews/{published.pk}/revision-request", {})
    assert again.status_code == 422
    assert again.json()["detail"] == "A revision was already requested for this review."


def test_report_a_review(store_client, published, seller):
    response = store_client.post(f"/api/v1/store/reviews/{published.pk}/reports", {"reason": "unrelated"})
    assert response.status_code == 201
    assert ReviewReport.objects.get(review=published).reporter == seller
    bad = store_client.post(f"/api/v1/store/reviews/{published.pk}/reports", {"reason": "boring"})
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == ["reason"]


def test_score_with_its_explanation(store_client, published):
    response = store_client.get("/api/v1/store/score")
    assert response.status_code == 200
    body = response.json()
    assert {"counted", "merged", "left_out", "older", "detailed", "stars"} <= set(body)
    assert body["stars"]["count"] == 1


# --- The change feed ---------------------------------------------------------------------------


def feed(client, **params):
    response = client.get("/api/v1/store/reviews", **params)
    assert response.status_code == 200, response.content
    return response.json()


def test_feed_pages_with_a_cursor(store_client, buyer, other_buyer, seller, store):
    for who in (buyer, other_buyer):
        window = recent_window(who, store, hours_ago=3)
        buyer_rates(window, who, stars=4, text="ok", now=timezone.now() - timedelta(hours=2))
        seller_rates(window, seller, now=timezone.now() - timedelta(hours=1))
    first = feed(store_client, limit=1)
    assert len(first["items"]) == 1
    second = feed(store_client, limit=1, cursor=first["next_cursor"])
    assert len(second["items"]) == 1
    assert second["next_cursor"] is None
    assert first["items"][0]["review_id"] != second["items"][0]["review_id"]
    bad = store_client.get("/api/v1/store/reviews", cursor="bm9wZQ")
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "cursor"


@pytest.mark.parametrize("change", ["reply_posted", "additional_posted", "removed", "revised", "revision_requested"])
def test_feed_returns_what_changed_after_the_cursor(store_client, published, buyer, seller, staff, change):
    since = timezone.now()
    assert feed(store_client, updated_since=since.isoformat())["items"] == []
    now = timezone.now()
    if change == "reply_posted":
        feedback_services.reply_submit(author=seller, text="Sorry", review_id=published.pk, now=now)
    elif change == "additional_posted":
        feedback_services.additional_review_submit(window_id=published.window_id, author=buyer, text="More", now=now)
    elif change == "removed":
        feedback_services.review_report(review_id=published.pk, reporter=seller, reason="unrelated", now=now)
        feedback_services.review_moderate(review_id=published.pk, moderator=staff, decision="remove", now=now)
    elif change == "revision_requested":
        feedback_services.revision_request(review_id=published.pk, actor=seller, now=now)
    else:
        feedback_services.revision_request(review_id=published.pk, actor=seller, now=now)
        feedback_services.revision_answer(
            review_id=published.pk, author=buyer, stars=5, note="Solved", now=now + timedelta(seconds=1)
        )
    items = feed(store_client, updated_since=since.isoformat())["items"]
    assert [item["review_id"] for item in items] == [published.pk]
    item = items[0]
    assert item["changes"][-1]["kind"] == change
    assert item["changed_at"] == item["changes"][-1]["at"]
    if change == "removed":
        assert item["state"] == "removed"
        assert item["review"] is None
        assert "Cable a bit short" not in str(items)
    else:
        assert item["state"] == "published"
        assert item["review"]["text"] == "Cable a bit short"
    if change == "reply_posted":
        assert item["review"]["reply"]["text"] == "Sorry"
    if change == "additional_posted":
        assert item["review"]["additional"]["text"] == "More"
    if change == "revised":
        assert item["review"]["stars"] == 5
        assert item["revision"]["new_stars"] == 5
    # Nothing after the latest change: the feed is caught up.
    assert feed(store_client, updated_since=item["changed_at"])["items"] == []


def test_sealed_content_never_leaves_before_publication(store_client, sealed, store, seller):
    assert feed(store_client)["items"] == []
    everything = [
        store_client.get("/api/v1/store/reviews"),
        store_client.get(f"/api/v1/store/reviews/{sealed.pk}"),
        store_client.get("/api/v1/store/score"),
        store_client.get("/api/v1/store/feedback/awaiting"),
        store_client.post(f"/api/v1/store/reviews/{sealed.pk}/reply", {"text": "Hm"}),
        store_client.post(f"/api/v1/store/reviews/{sealed.pk}/revision-request", {}),
        store_client.post(f"/api/v1/store/reviews/{sealed.pk}/reports", {"reason": "unrelated"}),
    ]
    for response in everything:
        assert b"SEALED-SECRET" not in response.content
    assert everything[1].status_code == 404
    assert all(response.status_code == 404 for response in everything[4:])
    # The store rates the buyer: both sides publish, and the review is now in the feed.
    rated = store_client.post(f"/api/v1/store/orders/{sealed.window.order_id}/buyer-rating", {"stars": 5})
    assert rated.json()["state"] == "published"
    items = feed(store_client)["items"]
    assert [item["review"]["text"] for item in items] == ["SEALED-SECRET broken"]
    assert store_client.get(f"/api/v1/store/reviews/{sealed.pk}").status_code == 200


# --- BOLA: another store's key, a key without the scope, an integration key ------------------


def operations(published, window):
    return [
        ("get", f"/api/v1/store/reviews/{published.pk}", None),
        ("post", f"/api/v1/store/reviews/{published.pk}/reply", {"text": "Mine now"}),
        ("post", f"/api/v1/store/reviews/{published.pk}/revision-request", {}),
        ("post", f"/api/v1/store/reviews/{published.pk}/reports", {"reason": "unrelated"}),
        ("post", f"/api/v1/store/orders/{window.order_id}/buyer-rating", {"stars": 1}),
        ("post", f"/api/v1/store/orders/{window.order_id}/review-invitation", {}),
    ]


def call(client, method, path, body):
    return client.get(path) if method == "get" else client.post(path, body)


def test_another_stores_key_gets_404_for_every_object(other_store_client, published, buyer, store):
    window = recent_window(buyer, store)
    for method, path, body in operations(published, window):
        response = call(other_store_client, method, path, body)
        assert response.status_code == 404, path
        assert response.json()["type"] == "urn:opinia:problem:not-found"
    assert not SellerRating.objects.filter(window=window).exists()
    assert not ReviewReport.objects.exists()
    assert not RevisionRequest.objects.exists()
    published.refresh_from_db()
    assert not published.has_reply
    # Its own lists never hold the other store's objects.
    assert feed(other_store_client)["items"] == []
    assert other_store_client.get("/api/v1/store/feedback/awaiting").json()["items"] == []


def test_keys_without_the_scope_or_of_the_other_kind_get_403(integration, published, buyer, store, seller):
    window = recent_window(buyer, store)
    messages_only = key_for(store, seller, ["messages:read", "messages:write"])
    read_only = key_for(store, seller, ["feedback:read"])
    listing = [("get", "/api/v1/store/reviews", None), ("get", "/api/v1/store/feedback/awaiting", None)]
    listing.append(("get", "/api/v1/store/score", None))
    for method, path, body in operations(published, window) + listing:
        assert call(messages_only, method, path, body).status_code == 403, path
        assert call(integration, method, path, body).status_code == 403, path
        if method == "post":
            assert call(read_only, method, path, body).status_code == 403, path
    assert not SellerRating.objects.filter(window=window).exists()


def test_feed_refuses_a_moment_that_is_not_iso_8601(store_client):
    response = store_client.get("/api/v1/store/reviews", updated_since="0.5")
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "updated_since", "message": "Enter a valid date/time."}]


def _photo(owner, status):
    return Photo.objects.create(owner=owner, status=status, source_format="jpeg")


def test_one_review_shows_its_additional_review_and_ready_photos_only(store_client, published, buyer):
    ready, processing, failed = (
        _photo(buyer, s) for s in (Photo.Status.READY, Photo.Status.PROCESSING, Photo.Status.FAILED)
    )
    published.photos.add(ready, processing, failed)
    additional = feedback_services.additional_review_submit(
        window_id=published.window_id, author=buyer, text="Still works", now=timezone.now()
    )
    additional.photos.add(_photo(buyer, Photo.Status.PROCESSING), extra := _photo(buyer, Photo.Status.READY))
    body = store_client.get(f"/api/v1/store/reviews/{published.pk}").json()
    assert [p["url"].rsplit("/", 2)[-2] for p in body["photos"]] == [str(ready.uuid)]
    assert body["additional"]["text"] == "Still works"
    assert [p["url"].rsplit("/", 2)[-2] for p in body["additional"]["photos"]] == [str(extra.uuid)]


def test_renaming_a_product_through_the_api_renews_the_cached_store_page(integration, published, store, client):
    """The store page's review list is cached per store: a rename must give it a new version."""
    Store.objects.filter(pk=store.pk).update(external_ref="S-9")
    Product.objects.filter(pk=published.product_id).update(external_ref="P-9", title="Old cable name")
    page = reverse("portal:store_page", args=[store.slug])
    assert "Old cable name" in client.get(page).content.decode()
    renamed = integration.put("/api/v1/stores/S-9/products/P-9", product_body(title="Braided cable 2 m"))
    assert renamed.status_code == 200
    html = client.get(page).content.decode()
    assert "Braided cable 2 m" in html
    assert "Old cable name" not in html
