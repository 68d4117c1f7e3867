"""Review receipts, helpful votes and the pages' schema.org JSON-LD."""

import json
import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from feedback import services
from feedback.models import FeedbackWindow, HelpfulVote, ItemReview
from feedback.receipts import receipt_digest
from feedback.tests.conftest import buyer_rates, complete_order, seller_rates
from portal.tests.factories import UserFactory


def _window(buyer, store, *, now):
    order = complete_order(buyer, store, at=now - timedelta(days=1), items=1)
    return FeedbackWindow.objects.select_related("order").get(order=order)


def _publish(buyer, store, *, text="Works as described", stars=5, now=None):
    now = now or timezone.now()
    window = _window(buyer, store, now=now)
    buyer_rates(window, buyer, stars=stars, text=text, now=now)
    seller_rates(window, store.owner, now=now)
    return ItemReview.objects.select_related("product", "store").get(window=window)


def _verify(client, **query):
    return client.get(reverse("feedback:verify_receipt"), query)


# --- Receipts ----------------------------------------------------------------------------------


def test_the_receipt_is_computed_at_submit_and_shown_to_the_author(client, buyer, store):
    now = timezone.now()
    window = _window(buyer, store, now=now)
    buyer_rates(window, buyer, stars=4, text="Sealed words", now=now)
    review = ItemReview.objects.get(window=window)
    expected = receipt_digest(
        order_number=window.order.number,
        order_item_id=review.order_item_id,
        stars=4,
        text="Sealed words",
        submitted_at=now,
    )[:12]
    assert review.receipt == expected
    assert review.published_at is None
    client.force_login(buyer)
    html = client.get(reverse("feedback:review_form", args=[window.order_id])).content.decode()
    assert f"<code>{expected}</code>" in html


def test_a_sealed_review_reveals_nothing_on_the_verify_page(client, buyer, other_buyer, store):
    window = _window(buyer, store, now=timezone.now())
    buyer_rates(window, buyer, stars=2, text="Secret complaint about quality", now=timezone.now())
    review = ItemReview.objects.get(window=window)
    unknown = _verify(client, receipt="0123456789ab").content.decode()
    for query in ({"receipt": review.receipt}, {"receipt": review.receipt, "review": review.pk}):
        for user in (None, other_buyer, store.owner):
            if user:
                client.force_login(user)
            html = _verify(client, **query).content.decode()
            assert 'id="receipt-unknown"' in html
            assert "receipt-matches" not in html
            assert "receipt-mismatch" not in html
            assert "Secret complaint" not in html
            assert reverse("portal:product_page", args=[store.slug, review.product.slug]) not in html
    # The same answer as for a receipt nobody was ever given.
    assert re.sub(r"\s+", " ", unknown).count('id="receipt-unknown"') == 1


def test_the_verify_page_matches_after_publication(client, buyer, store):
    review = _publish(buyer, store, text="Lovely </script> & more", stars=4)
    for query in ({"receipt": review.receipt}, {"receipt": review.receipt.upper(), "review": review.pk}):
        html = _verify(client, **query).content.decode()
        assert 'id="receipt-matches"' in html, query
        assert f"#review-{review.pk}" in html


def test_a_quiet_change_of_the_published_review_is_detected(client, buyer, store):
    review = _publish(buyer, store, text="Original words", stars=2)
    ItemReview.objects.filter(pk=review.pk).update(text="Edited words")
    html = _verify(client, receipt=review.receipt).content.decode()
    assert 'id="receipt-mismatch"' in html
    ItemReview.objects.filter(pk=review.pk).update(text="Original words", stars=5)
    assert 'id="receipt-mismatch"' in _verify(client, receipt=review.receipt).content.decode()


def test_a_wrong_receipt_for_a_review_does_not_match(client, buyer, store):
    review = _publish(buyer, store)
    html = _verify(client, receipt="abcdefabcdef", review=review.pk).content.decode()
    assert 'id="receipt-mismatch"' in html


def test_a_malformed_receipt_is_refused_beside_the_field(client):
    response = _verify(client, receipt="<script>")
    assert response.status_code == 400
    assert "12 characters" in response.content.decode()


