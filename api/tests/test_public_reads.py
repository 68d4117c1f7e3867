"""The public reads answered ahead of the site's middleware (`api.public_reads`): the same answers
as the operations, without the session, sign-in and database, and never one that is not current."""

import os
import uuid
from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from api import public_reads
from feedback.models import FeedbackWindow, ItemReview
from feedback.tests.conftest import buyer_rates, complete_order, seller_rates
from portal import fragments, rules
from portal import services as portal_services
from portal.middleware import SiteSessionMiddleware

# Headers that differ between any two answers, whichever way they went.
PER_ANSWER = {"Date", "X-Request-ID"}


def _publish(buyer, store, *, text, now=None):
    now = now or timezone.now()
    window = FeedbackWindow.objects.get(order=complete_order(buyer, store, at=now - timedelta(days=1), items=1))
    buyer_rates(window, buyer, stars=5, text=text, now=now)
    seller_rates(window, store.owner, now=now)
    return ItemReview.objects.select_related("product").get(window=window)


@pytest.fixture
def published(buyer, store):
    return _publish(buyer, store, text="Works as described")


@pytest.fixture
def reviews_url(store, published):
    return f"/api/v1/public/stores/{store.slug}/products/{published.product.slug}/reviews"


@pytest.fixture
def score_url(store, published):
    return f"/api/v1/public/stores/{store.slug}/score"


def _without_the_stack():
    """The rest of the middleware (and the operations behind it) must not be reached."""
    return mock.patch.object(SiteSessionMiddleware, "__call__", side_effect=AssertionError("went the whole way"))


def _through_the_whole_stack():
    """The rest of the middleware runs as ever, and tells whether it ran."""
    return mock.patch.object(
        SiteSessionMiddleware, "__call__", autospec=True, side_effect=SiteSessionMiddleware.__call__
    )


def _headers(response):
    return {name: value for name, value in response.headers.items() if name not in PER_ANSWER}


def _through_the_stack(anonymous, url, **kwargs):
    """The operation's own answer: the fast path is told it has nothing kept."""
    with mock.patch.object(public_reads, "_kept_answer", return_value=None):
        return anonymous.get(url, **kwargs)


@pytest.mark.parametrize("url_name", ["reviews_url", "score_url"])
def test_a_kept_read_is_the_operations_answer_without_the_stack(
    anonymous, url_name, request, django_assert_num_queries
):
    url = request.getfixturevalue(url_name)
    anonymous.get(url)  # builds the entry; the next reads find it
    anonymous.get(url)  # keeps what the slugs lead to
    operation = _through_the_stack(anonymous, url)
    with _without_the_stack(), django_assert_num_queries(0):
        kept = anonymous.get(url)
    assert kept.status_code == operation.status_code == 200
    assert kept.content == operation.content
    assert _headers(kept) == _headers(operation)


@pytest.mark.parametrize("url_name", ["reviews_url", "score_url"])
def test_a_kept_304_and_language_are_the_operations(anonymous, url_name, request):
    url = request.getfixturevalue(url_name)
    etag = anonymous.get(url)["ETag"]
    anonymous.get(url)
    for headers in ({"If-None-Match": etag}, {"If-None-Match": f'W/{etag}, "other"'}, {"Accept-Language": "pl"}):
        operation = _through_the_stack(anonymous, url, headers=headers)
        with _without_the_stack():
            kept = anonymous.get(url, headers=headers)
        assert (kept.status_code, kept.content) == (operation.status_code, operation.content), headers
        assert _headers(kept) == _headers(operation), headers
    assert kept["Content-Language"] == "pl"


def test_a_request_with_a_cookie_goes_the_whole_way(anonymous, reviews_url):
    anonymous.get(reviews_url)
    anonymous.get(reviews_url)
    anonymous.client.cookies["django_language"] = "ko"
    with mock.patch.object(public_reads, "_kept_answer", side_effect=AssertionError("answered ahead")):
        response = anonymous.get(reviews_url)
    assert response.status_code == 200


def test_what_the_operation_refuses_is_left_to_it(anonymous, store, reviews_url):
    """A bad cursor, an unknown store or product: the operation's problem documents."""
    anonymous.get(reviews_url)
    anonymous.get(reviews_url)
    for url, params, status in (
        (reviews_url, {"cursor": "not-a-cursor"}, 422),
        (reviews_url, {"cursor": "x" * 201}, 422),
        (f"/api/v1/public/stores/{store.slug}/products/nope/reviews", {}, 404),
        ("/api/v1/public/stores/nope/score", {}, 404),
    ):
        with _through_the_whole_stack() as stack:
            response = anonymous.client.get(url, params)
        assert response.status_code == status, url
        assert response["Content-Type"] == "application/problem+json"
        assert stack.called, url


