"""Public review lists: sorts with keyset pages, automatic ratings on one line, the buyers' photo strip."""

import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from feedback import selectors, services
from feedback.models import FeedbackWindow, ItemReview
from feedback.tests.conftest import buyer_rates, seller_rates
from feedback.tests.test_photos import _photo
from portal.models import Order, Photo
from portal.tests.factories import ProductFactory, UserFactory, make_order
from portal.uploads import photo_process

T = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def review_on(product, *, stars=5, at=T, photos=0, text="", automatic=False, process=True):
    """A review of `product` published at `at` (the seller rates at `at`); automatic when the buyer stays silent."""
    buyer = UserFactory()
    order = make_order(
        buyer=buyer, store=product.store, status=Order.Status.COMPLETED, products=[product], at=at - timedelta(days=3)
    )
    window = FeedbackWindow.objects.select_related("order").get(order=order)
    if automatic:
        seller_rates(window, product.store.owner, stars=5, now=at - timedelta(days=1))
        services.feedback_windows_close_sweep(now=window.closes_at)
        ItemReview.objects.filter(window=window).update(published_at=at)
    else:
        buyer_rates(window, buyer, stars=stars, text=text, photos=[_photo() for _ in range(photos)], now=at)
        seller_rates(window, product.store.owner, now=at)
    review = ItemReview.objects.get(window=window)
    if process:
        for photo in review.photos.all():
            photo_process(photo_id=photo.pk)
    return review


@pytest.fixture
def mixed(product):
    """Nine written reviews (two published at the same second) and three automatic ratings."""
    specs = [(5, 0), (1, 1), (3, 0), (4, 2), (2, 0), (5, 1), (1, 0), (4, 0), (3, 1)]
    reviews = [
        review_on(product, stars=stars, photos=photos, at=T + timedelta(minutes=i), text=f"review {i}")
        for i, (stars, photos) in enumerate(specs)
    ]
    reviews.append(review_on(product, stars=5, at=T + timedelta(minutes=4), text="tie"))  # same second as #4
    automatic = [review_on(product, automatic=True, at=T + timedelta(hours=1, minutes=i)) for i in range(3)]
    return reviews, automatic


def _expected(reviews, sort):
    newest = sorted(reviews, key=lambda r: (r.published_at, r.pk), reverse=True)
    if sort == "highest":
        return sorted(newest, key=lambda r: -r.stars)
    if sort == "lowest":
        return sorted(newest, key=lambda r: r.stars)
    if sort == "photos":
        return sorted(newest, key=lambda r: r.photo_count == 0)
    return newest


def _walk(product, filters, size):
    seen, cursor = [], None
    while True:
        page = selectors.product_reviews(product=product, filters=filters, cursor=cursor, size=size)
        seen += page.reviews
        if not page.next_cursor:
            return seen
        cursor = page.next_cursor


@pytest.mark.parametrize("sort", selectors.SORTS)
@pytest.mark.parametrize("size", [1, 3, 4])
def test_every_sort_walks_every_written_review_once_in_order(product, mixed, sort, size):
    reviews, _automatic = mixed
    walked = _walk(product, selectors.ReviewFilters(sort=sort), size)
    assert [r.pk for r in walked] == [r.pk for r in _expected(reviews, sort)]


@pytest.mark.parametrize("sort", selectors.SORTS)
def test_sorts_keep_the_star_photo_and_additional_filters(product, mixed, sort):
    reviews, _automatic = mixed
    services.additional_review_submit(
        window_id=reviews[2].window_id, author=reviews[2].buyer, text="Later", now=T + timedelta(days=1)
    )
    for review in reviews:
        review.refresh_from_db()
    cases = [
        (selectors.ReviewFilters(sort=sort, stars=5), [r for r in reviews if r.stars == 5]),
        (selectors.ReviewFilters(sort=sort, with_photos=True), [r for r in reviews if r.photo_count]),
        (selectors.ReviewFilters(sort=sort, with_additional=True), [reviews[2]]),
        (selectors.ReviewFilters(sort=sort, stars=1, with_photos=True), [reviews[1]]),
    ]
    for filters, matching in cases:
        assert [r.pk for r in _walk(product, filters, 2)] == [r.pk for r in _expected(matching, sort)], filters


