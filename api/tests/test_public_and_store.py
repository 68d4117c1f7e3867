"""The public read API (cached, published content only) and the store-key area (the key's store only)."""

from datetime import timedelta

import pytest

from api import services
from api.models import ApiKey
from api.tests.conftest import ApiClient
from feedback.models import FeedbackWindow, ItemReview
from feedback.tests.conftest import T0, buyer_rates, complete_order, seller_rates


@pytest.fixture
def published_and_sealed(buyer, other_buyer, seller, store):
    """One published review (both sides rated) and one sealed (only the buyer rated) in `store`."""
    window = FeedbackWindow.objects.get(order=complete_order(buyer, store, items=1))
    buyer_rates(window, buyer, stars=5, text="Arrived fast, works well", now=T0 + timedelta(days=1))
    seller_rates(window, seller, now=T0 + timedelta(days=1, hours=1))
    sealed_window = FeedbackWindow.objects.get(order=complete_order(other_buyer, store, items=1))
    buyer_rates(sealed_window, other_buyer, stars=1, text="SEALED-SECRET broken", now=T0 + timedelta(days=2))
    published = ItemReview.objects.get(window=window)
    sealed = ItemReview.objects.get(window=sealed_window)
    assert published.published_at is not None
    assert sealed.published_at is None
    return published, sealed


def test_product_reviews_with_summary_etag_and_304(anonymous, store, published_and_sealed):
    published, _sealed = published_and_sealed
    url = f"/api/v1/public/stores/{store.slug}/products/{published.product.slug}/reviews"
    response = anonymous.get(url)
    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=60"
    body = response.json()
    assert [r["id"] for r in body["items"]] == [published.pk]
    assert body["items"][0]["text"] == "Arrived fast, works well"
    assert body["items"][0]["published_at"].endswith("Z")
    assert body["summary"]["count"] == 1
    assert body["summary"]["average"] == 5.0
    etag = response["ETag"]
    cached = anonymous.get(url, headers={"If-None-Match": etag})
    assert cached.status_code == 304
    assert cached.content == b""
    assert cached["ETag"] == etag
    assert anonymous.get(url, headers={"If-None-Match": '"stale"'}).status_code == 200


def test_sealed_reviews_never_appear(anonymous, store, published_and_sealed):
    _published, sealed = published_and_sealed
    url = f"/api/v1/public/stores/{store.slug}/products/{sealed.product.slug}/reviews"
    response = anonymous.get(url)
    assert response.status_code == 200
    assert response.json()["items"] == []
    assert response.json()["summary"]["count"] == 0
    assert b"SEALED-SECRET" not in response.content
    score = anonymous.get(f"/api/v1/public/stores/{store.slug}/score")
    assert b"SEALED-SECRET" not in score.content


def test_store_score_with_its_explanation(anonymous, store, published_and_sealed):
    response = anonymous.get(f"/api/v1/public/stores/{store.slug}/score")
    assert response.status_code == 200
    body = response.json()
    assert body["store_slug"] == store.slug
    assert {"counted", "merged", "left_out", "older", "detailed", "stars"} <= set(body)
    assert body["stars"]["count"] == 1
    assert response["ETag"]
    assert response["Cache-Control"] == "public, max-age=60"
    assert (
        anonymous.get(
            f"/api/v1/public/stores/{store.slug}/score", headers={"If-None-Match": response["ETag"]}
        ).status_code
        == 304
    )


def test_public_unknown_store_or_product_is_a_404_problem(anonymous, store):
    for url in ("/api/v1/public/stores/nope/score", f"/api/v1/public/stores/{store.slug}/products/nope/reviews"):
        response = anonymous.get(url)
        assert response.status_code == 404
        assert response["Content-Type"] == "application/problem+json"


def test_public_bad_cursor_is_a_422(anonymous, store, product):
    response = anonymous.get(f"/api/v1/public/stores/{store.slug}/products/{product.slug}/reviews", cursor="%%%")
    assert response.status_code == 422


# --- Store keys: BOLA -------------------------------------------------------------------------


def test_store_key_reads_its_own_published_review(store_client, published_and_sealed):
    published, _sealed = published_and_sealed
    response = store_client.get(f"/api/v1/store/reviews/{published.pk}")
    assert response.status_code == 200
    assert response.json()["id"] == published.pk


def test_store_key_never_sees_sealed_content_even_of_its_own_store(store_client, published_and_sealed):
    _published, sealed = published_and_sealed
    response = store_client.get(f"/api/v1/store/reviews/{sealed.pk}")
    assert response.status_code == 404
    assert b"SEALED-SECRET" not in response.content


def test_store_key_of_another_store_gets_404(other_seller, published_and_sealed):
    published, _sealed = published_and_sealed
    other_store = other_seller.owned_stores.get()
    issued = services.api_key_issue(
        kind=ApiKey.Kind.STORE, store=other_store, name="Theirs", scopes=["feedback:read"], actor=other_seller, now=T0
    )
    response = ApiClient(issued.secret).get(f"/api/v1/store/reviews/{published.pk}")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["type"] == "urn:opinia:problem:not-found"


def test_store_key_without_the_scope_gets_403(seller, store, published_and_sealed):
    published, _sealed = published_and_sealed
    issued = services.api_key_issue(
        kind=ApiKey.Kind.STORE, store=store, name="Messages only", scopes=["messages:read"], actor=seller, now=T0
    )
    assert ApiClient(issued.secret).get(f"/api/v1/store/reviews/{published.pk}").status_code == 403


def test_store_me(store_client, store):
    body = store_client.get("/api/v1/store").json()
    assert body["store_slug"] == store.slug
    assert "feedback:read" in body["scopes"]
