"""The public pages' cached parts: every change shows at once, sealed content never, nobody sees another's view.

Each invalidation test renders the page first (so the part is cached), changes the store
through the real service, and reads the page again.
"""

import io
from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from feedback import scoring, services
from feedback.models import FeedbackWindow, ItemReview, ModerationDecision, StoreScoreDay
from feedback.tests.conftest import buyer_rates, complete_order, seller_rates
from messaging import services as messaging_services
from messaging.models import Side
from portal import fragments
from portal import services as portal_services
from portal.models import Order, Photo, StoreMember, WorkingHours
from portal.tests.factories import UserFactory, make_order
from portal.uploads import photo_process, validate_photo


def _photo():
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, "JPEG")
    return validate_photo(SimpleUploadedFile("p.jpg", buffer.getvalue(), content_type="image/jpeg"))


def _window(buyer, store, *, at=None):
    order = complete_order(buyer, store, at=at or timezone.now() - timedelta(days=1), items=1)
    return FeedbackWindow.objects.select_related("order").get(order=order)


def _publish(buyer, store, *, text="Works as described", stars=5, now=None):
    """A buyer's review, published by both sides having rated."""
    now = now or timezone.now()
    window = _window(buyer, store, at=now - timedelta(days=1))
    buyer_rates(window, buyer, stars=stars, text=text, now=now)
    seller_rates(window, store.owner, now=now)
    return ItemReview.objects.select_related("product").get(window=window)


def _store_page(client, store, **query):
    response = client.get(reverse("portal:store_page", args=[store.slug]), query)
    assert response.status_code == 200
    return response.content.decode()


def _product_page(client, review):
    response = client.get(reverse("portal:product_page", args=[review.store.slug, review.product.slug]))
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def published(buyer, store):
    return _publish(buyer, store)


# --- Sealed content ----------------------------------------------------------------------------


def test_a_sealed_review_is_never_cached_and_shows_once_published(client, buyer, store):
    window = _window(buyer, store)
    buyer_rates(window, buyer, stars=2, text="Sealed words", now=timezone.now())
    review = ItemReview.objects.select_related("product", "store").get(window=window)
    for _ in range(2):  # built, then from the cache
        assert "Sealed words" not in _store_page(client, store)
        assert "Sealed words" not in _product_page(client, review)
    assert "0 ratings in the last 180 days" in _product_page(client, review)
    seller_rates(window, store.owner, now=timezone.now())
    assert "Sealed words" in _store_page(client, store)
    assert "Sealed words" in _product_page(client, review)
    assert "1 rating in the last 180 days" in _product_page(client, review)


def test_the_close_sweep_publishes_into_the_cached_lists_with_automatic_ratings(client, buyer, other_buyer, store):
    rated = _window(buyer, store)
    buyer_rates(rated, buyer, stars=4, text="Rated in time", now=timezone.now())
    # The seller gave 5★ and the buyer never rated: an automatic rating when the window closes.
    seller_rates(_window(other_buyer, store), store.owner, now=timezone.now())
    assert "Rated in time" not in _store_page(client, store)
    assert "automatic rating" not in _store_page(client, store)
    services.feedback_windows_close_batch(now=rated.closes_at + timedelta(seconds=1), limit=10)
    html = _store_page(client, store)
    assert "Rated in time" in html
    assert "1 automatic rating" in html


def test_a_store_page_at_a_new_position_counts_the_automatic_ratings_published_meanwhile(
    client, buyer, other_buyer, store, published
):
    from feedback.selectors import encode_cursor

    seller_rates(_window(other_buyer, store), store.owner, now=timezone.now())
    # Kept for every position: no automatic rating yet.
    assert "automatic rating" not in _store_page(client, store, after=encode_cursor(published))
    closes_at = FeedbackWindow.objects.filter(buyer=other_buyer).get().closes_at
    services.feedback_windows_close_batch(now=closes_at + timedelta(seconds=1), limit=10)
    later = _publish(buyer, store, text="Later words")
    # A position never asked before (after the newest review).
    assert "1 automatic rating" in _store_page(client, store, after=encode_cursor(later))


# --- One test per change ---------------------------------------------------------------------


def test_a_publication_shows(client, buyer, other_buyer, store, published):
    assert "Works as described" in _store_page(client, store)
    _publish(other_buyer, store, text="Second opinion")
    assert "Second opinion" in _store_page(client, store)
    assert "Second opinion" in _product_page(client, ItemReview.objects.get(text="Second opinion"))