def test_the_rate_limit_counts_each_request_once_either_way(anonymous, store, reviews_url, settings):
    """Counted once whichever way a request goes; not counted where the operation refuses the
    parameters before counting (a cursor over its length)."""
    from django.core.cache import cache

    settings.OPINIA_API_RATE_LIMIT = "4/minute"
    with time_machine.travel(timezone.now().replace(second=5), tick=False):
        assert anonymous.get(reviews_url).status_code == 200  # not kept: through the operation
        assert anonymous.get(reviews_url).status_code == 200  # kept
        assert anonymous.get(reviews_url, cursor="x" * 201).status_code == 422  # not counted
        unknown = f"/api/v1/public/stores/{store.slug}/products/nope/reviews"
        assert anonymous.get(unknown).status_code == 404
        cache.delete(f"content-version:profile:{store.pk}")  # the kept ids' version is lost
        assert anonymous.get(reviews_url).status_code == 200  # through the operation again
        refused = anonymous.get(reviews_url)
    assert refused.status_code == 429
    assert refused["Retry-After"] == "55"
    assert refused["Content-Type"] == "application/problem+json"


def test_a_publication_shows_on_the_next_kept_read(anonymous, other_buyer, store, reviews_url, score_url):
    for url in (reviews_url, score_url):
        anonymous.get(url)
        anonymous.get(url)
    before = anonymous.get(score_url).json()["counted"]
    order = complete_order(other_buyer, store, at=timezone.now() - timedelta(days=1), items=1)
    product = ItemReview.objects.get(text="Works as described").product
    order.items.update(product=product)
    window = FeedbackWindow.objects.get(order=order)
    buyer_rates(window, other_buyer, stars=4, text="Second one", now=timezone.now())
    seller_rates(window, store.owner, now=timezone.now())
    assert [r["text"] for r in anonymous.get(reviews_url).json()["items"]] == ["Second one", "Works as described"]
    assert anonymous.get(score_url).json()["counted"] == before + 1


def test_a_product_taken_down_renamed_or_moved_is_read_from_the_database_at_once(
    anonymous, store, published, other_store
):
    product = published.product
    url = f"/api/v1/public/stores/{store.slug}/products/{product.slug}/reviews"
    anonymous.get(url)
    assert anonymous.get(url).status_code == 200  # kept
    product.is_active = False
    product.save()  # as the admin and the API's upsert do
    assert anonymous.get(url).status_code == 404
    product.is_active = True
    product.slug = "renamed"
    product.save()
    assert anonymous.get(url).status_code == 404
    assert anonymous.get(f"/api/v1/public/stores/{store.slug}/products/renamed/reviews").status_code == 200
    product.store = other_store
    product.save()  # a plain save: the store it left is renewed too
    assert anonymous.get(f"/api/v1/public/stores/{store.slug}/products/renamed/reviews").status_code == 404


def test_a_bulk_write_that_renews_the_profile_is_read_at_once(anonymous, store, published, reviews_url):
    anonymous.get(reviews_url)
    assert anonymous.get(reviews_url).status_code == 200
    type(published.product).objects.filter(pk=published.product.pk).update(is_active=False)
    fragments.content_changed(topic="profile", store_id=store.pk)  # as every bulk write does
    assert anonymous.get(reviews_url).status_code == 404


def test_a_store_renamed_is_read_at_once(anonymous, store, score_url):
    anonymous.get(score_url)
    assert anonymous.get(score_url).json()["store_name"] == "Bob's Gadgets"
    store.name = "Bob's Cables"
    store.save()
    assert anonymous.get(score_url).json()["store_name"] == "Bob's Cables"
    store.slug = "bobs-cables"
    store.save()
    assert anonymous.get(score_url).status_code == 404


def test_a_lost_profile_version_sends_the_slugs_to_the_database(anonymous, store, published, reviews_url):
    """What the slugs led to is kept in the process under the store's profile version; the cache may
    lose that version (evicted, Redis restarted) while the answer's own entry stays: the slugs are
    then looked up again, here after a write that renewed nothing."""
    from django.core.cache import cache

    anonymous.get(reviews_url)
    assert anonymous.get(reviews_url).status_code == 200
    type(published.product).objects.filter(pk=published.product.pk).update(is_active=False)  # no signal
    cache.delete(f"content-version:profile:{store.pk}")
    assert anonymous.get(reviews_url).status_code == 404


