"""The public review list is kept in the cache like the product page's HTML list: every change
to what it shows is visible on the next read, and a warm read costs no query."""

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from feedback import services
from feedback.models import FeedbackWindow, ItemReview, ModerationDecision
from feedback.tests.conftest import buyer_rates, complete_order, seller_rates
from portal import services as portal_services
from portal.models import Photo
from portal.uploads import photo_process, validate_photo


def _photo():
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, "JPEG")
    return validate_photo(SimpleUploadedFile("p.jpg", buffer.getvalue(), content_type="image/jpeg"))


def _publish(buyer, store, *, text, stars=5):
    now = timezone.now()
    window = FeedbackWindow.objects.get(order=complete_order(buyer, store, at=now - timedelta(days=1), items=1))
    buyer_rates(window, buyer, stars=stars, text=text, now=now)
    seller_rates(window, store.owner, now=now)
    return ItemReview.objects.select_related("product").get(window=window)


def _reviews(client, store, product):
    response = client.get(f"/api/v1/public/stores/{store.slug}/products/{product.slug}/reviews")
    assert response.status_code == 200
    return response.json()


@pytest.fixture
def published(buyer, store):
    return _publish(buyer, store, text="Works as described")


def test_a_warm_read_is_no_query_and_the_same_body_and_etag(anonymous, store, published, django_assert_num_queries):
    url = f"/api/v1/public/stores/{store.slug}/products/{published.product.slug}/reviews"
    first = anonymous.get(url)
    anonymous.get(url)  # keeps what the slugs lead to (api.public_reads)
    with django_assert_num_queries(0):  # checked against the store's profile version in the cache
        again = anonymous.get(url)
    assert again.content == first.content
    assert again["ETag"] == first["ETag"]


def test_a_publication_shows(anonymous, buyer, store, published):
    assert [r["text"] for r in _reviews(anonymous, store, published.product)["items"]] == ["Works as described"]
    # The same product, reviewed again by the same buyer on a second order.
    now = timezone.now()
    order = complete_order(buyer, store, at=now - timedelta(days=1), items=1)
    order.items.update(product=published.product)
    window = FeedbackWindow.objects.get(order=order)
    buyer_rates(window, buyer, stars=3, text="Second order, second opinion", now=now)
    assert len(_reviews(anonymous, store, published.product)["items"]) == 1, "sealed: not yet"
    seller_rates(window, store.owner, now=now)
    body = _reviews(anonymous, store, published.product)
    assert [r["text"] for r in body["items"]] == ["Second order, second opinion", "Works as described"]
    assert body["summary"]["count"] == 2


def test_a_reply_shows(anonymous, seller, store, published):
    assert _reviews(anonymous, store, published.product)["items"][0]["reply"] is None
    services.reply_submit(author=seller, text="Thank you kindly", review_id=published.pk, now=timezone.now())
    assert _reviews(anonymous, store, published.product)["items"][0]["reply"]["text"] == "Thank you kindly"


def test_an_additional_review_shows(anonymous, buyer, store, published):
    assert _reviews(anonymous, store, published.product)["items"][0]["additional"] is None
    services.additional_review_submit(
        window_id=published.window_id, author=buyer, text="Still going strong", now=timezone.now()
    )
    additional = _reviews(anonymous, store, published.product)["items"][0]["additional"]
    assert additional["text"] == "Still going strong"


def test_a_removal_shows(anonymous, store, published, staff):
    assert len(_reviews(anonymous, store, published.product)["items"]) == 1
    services.review_moderate(
        review_id=published.pk, moderator=staff, decision=ModerationDecision.Decision.REMOVE, now=timezone.now()
    )
    body = _reviews(anonymous, store, published.product)
    assert body["items"] == []
    assert body["summary"]["count"] == 0


def test_a_buyers_new_name_shows(anonymous, buyer, store, published):
    before = _reviews(anonymous, store, published.product)["items"][0]["buyer_name"]
    portal_services.user_update_profile(
        user=buyer, display_name="Alice Renamed", language=buyer.language, time_zone=buyer.time_zone, phone=""
    )
    after = _reviews(anonymous, store, published.product)["items"][0]["buyer_name"]
    assert after != before
    assert after.startswith("A")


def test_photo_links_follow_the_host_asked_for(anonymous, buyer, store, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.ALLOWED_HOSTS = ["testserver", "api.example"]
    now = timezone.now()
    window = FeedbackWindow.objects.get(order=complete_order(buyer, store, at=now - timedelta(days=1), items=1))
    buyer_rates(window, buyer, stars=5, text="With a picture", photos=[_photo()], now=now)
    seller_rates(window, store.owner, now=now)
    photo_process(photo_id=Photo.objects.get().pk)
    review = ItemReview.objects.select_related("product").get(window=window)
    url = f"/api/v1/public/stores/{store.slug}/products/{review.product.slug}/reviews"
    first = anonymous.get(url).json()["items"][0]["photos"][0]["url"]
    other = anonymous.get(url, headers={"Host": "api.example"}).json()["items"][0]["photos"][0]["url"]
    assert first.startswith("http://testserver/")
    assert other.startswith("http://api.example/"), "never a body cached for another host"


def test_a_warm_read_is_one_cache_read_and_a_304_the_same(anonymous, store, published, monkeypatch):
    """The cached page and the store's content version come in one read (MGET), not one after the other."""
    from django.core.cache import cache

    url = f"/api/v1/public/stores/{store.slug}/products/{published.product.slug}/reviews"
    first = anonymous.get(url)
    reads: list[str] = []
    inside: list[str] = []  # the local-memory cache's get_many calls its get for each key

    def recording(name):
        original = getattr(cache, name)

        def read(keys, *args, **kwargs):
            names = [keys] if isinstance(keys, str) else list(keys)
            if not inside and any(key.startswith(("fragment", "content-version")) for key in names):
                reads.append(name)
            inside.append(name)
            try:
                return original(keys, *args, **kwargs)
            finally:
                inside.pop()

        return read

    for name in ("get", "get_many"):  # of the page and of the versions (not the rate limit's counter)
        monkeypatch.setattr(cache, name, recording(name))
    again = anonymous.get(url)
    assert again.status_code == 200
    assert again.content == first.content
    assert reads == ["get_many"]
    reads.clear()
    not_modified = anonymous.get(url, headers={"If-None-Match": first["ETag"]})
    assert not_modified.status_code == 304
    assert not_modified["ETag"] == first["ETag"]
    assert reads == ["get_many"]


def test_a_deactivated_product_is_a_404_at_once(anonymous, store, published):
    url = f"/api/v1/public/stores/{store.slug}/products/{published.product.slug}/reviews"
    assert anonymous.get(url).status_code == 200
    published.product.is_active = False
    published.product.save()  # as the admin and the API's upsert do
    assert anonymous.get(url).status_code == 404