def test_a_removal_shows(client, store, published, staff):
    assert "Works as described" in _store_page(client, store)
    assert "Works as described" in _product_page(client, published)
    services.review_moderate(
        review_id=published.pk, moderator=staff, decision=ModerationDecision.Decision.REMOVE, now=timezone.now()
    )
    assert "Works as described" not in _store_page(client, store)
    assert "Works as described" not in _product_page(client, published)
    assert "1 rating left out: removed by moderation." in _store_page(client, store)


def test_a_reply_shows(client, seller, store, published):
    assert "Thank you kindly" not in _store_page(client, store)
    services.reply_submit(author=seller, text="Thank you kindly", review_id=published.pk, now=timezone.now())
    assert "Thank you kindly" in _store_page(client, store)
    assert "Thank you kindly" in _product_page(client, published)


def test_an_additional_review_and_its_reply_show(client, buyer, seller, store, published):
    assert "Still going strong" not in _product_page(client, published)
    additional = services.additional_review_submit(
        window_id=published.window_id, author=buyer, text="Still going strong", now=timezone.now()
    )
    assert "Still going strong" in _product_page(client, published)
    assert "Still going strong" in _store_page(client, store)
    services.reply_submit(author=seller, text="Glad to hear", additional_id=additional.pk, now=timezone.now())
    assert "Glad to hear" in _store_page(client, store)


def test_a_revision_shows(client, buyer, other_buyer, seller, store):
    review = _publish(buyer, store, stars=2, text="Meh")
    assert "Revised by the buyer" not in _store_page(client, store)
    services.revision_request(review_id=review.pk, actor=seller, now=timezone.now())
    services.revision_answer(review_id=review.pk, author=buyer, stars=5, note="Sorted out", now=timezone.now())
    html = _store_page(client, store)
    assert "Revised by the buyer from 2 to 5 stars." in html
    assert "Sorted out" in html
    assert "0 negative (1–2★)" in html


def test_a_score_recount_shows(client, store, published):
    assert "1 positive (4–5★)" in _store_page(client, store)
    # Buckets gone wrong behind the services' back (what the nightly recount exists for)...
    StoreScoreDay.objects.filter(store=store).update(positive=0, negative=3)
    cache.clear()
    assert "3 negative (1–2★)" in _store_page(client, store)
    # ... are put right by the recount, and the page says so at once.
    scoring.store_score_recount(store_id=store.pk)
    html = _store_page(client, store)
    assert "1 positive (4–5★)" in html
    assert "0 negative (1–2★)" in html


def test_a_buyers_new_name_shows(client, buyer, store, published):
    assert "Alice Buyer" in _store_page(client, store)
    portal_services.user_update_profile(
        user=buyer, display_name="Alice Renamed", language=buyer.language, time_zone=buyer.time_zone, phone=""
    )
    html = _store_page(client, store)
    assert "Alice Renamed" in html
    assert "Alice Buyer" not in html


def test_a_photo_processed_after_publication_shows(client, settings, tmp_path, buyer, seller, store):
    settings.MEDIA_ROOT = tmp_path
    now = timezone.now()
    window = _window(buyer, store)
    buyer_rates(window, buyer, stars=5, text="With a picture", photos=[_photo()], now=now)
    seller_rates(window, seller, now=now)
    photo = Photo.objects.get()
    assert "With a picture" in _store_page(client, store)
    assert str(photo.uuid) not in _store_page(client, store)  # still processing: left out
    photo_process(photo_id=photo.pk)
    assert reverse("portal:photo_thumbnail", args=[photo.uuid]) in _store_page(client, store)


def test_a_store_rename_shows_in_the_trust_line(client, seller, store, published):
    assert "How Bob&#x27;s Gadgets is rated" in _product_page(client, published)
    portal_services.store_update_settings(
        store=store, actor=seller, name="Bob's Better Gadgets", time_zone=store.time_zone, auto_reply=""
    )
    published.store.refresh_from_db()
    html = _product_page(client, published)
    assert "How Bob&#x27;s Better Gadgets is rated" in html


def test_an_answered_message_shows_in_the_response_rate(client, buyer, seller, store):
    for day in range(7):  # open around the clock: no auto-reply
        WorkingHours.objects.create(store=store, weekday=day, opens_at=time(0, 0), closes_at=time(23, 59, 59))
    assert "Response rate (30 days): <strong>—</strong>" in _store_page(client, store)
    now = timezone.now()
    message, _created = messaging_services.conversation_start(buyer=buyer, store=store, text="In stock?", now=now)
    conversation = message.conversation
    messaging_services.message_send(
        conversation_id=conversation.pk, sender=seller, side=Side.STORE, text="Yes", now=now + timedelta(minutes=5)
    )
    assert "Response rate (30 days): <strong>100%</strong>" in _store_page(client, store)