# --- Helpful votes -----------------------------------------------------------------------------


@pytest.fixture
def review(buyer, store):
    return _publish(buyer, store)


def test_a_second_vote_is_still_one_vote(client, review, other_buyer):
    client.force_login(other_buyer)
    url = reverse("feedback:helpful", args=[review.pk])
    assert client.post(url).status_code == 302
    assert client.post(url).status_code == 302
    review.refresh_from_db()
    assert review.helpful_count == 1
    assert HelpfulVote.objects.filter(review=review).count() == 1


def test_votes_of_different_people_add_up_atomically(review, other_buyer):
    third = UserFactory(email="third@example.com")
    for voter in (other_buyer, third, other_buyer):
        services.review_mark_helpful(review_id=review.pk, voter=voter, now=timezone.now())
    review.refresh_from_db()
    assert review.helpful_count == 2 == HelpfulVote.objects.filter(review=review).count()


def test_the_author_is_refused_with_a_message(client, review, buyer):
    client.force_login(buyer)
    response = client.post(reverse("feedback:helpful", args=[review.pk]), follow=True)
    assert "You cannot mark your own review as helpful." in response.content.decode()
    review.refresh_from_db()
    assert review.helpful_count == 0


def test_the_store_people_are_refused(client, review, seller, agent):
    for user in (seller, agent):
        client.force_login(user)
        response = client.post(reverse("feedback:helpful", args=[review.pk]), HTTP_HX_REQUEST="true")
        assert "People of the store cannot vote on its reviews." in response.content.decode()
    assert not HelpfulVote.objects.exists()


def test_anonymous_visitors_are_sent_to_log_in(client, review):
    url = reverse("feedback:helpful", args=[review.pk])
    for method in (client.get, client.post):
        response = method(url)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]
    html = client.get(reverse("portal:product_page", args=[review.store.slug, review.product.slug])).content.decode()
    assert f"{url}?next=" in html


def test_a_sealed_or_missing_review_is_a_404(client, buyer, other_buyer, store):
    window = _window(buyer, store, now=timezone.now())
    buyer_rates(window, buyer, now=timezone.now())
    sealed = ItemReview.objects.get(window=window)
    client.force_login(other_buyer)
    assert client.post(reverse("feedback:helpful", args=[sealed.pk])).status_code == 404
    assert client.post(reverse("feedback:helpful", args=[999999])).status_code == 404