@pytest.mark.parametrize("sort", selectors.SORTS)
def test_each_sort_costs_the_same_queries_on_every_page(product, mixed, sort, django_assert_num_queries):
    filters = selectors.ReviewFilters(sort=sort)
    with CaptureQueriesContext(connection) as first:
        page = selectors.product_reviews(product=product, filters=filters, size=3)
    cursor = page.next_cursor
    pages = 1
    while cursor:
        with django_assert_num_queries(len(first)):
            page = selectors.product_reviews(product=product, filters=filters, cursor=cursor, size=3)
        cursor = page.next_cursor
        pages += 1
    assert pages == 4


@pytest.mark.parametrize("sort", ["highest", "photos"])
def test_the_product_page_costs_the_same_at_page_one_and_deeper(
    client, product, mixed, sort, django_assert_num_queries
):
    url = reverse("portal:product_page", args=[product.store.slug, product.slug])
    review_on(product, stars=2, at=T + timedelta(minutes=30), photos=1)  # 11 written: two pages of 10
    # Both pages rendered from an empty fragment cache: the database's work, not the cache's.
    with CaptureQueriesContext(connection) as first:
        html = client.get(url, {"sort": sort}).content.decode()
    match = re.search(r'href="(\?[^"]*after=[^"#]+)', html)
    assert match
    cache.clear()
    with django_assert_num_queries(len(first)):
        deeper = client.get(url + match.group(1).replace("&amp;", "&"))
    assert deeper.content.decode().count('class="card review"') == 1
    assert f'<option value="{sort}" selected>' in deeper.content.decode()


@pytest.mark.parametrize(
    "query",
    [
        {"sort": "bogus"},
        {"sort": "\x00"},
        {"sort": "highest", "after": "not-a-cursor"},
        {"sort": "highest", "after": "MjAyNi0wNS0wNFQwOTowMDowMCswMDowMHwxfDk5"},  # a star group that does not exist
        {"sort": "photos", "after": "bm90fGF8Y3Vyc29y"},
        {"sort": "lowest", "stars": "7", "photos": "yes", "automatic": "2"},
    ],
)
def test_bad_sort_values_and_cursors_fall_back_to_the_first_page(client, product, mixed, query):
    url = reverse("portal:product_page", args=[product.store.slug, product.slug])
    response = client.get(url, query)
    assert response.status_code == 200
    assert response.content.decode().count('class="card review"') == 10
    assert client.get(reverse("portal:store_page", args=[product.store.slug]), query).status_code == 200


def test_a_cursor_of_another_sort_starts_that_sort_at_the_top(product, mixed):
    reviews, _automatic = mixed
    newest = selectors.product_reviews(product=product, filters=selectors.ReviewFilters(), size=3)
    highest = selectors.product_reviews(
        product=product, filters=selectors.ReviewFilters(sort="highest"), cursor=newest.next_cursor, size=3
    )
    assert [r.pk for r in highest.reviews] == [r.pk for r in _expected(reviews, "highest")[:3]]


def test_automatic_ratings_collapse_into_one_line_on_product_and_store_pages(client, product, mixed):
    _reviews, automatic = mixed
    for url, anchor in (
        (reverse("portal:product_page", args=[product.store.slug, product.slug]), "reviews"),
        (reverse("portal:store_page", args=[product.store.slug]), "store-reviews"),
    ):
        html = client.get(url).content.decode()
        # The automatic ratings are the newest, yet the first page is written reviews only.
        assert html.count('class="card review"') == 10
        assert "3 automatic ratings" in html
        assert "<strong>Automatic rating</strong>" not in html
        show = re.search(r'href="(\?[^"]*automatic=1[^"]*)"', html)
        assert show
        listed = client.get(url + show.group(1).replace("&amp;", "&")).content.decode()
        assert listed.count('class="card review"') == 3
        assert listed.count("<strong>Automatic rating</strong>") == 3
        assert "Show the written reviews" in listed
        assert f"#{anchor}" in show.group(1)
    # Filters that automatic ratings cannot match leave the line out; a star filter counts them.
    page = selectors.product_reviews(product=product, filters=selectors.ReviewFilters(with_photos=True))
    assert page.automatic_count == 0
    page = selectors.product_reviews(product=product, filters=selectors.ReviewFilters(stars=4))
    assert page.automatic_count == 3
    page = selectors.product_reviews(product=product, filters=selectors.ReviewFilters(stars=5))
    assert page.automatic_count == 0
    assert automatic