def test_a_rating_leaving_the_window_leaves_the_cached_score(client, buyer, store):
    published_at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    with time_machine.travel(published_at, tick=False):
        _publish(buyer, store, now=published_at)
    with time_machine.travel(published_at + timedelta(days=180) - timedelta(seconds=1), tick=False):
        assert "1 positive (4–5★)" in _store_page(client, store)
    with time_machine.travel(published_at + timedelta(days=180), tick=False):
        html = _store_page(client, store)
    assert "0 positive (4–5★)" in html
    assert "1 rating left out: older than 180 days" in html


def test_the_version_moves_again_after_commit(buyer, store, published, django_capture_on_commit_callbacks):
    """A reader that rendered the old rows between the first bump and the commit is never served."""
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = fragments.content_versions(topics=["feedback"], store_id=store.pk)
        fragments.content_changed(topic="feedback", store_id=store.pk)
        during = fragments.content_versions(topics=["feedback"], store_id=store.pk)
    built = []
    stale = fragments.cached(name="t", topics=["feedback"], store_id=store.pk, build=lambda: ("old rows", None))
    assert (first != during, stale) == (True, "old rows")
    for callback in callbacks:
        callback()
    assert fragments.content_versions(topics=["feedback"], store_id=store.pk) != during
    fresh = fragments.cached(
        name="t", topics=["feedback"], store_id=store.pk, build=lambda: (built.append(1) or "new rows", None)
    )
    assert (fresh, built) == ("new rows", [1])


# --- Nobody sees another visitor's view ----------------------------------------------------------


def test_report_links_are_each_viewers_own(client, buyer, other_buyer, store, published):
    report = reverse("feedback:report", args=[published.pk])
    anonymous = _store_page(client, store)
    assert report not in anonymous
    assert "<!--report" not in anonymous
    client.force_login(other_buyer)
    assert report in _store_page(client, store)
    assert report in _product_page(client, published)
    client.force_login(buyer)  # the author: no link on their own review, from the same cached list
    assert report not in _store_page(client, store)
    assert report not in _product_page(client, published)
    client.logout()
    assert report not in _store_page(client, store)


def test_languages_and_time_zones_each_get_their_own_list(client, store, buyer):
    # Published at 23:30 UTC: already the next day in Shanghai.
    moment = datetime(2026, 3, 2, 23, 30, tzinfo=UTC)
    with time_machine.travel(moment, tick=False):
        _publish(buyer, store, now=moment)
    polish = UserFactory(language="pl", time_zone="UTC")
    shanghai = UserFactory(language="en", time_zone="Asia/Shanghai")
    client.force_login(polish)
    html = _store_page(client, store)
    assert "Zweryfikowany zakup" in html
    assert 'datetime="2026-03-02T23:30:00+00:00"' in html
    client.force_login(shanghai)
    html = _store_page(client, store)
    assert "Verified purchase" in html
    assert 'datetime="2026-03-03T07:30:00+08:00"' in html
    client.force_login(polish)
    assert 'datetime="2026-03-02T23:30:00+00:00"' in _store_page(client, store)


# --- Queries ------------------------------------------------------------------------------------


@pytest.fixture
def busy_store(buyer, other_buyer, store, seller):
    """A store with published reviews, replies, an additional review and a message exchange."""
    first = _publish(buyer, store, text="First")
    _publish(other_buyer, store, text="Second", stars=2)
    services.reply_submit(author=seller, text="Thanks", review_id=first.pk, now=timezone.now())
    services.additional_review_submit(window_id=first.window_id, author=buyer, text="Later", now=timezone.now())
    # A delivery-time table with rows for the viewers' country (US: both are English readers).
    portal_services.store_set_delivery_times(
        store=store,
        actor=seller,
        rows=[
            portal_services.DeliveryRow(country="US", method=method, min_days=low, max_days=high)
            for method, low, high in (("economy", 10, 20), ("standard", 5, 9), ("express", 2, 3))
        ],
    )
    return first