def test_a_write_that_renews_nothing_shows_within_a_second(anonymous, store, published, reviews_url, monkeypatch):
    """A data fix in SQL or a database restored under a running cache renews no version: what the
    slugs led to is looked up again after KEPT_IDS_SECONDS whatever the version says."""
    anonymous.get(reviews_url)
    assert anonymous.get(reviews_url).status_code == 200
    type(store).objects.filter(pk=store.pk).update(slug="gone")  # no signal
    later = public_reads.monotonic() + public_reads.KEPT_IDS_SECONDS
    monkeypatch.setattr(public_reads, "monotonic", lambda: later)
    assert anonymous.get(reviews_url).status_code == 404


def test_a_host_the_site_does_not_serve_is_a_400_either_way(anonymous, reviews_url, score_url):
    for url in (reviews_url, score_url):
        anonymous.get(url)
        anonymous.get(url)
        assert anonymous.get(url, headers={"Host": "evil.example"}).status_code == 400


@pytest.fixture
def rated_100_days_ago(buyer, store, staff):
    """(the store's public score URL, now): one rating published 100 days before now, inside the
    180-day window and outside a 90-day one, and `staff` allowed to publish rules."""
    from django.contrib.auth.models import Permission

    published_at = timezone.now().replace(microsecond=0) - timedelta(days=100)
    with time_machine.travel(published_at, tick=False):
        _publish(buyer, store, text="Old one", now=published_at)
    staff.user_permissions.add(Permission.objects.get(content_type__app_label="portal", codename="publish_rules"))
    return f"/api/v1/public/stores/{store.slug}/score", published_at + timedelta(days=100)


def _publish_a_90_day_window(staff, now):
    values = rules.latest_version().values()
    values["score_window_days"] = 90
    portal_services.rules_publish(actor=staff, effective_from=now, values=values, note="Shorter", now=now)


def test_new_rules_show_in_the_kept_score_at_once(anonymous, staff, rated_100_days_ago):
    """A new score window, published to take effect now, renews every kept part."""
    url, now = rated_100_days_ago
    with time_machine.travel(now, tick=False):
        assert anonymous.get(url).json()["counted"] == 1
        assert anonymous.get(url).json()["window_days"] == 180  # kept
        _publish_a_90_day_window(staff, now)
        score = anonymous.get(url).json()
    assert (score["window_days"], score["counted"]) == (90, 0)


def test_new_rules_reach_a_process_that_still_holds_the_old_ones(anonymous, staff, rated_100_days_ago):
    """Another web process keeps its list of the rules' versions for a few seconds: seeing the
    rules' version moved by a publication, it reads the list again before it builds."""
    url, now = rated_100_days_ago
    with time_machine.travel(now, tick=False):
        assert anonymous.get(url).json()["window_days"] == 180
        rules.rules_at(now)
        held_by_another_process = rules._snapshot
        _publish_a_90_day_window(staff, now)
        rules._snapshot = held_by_another_process  # its list, read before the publication
        score = anonymous.get(url).json()
    assert (score["window_days"], score["counted"]) == (90, 0)


def test_a_product_moved_renews_both_stores_star_summaries(store, published, other_store):
    product = type(published.product).objects.get(pk=published.product.pk)
    before = {s: fragments.content_versions(topics=["feedback"], store_id=s) for s in (store.pk, other_store.pk)}
    product.store = other_store
    product.save()
    for store_id, versions in before.items():
        assert fragments.content_versions(topics=["feedback"], store_id=store_id) != versions


def test_a_product_read_again_leaves_the_store_it_is_in_now(store, published, other_store):
    """Moved by someone else, read again, then moved on: the store it left is the one renewed."""
    from portal.tests.factories import StoreFactory, UserFactory

    third = StoreFactory(owner=UserFactory(email="third@example.com"), slug="third-store")
    product = type(published.product).objects.get(pk=published.product.pk)
    type(product).objects.filter(pk=product.pk).update(store=other_store)  # someone else's move
    product.refresh_from_db()
    before = fragments.content_versions(topics=["profile"], store_id=other_store.pk)
    product.store = third
    product.save()
    assert fragments.content_versions(topics=["profile"], store_id=other_store.pk) != before


def test_a_catalogue_sent_again_unchanged_renews_nothing(db):
    """A marketplace resending its stores and products as they are keeps every kept answer."""
    sent = {"external_ref": "shop-1", "owner_email": "owner@shop.example", "name": "Shop", "country": "cn"}
    store, _created = portal_services.store_upsert_external(**sent, time_zone="Asia/Shanghai")
    product = {"store": store, "external_ref": "sku-1", "title": "Cable", "price": Decimal("2.50")}
    portal_services.product_upsert_external(**product)
    before = fragments.content_versions(topics=["profile", "feedback"], store_id=store.pk)
    portal_services.store_upsert_external(**sent, time_zone="Asia/Shanghai")
    portal_services.product_upsert_external(**product)
    assert fragments.content_versions(topics=["profile", "feedback"], store_id=store.pk) == before
    portal_services.product_upsert_external(**{**product, "title": "Cable, 2 m"})
    after = fragments.content_versions(topics=["profile", "feedback"], store_id=store.pk)
    assert after[0] != before[0]
    assert after[1] != before[1]