def test_one_automatic_rating_is_singular(client, product):
    review_on(product, stars=3, text="Fine")
    review_on(product, automatic=True, at=T + timedelta(hours=1))
    html = client.get(reverse("portal:product_page", args=[product.store.slug, product.slug])).content.decode()
    assert re.search(r"1 automatic rating\s*<", html)


@pytest.mark.parametrize(
    ("language", "one", "few", "many"),
    [
        ("pl", "1 ocena automatyczna", "3 oceny automatyczne", "5 ocen automatycznych"),
        ("ko", "자동 평점 1개", "자동 평점 3개", "자동 평점 5개"),
        ("zh-hans", "1 条自动评价", "3 条自动评价", "5 条自动评价"),
        ("gu", "1 આપોઆપ રેટિંગ", "3 આપોઆપ રેટિંગ", "5 આપોઆપ રેટિંગ"),
    ],
)
def test_the_automatic_line_is_plural_right_in_each_language(language, one, few, many):
    from django.template.loader import render_to_string

    def line(count):
        page = selectors.ReviewPage(reviews=[], next_cursor=None, automatic_count=count)
        with translation.override(language):
            return render_to_string(
                "feedback/_automatic_line.html",
                {"page": page, "filters": selectors.ReviewFilters(), "filter_query": {}, "anchor": "reviews"},
            )

    assert one in line(1)
    assert few in line(3)
    assert many in line(5)


def test_the_buyers_photo_strip_is_bounded_public_and_one_query(product, store, django_assert_num_queries):
    shown = [review_on(product, stars=5 - i % 5, at=T + timedelta(minutes=i), photos=2) for i in range(7)]
    removed = review_on(product, stars=1, at=T + timedelta(hours=2), photos=1)
    moderator = UserFactory(is_superuser=True, is_staff=True)
    services.review_moderate(review_id=removed.pk, moderator=moderator, decision="remove", now=T + timedelta(hours=3))
    processing = review_on(product, stars=4, at=T + timedelta(hours=4), photos=1, process=False)
    other_product = review_on(ProductFactory(store=store), photos=1, at=T)
    with django_assert_num_queries(1):
        strip = selectors.product_photo_strip(product=product)
    assert len(strip) == 12
    expected = [p.pk for r in reversed(shown) for p in r.photos.order_by("pk")][:12]
    assert [p.pk for p in strip] == expected
    excluded = {*removed.photos.values_list("pk", flat=True), *processing.photos.values_list("pk", flat=True)}
    excluded |= set(other_product.photos.values_list("pk", flat=True))
    assert not excluded & {p.pk for p in strip}
    assert Photo.objects.filter(status=Photo.Status.PROCESSING).count() == 1


def test_the_photo_strip_on_the_product_page_has_alt_text(client, product):
    review = review_on(product, stars=4, photos=1, text="Look")
    photo = review.photos.get()
    html = client.get(reverse("portal:product_page", args=[product.store.slug, product.slug])).content.decode()
    strip = html[html.index('class="photo-strip"') :]
    strip = strip[: strip.index("</ul>")]
    assert reverse("portal:photo_thumbnail", args=[photo.uuid]) in strip
    alts = [unescape(alt) for alt in re.findall(r'alt="([^"]*)"', strip)]
    assert alts == ["Buyer's photo from a review with 4 of 5 stars"]