def _count(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def _pages(review, buyer):
    order = Order.objects.filter(buyer=buyer).first()
    assert order is not None
    return {
        "store": reverse("portal:store_page", args=[review.store.slug]),
        "product": reverse("portal:product_page", args=[review.store.slug, review.product.slug]),
        "inbox": reverse("messaging:inbox"),
        "orders": reverse("portal:order_list"),
    }


# Pinned figures: warm (the parts cached) within the targets, cold (cache empty) as a guard.
# Cold, the product page reads the delivery times for the viewer's country and the store page the
# on-time share (one query each), and the product page its photo gallery (a cached part of its
# own). Warm, a visitor's store page reads only its store and a visitor's product page only its
# ids: each body below the bar is one cached part (reviews, score, products, hours, delivery).
# Signed in, the product page reads its product and store in one query, and the restriction
# banner's live points are cached (`penalties`); the session comes from the cache, and the
# memberships (whether the viewer works for the store) come in the navigation's one query.
ANONYMOUS = {"store": (1, 24), "product": (1, 23)}
SIGNED_IN = {"store": (3, 27), "product": (5, 27), "inbox": (4, 5), "orders": (3, 4)}


@pytest.mark.parametrize("page", sorted(ANONYMOUS))
def test_anonymous_public_pages_queries(client, buyer, busy_store, page, django_assert_num_queries):
    url = _pages(busy_store, buyer)[page]
    warm, cold = ANONYMOUS[page]
    cache.clear()
    with django_assert_num_queries(cold):
        client.get(url)
    with django_assert_num_queries(warm):
        html = client.get(url).content.decode()
    assert warm <= 6
    if page == "product":  # the figures hold with the delivery times shown
        assert "Standard: 5–9 days" in html


@pytest.mark.parametrize("page", sorted(SIGNED_IN))
def test_signed_in_pages_queries(client, buyer, busy_store, page, django_assert_num_queries):
    url = _pages(busy_store, buyer)[page]
    warm, cold = SIGNED_IN[page]
    client.force_login(buyer)
    client.get(url)  # the session's first write out of the figures
    cache.clear()
    with django_assert_num_queries(cold):
        client.get(url)
    with django_assert_num_queries(warm):
        html = client.get(url).content.decode()
    assert warm <= 10
    if page == "product":
        assert "Standard: 5–9 days" in html


def test_a_store_member_sees_the_same_cached_list(client, agent, store, published):
    """Store people see the public list too (their own links aside): one cached entry serves both."""
    assert StoreMember.objects.filter(user=agent, store=store).exists()
    _store_page(client, store)
    client.force_login(agent)
    with CaptureQueriesContext(connection) as queries:
        html = _store_page(client, store)
    assert "Works as described" in html
    assert not any("feedback_itemreview" in q["sql"] for q in queries.captured_queries)


# --- The product list's parts that do not move with the cursor ---------------------------------


def _publish_on(product, buyer, *, stars=5, text="Again"):
    now = timezone.now()
    order = make_order(
        buyer=buyer, store=product.store, status=Order.Status.COMPLETED, products=[product], at=now - timedelta(days=4)
    )
    window = FeedbackWindow.objects.select_related("order").get(order=order)
    buyer_rates(window, buyer, stars=stars, text=text, now=now)
    seller_rates(window, product.store.owner, now=now)
    return ItemReview.objects.select_related("product", "store").get(window=window)


def _product_page_at(client, review, cursor):
    url = reverse("portal:product_page", args=[review.store.slug, review.product.slug])
    response = client.get(url, {"after": cursor})
    assert response.status_code == 200
    return response.content.decode()


def test_a_page_at_a_new_position_shows_the_stars_of_a_review_published_meanwhile(client, published, other_buyer):
    from feedback.selectors import encode_cursor

    assert "· 1 rating</p>" in _product_page_at(client, published, encode_cursor(published))
    second = _publish_on(published.product, other_buyer, stars=2)
    # A position never asked before: its list is new, the stars beside it must be too.
    page = _product_page_at(client, published, encode_cursor(second))
    assert "· 2 ratings</p>" in page
    assert "· 1 rating</p>" not in page


def test_a_page_at_a_new_position_reads_only_its_rows(client, published, other_buyer, django_assert_num_queries):
    from feedback.selectors import encode_cursor

    second = _publish_on(published.product, other_buyer, stars=2)
    _product_page_at(client, published, encode_cursor(published))
    # The stars, the buyers' photos and the automatic count are kept: the product's ids, the
    # product and store (to build the new position's body), the page's rows and their photos.
    with django_assert_num_queries(4):
        html = _product_page_at(client, published, encode_cursor(second))
    assert "· 2 ratings</p>" in html
    assert "Works as described" in html  # the row after the newest