def test_htmx_swaps_the_count_and_the_page_shows_it(client, review, other_buyer):
    client.force_login(other_buyer)
    page = reverse("portal:product_page", args=[review.store.slug, review.product.slug])
    html = client.get(page).content.decode()
    assert f'hx-post="{reverse("feedback:helpful", args=[review.pk])}"' in html
    assert "0 people found this helpful" in html
    response = client.post(reverse("feedback:helpful", args=[review.pk]), HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert f'id="helpful-{review.pk}"' in body
    assert "1 person found this helpful" in body
    # The cached list shows the new count at once (its `helpful` version moved).
    assert "1 person found this helpful" in client.get(page).content.decode()


def test_sort_by_most_helpful_on_both_lists(client, buyer, other_buyer, store):
    now = timezone.now()
    older = _publish(buyer, store, text="Older, helpful", now=now - timedelta(hours=2))
    newer = _publish(other_buyer, store, text="Newer, not helpful", now=now - timedelta(hours=1))
    for email in ("v1@example.com", "v2@example.com"):
        services.review_mark_helpful(review_id=older.pk, voter=UserFactory(email=email), now=now)
    store_url = reverse("portal:store_page", args=[store.slug])
    default = client.get(store_url).content.decode()
    assert default.index(f'id="review-{newer.pk}"') < default.index(f'id="review-{older.pk}"')
    html = client.get(store_url, {"sort": "helpful"}).content.decode()
    assert html.index(f'id="review-{older.pk}"') < html.index(f'id="review-{newer.pk}"')
    assert 'value="helpful" selected' in html


def test_most_helpful_pages_walk_every_review_once(store):
    from feedback import selectors

    now = timezone.now()
    reviews = [
        _publish(UserFactory(email=f"b{i}@example.com"), store, now=now - timedelta(minutes=i)) for i in range(5)
    ]
    for i, review in enumerate(reviews):
        ItemReview.objects.filter(pk=review.pk).update(helpful_count=i % 2)
    filters = selectors.ReviewFilters(sort="helpful")
    seen, cursor = [], None
    while True:
        page = selectors.store_reviews(store=store, filters=filters, cursor=cursor, size=2)
        seen += [(r.helpful_count, r.pk) for r in page.reviews]
        cursor = page.next_cursor
        if not cursor:
            break
    assert len(seen) == 5 == len({pk for _c, pk in seen})
    assert [c for c, _pk in seen] == sorted((c for c, _pk in seen), reverse=True)


def test_the_public_api_reports_the_count(client, review, other_buyer):
    services.review_mark_helpful(review_id=review.pk, voter=other_buyer, now=timezone.now())
    response = client.get(f"/api/v1/public/stores/{review.store.slug}/products/{review.product.slug}/reviews")
    assert response.status_code == 200, response.content
    assert response.json()["items"][0]["helpful_count"] == 1


# --- JSON-LD -----------------------------------------------------------------------------------


def _json_ld(html):
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert len(blocks) == 1, blocks
    return json.loads(blocks[0])


def _shown_reviews(html):
    return [int(pk) for pk in re.findall(r'<article class="card review" id="review-(\d+)"', html)]


def test_product_json_ld_matches_the_page(client, buyer, other_buyer, store):
    first = _publish(buyer, store, text="Nice </script><script>alert(1)</script> & <b>", stars=5)
    product = first.product
    html = client.get(reverse("portal:product_page", args=[store.slug, product.slug])).content.decode()
    data = _json_ld(html)
    assert data["@type"] == "Product"
    assert data["name"] == product.title
    shown_avg = re.search(r"<strong>([\d.]+) out of 5</strong>", html).group(1)
    shown_count = re.search(r"(\d+) ratings?</p>", html).group(1)
    assert data["aggregateRating"]["ratingValue"] == float(shown_avg)
    assert data["aggregateRating"]["ratingCount"] == int(shown_count)
    assert len(data["review"]) == len(_shown_reviews(html)) == 1
    assert data["review"][0]["reviewBody"] == first.text
    assert data["review"][0]["reviewRating"]["ratingValue"] == 5
    # The hostile text could not close the script element.
    assert "</script><script>alert(1)" not in html


def test_store_json_ld_matches_the_page_and_leaves_out_removed_reviews(client, buyer, other_buyer, staff, store):
    kept = _publish(buyer, store, text="Kept", stars=4)
    removed = _publish(other_buyer, store, text="Removed one", stars=1)
    services.review_report(review_id=removed.pk, reporter=store.owner, reason="offensive", now=timezone.now())
    services.review_moderate(review_id=removed.pk, moderator=staff, decision="remove", now=timezone.now())
    cache.clear()
    html = client.get(reverse("portal:store_page", args=[store.slug])).content.decode()
    data = _json_ld(html)
    assert data["@type"] == "Organization"
    assert data["name"] == store.name
    block = html[html.index('id="store-stars"') :]
    shown_avg = re.search(r"<strong>([\d.]+) out of 5</strong>", block).group(1)
    shown_count = re.search(r"(\d+) ratings?</p>", block).group(1)
    assert data["aggregateRating"]["ratingValue"] == float(shown_avg) == 4.0
    assert data["aggregateRating"]["ratingCount"] == int(shown_count) == 1
    assert _shown_reviews(html) == [kept.pk]
    assert [r["reviewBody"] for r in data["review"]] == ["Kept"]


def test_automatic_ratings_are_not_review_items(client, buyer, store):
    review = _publish(buyer, store)
    ItemReview.objects.filter(pk=review.pk).update(is_automatic=True, text="")
    cache.clear()
    html = client.get(reverse("portal:store_page", args=[store.slug]), {"automatic": "1"}).content.decode()
    assert "review" not in _json_ld(html)