def test_the_score_leaves_the_window_at_the_second(anonymous, buyer, store):
    """Kept until the oldest counted rating leaves the 180-day window: counted at 180 days minus a
    second, not at 180 days, whichever way the read goes."""
    published_at = timezone.now().replace(microsecond=0) - timedelta(days=170)
    with time_machine.travel(published_at, tick=False):
        _publish(buyer, store, text="Old one", now=published_at)
    url = f"/api/v1/public/stores/{store.slug}/score"
    with time_machine.travel(published_at + timedelta(days=180, seconds=-1), tick=False):
        assert anonymous.get(url).json()["counted"] == 1
        with _without_the_stack():
            assert anonymous.get(url).json()["counted"] == 1
    with time_machine.travel(published_at + timedelta(days=180), tick=False):
        assert anonymous.get(url).json()["counted"] == 0


def test_the_slugs_moving_during_the_lookup_are_not_kept():
    answers = iter([(1, 10), (2, 20)])
    with pytest.raises(public_reads.Http404):
        public_reads._ids(lambda: next(answers))


def test_the_patterns_are_the_operations_paths():
    reviews = reverse("api-v1:product_reviews", kwargs={"slug": "a-store", "product_slug": "a_product-2"})
    score = reverse("api-v1:store_score", kwargs={"slug": "a-store"})
    assert public_reads.PRODUCT_REVIEWS.fullmatch(reviews)
    assert public_reads.STORE_SCORE.fullmatch(score)
    assert not public_reads.PRODUCT_REVIEWS.fullmatch(reviews + "/")
    assert not public_reads.STORE_SCORE.fullmatch(score.replace("a-store", "a store"))


@pytest.fixture
def other_store(db):
    from portal.tests.factories import StoreFactory, UserFactory

    return StoreFactory(owner=UserFactory(email="other-seller@example.com"), slug="other-store")


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL")
def test_a_kept_read_is_one_round_trip_to_redis(anonymous, reviews_url, settings, monkeypatch):
    """With production's cache: the counter, the answer and its versions in one command."""
    prefix = f"test-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {"BACKEND": "portal.cache.RedisCache", "LOCATION": os.environ["REDIS_URL"], "KEY_PREFIX": prefix}
    }
    from django.core.cache import cache

    first = anonymous.get(reviews_url)
    anonymous.get(reviews_url)
    client = cache._cache.get_client()
    commands: list[str] = []
    execute = client.execute_command
    monkeypatch.setattr(client, "execute_command", lambda *a, **kw: commands.append(a[0]) or execute(*a, **kw))
    with _without_the_stack():
        kept = anonymous.get(reviews_url)
        not_modified = anonymous.get(reviews_url, headers={"If-None-Match": first["ETag"]})
    assert (kept.status_code, kept.content) == (200, first.content)
    assert not_modified.status_code == 304
    assert commands == ["EVALSHA", "EVALSHA"]
    monkeypatch.undo()
    client.delete(*client.keys(f"{prefix}:*"))  # this test's keys only: others share the database


def test_a_client_over_its_limit_costs_no_query(anonymous, store, reviews_url, settings, django_assert_num_queries):
    settings.OPINIA_API_RATE_LIMIT = "1/minute"
    with time_machine.travel(timezone.now().replace(second=5), tick=False):
        assert anonymous.get(reviews_url).status_code == 200
        with django_assert_num_queries(0):
            assert anonymous.get(reviews_url).status_code == 429
            assert anonymous.get(f"/api/v1/public/stores/{store.slug}/products/nope/reviews").status_code == 429


def test_the_limit_opens_again_at_the_next_minute(anonymous, reviews_url, settings):
    """A fixed window: over the limit a second before the minute ends (Retry-After 1), counted
    anew from the minute's first second, whichever way the reads go."""
    settings.OPINIA_API_RATE_LIMIT = "2/minute"
    minute = timezone.now().replace(second=0, microsecond=0) + timedelta(minutes=1)
    with time_machine.travel(minute - timedelta(seconds=1), tick=False):
        assert anonymous.get(reviews_url).status_code == 200
        assert anonymous.get(reviews_url).status_code == 200
        refused = anonymous.get(reviews_url)
        assert (refused.status_code, refused["Retry-After"]) == (429, "1")
    with time_machine.travel(minute, tick=False):
        assert anonymous.get(reviews_url).status_code == 200
