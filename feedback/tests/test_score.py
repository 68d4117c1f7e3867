from collections import defaultdict
from datetime import UTC, timedelta

import pytest
from django.contrib.auth.models import Group
from django.db import transaction
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from feedback import scoring, selectors, services
from feedback.models import FeedbackWindow, ItemReview, ProductStarCount, StoreScoreDay
from feedback.tests.conftest import T0, buyer_rates, complete_order, seller_rates
from portal.tasks import run_sweep
from portal.tests.factories import UserFactory


def _rate_now(buyer, seller, store, *, at, stars, items=1):
    """An order completed at `at` and rated by both sides one hour later: published then."""
    window = FeedbackWindow.objects.select_related("order").get(order=complete_order(buyer, store, at=at, items=items))
    buyer_rates(window, buyer, stars=stars, now=at + timedelta(hours=1))
    seller_rates(window, seller, stars=5, now=at + timedelta(hours=1))
    return window


def test_same_buyer_within_10_days_counts_once_at_10_days_twice(buyer, seller, store, other_buyer):
    first = _rate_now(buyer, seller, store, at=T0, stars=5)
    published = first.item_reviews.get().published_at
    # Completed so that the second publication lands one second before the period ends.
    _rate_now(buyer, seller, store, at=published + timedelta(days=10, seconds=-1, hours=-1), stars=1)
    score = selectors.store_score(store=store, now=published + timedelta(days=11))
    assert (score.positive, score.negative, score.merged) == (1, 0, 1)
    _rate_now(buyer, seller, store, at=published + timedelta(days=10, hours=-1), stars=2)
    score = selectors.store_score(store=store, now=published + timedelta(days=11))
    assert (score.positive, score.negative, score.merged) == (1, 1, 1)
    # Another buyer on the same day is never merged with the first one.
    _rate_now(other_buyer, seller, store, at=T0, stars=3)
    score = selectors.store_score(store=store, now=published + timedelta(days=11))
    assert (score.counted, score.neutral) == (3, 1)
    assert score.positive_percent == 50.0


def test_the_180_day_window_drops_a_rating_180_days_after_publication_to_the_second(buyer, seller, store):
    window = _rate_now(buyer, seller, store, at=T0, stars=4)
    published = window.item_reviews.get().published_at
    edge = published + timedelta(days=180)
    inside = selectors.store_score(store=store, now=edge - timedelta(seconds=1))
    outside = selectors.store_score(store=store, now=edge)
    assert (inside.positive, inside.older) == (1, 0)
    assert (outside.positive, outside.older, outside.positive_percent) == (0, 1, None)
    assert outside.feedback_score == inside.feedback_score == 1  # all time


def test_score_header_explains_and_averages_detailed_ratings(buyer, seller, store):
    window = FeedbackWindow.objects.select_related("order").get(order=complete_order(buyer, store, items=2))
    buyer_rates(window, buyer, stars=5, now=T0 + timedelta(hours=1), details=(5, 4, None))
    seller_rates(window, seller, now=T0 + timedelta(hours=1))
    score = selectors.store_score(store=store, now=T0 + timedelta(days=1))
    assert (score.counted, score.merged, score.removed, score.older) == (1, 1, 0, 0)
    assert (score.described, score.communication, score.shipping) == (5.0, 4.0, None)


def test_nightly_recount_corrects_drift(buyer, seller, store):
    _rate_now(buyer, seller, store, at=T0, stars=5)
    StoreScoreDay.objects.filter(store=store).update(positive=7, negative=3)
    assert run_sweep("feedback.score_recount") == 1
    row = StoreScoreDay.objects.get(store=store)
    assert (row.positive, row.negative) == (1, 0)
    assert run_sweep("feedback.score_recount") == 0


COUNTS = ("positive", "neutral", "negative", "merged", "removed")


def oracle(store):
    """The rule of docs/feedback.md, written again naively from the raw reviews."""
    expected = defaultdict(lambda: dict.fromkeys(COUNTS, 0))
    by_buyer = defaultdict(list)
    for review in ItemReview.objects.filter(store=store, published_at__isnull=False):
        by_buyer[review.buyer_id].append(review)
    for reviews in by_buyer.values():
        reviews.sort(key=lambda r: (r.published_at, r.pk))
        period_end = None
        for review in reviews:
            day = review.published_at.astimezone(UTC).date()
            if review.removed_at is not None:
                expected[day]["removed"] += 1
            elif period_end is None or review.published_at >= period_end:
                period_end = review.published_at + timedelta(days=10)
                field = "positive" if review.stars >= 4 else "neutral" if review.stars == 3 else "negative"
                expected[day][field] += 1
            else:
                expected[day]["merged"] += 1
    return {day: counts for day, counts in expected.items() if any(counts.values())}


def stored(store):
    rows = StoreScoreDay.objects.filter(store=store).values("day", *COUNTS)
    return {row.pop("day"): row for row in rows if any(row[f] for f in COUNTS)}


operation = st.one_of(
    st.tuples(st.just("mutual"), st.integers(0, 2), st.integers(0, 60 * 24), st.integers(1, 5), st.integers(1, 2)),
    st.tuples(st.just("automatic"), st.integers(0, 2), st.integers(0, 60 * 24), st.integers(4, 5), st.integers(1, 2)),
    st.tuples(st.just("buyer_only"), st.integers(0, 2), st.integers(0, 60 * 24), st.integers(1, 5), st.integers(1, 2)),
    st.tuples(st.just("remove"), st.integers(0, 50)),
    st.tuples(st.just("revise"), st.integers(0, 50), st.integers(1, 5)),
)


@pytest.fixture
def cast(db, store, seller):
    buyers = [UserFactory() for _ in range(3)]
    moderator = UserFactory(is_staff=True)
    moderator.groups.add(Group.objects.get_or_create(name="Moderators")[0])
    return buyers, moderator


@hsettings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=st.lists(operation, min_size=1, max_size=8))
def test_buckets_equal_a_recount_from_raw_reviews(cast, store, seller, operations):
    buyers, moderator = cast
    with transaction.atomic():
        for op in operations:
            kind = op[0]
            if kind in {"mutual", "automatic", "buyer_only"}:
                _kind, who, hours, stars, items = op
                at = T0 + timedelta(hours=hours)
                buyer = buyers[who]
                window = FeedbackWindow.objects.select_related("order").get(
                    order=complete_order(buyer, store, at=at, items=items)
                )
                if kind == "mutual":
                    buyer_rates(window, buyer, stars=stars, now=at + timedelta(hours=2))
                    seller_rates(window, seller, stars=3, now=at + timedelta(hours=3))
                elif kind == "automatic":
                    seller_rates(window, seller, stars=stars, now=at + timedelta(hours=2))
                    services.feedback_windows_close_sweep(now=window.closes_at)
                else:
                    buyer_rates(window, buyer, stars=stars, now=at + timedelta(hours=2))
                    services.feedback_windows_close_sweep(now=window.closes_at)
            else:
                public = list(ItemReview.objects.filter(store=store, published_at__isnull=False).order_by("pk"))
                if not public:
                    continue
                review = public[op[1] % len(public)]
                if kind == "remove":
                    services.review_moderate(
                        review_id=review.pk, moderator=moderator, decision="remove", now=review.published_at
                    )
                elif review.removed_at is None and not review.is_automatic and not hasattr(review, "revision_request"):
                    stars = max(op[2], review.stars)
                    if review.stars < 5:
                        services.revision_request(review_id=review.pk, actor=seller, now=review.published_at)
                        services.revision_answer(
                            review_id=review.pk, author=review.buyer, stars=stars, note="", now=review.published_at
                        )
        assert stored(store) == oracle(store)
        public = ItemReview.objects.filter(store=store, published_at__isnull=False, removed_at__isnull=True)
        raw_stars = {(r.product_id, r.stars): 0 for r in public}
        for review in public:
            raw_stars[(review.product_id, review.stars)] += 1
        counted = {
            (c.product_id, c.stars): c.count for c in ProductStarCount.objects.filter(product__store=store, count__gt=0)
        }
        assert counted == raw_stars
        expected, _roles = scoring.buckets_from_raw(store_id=store.pk)
        assert scoring.store_score_recount(store_id=store.pk) == 0, expected
        transaction.set_rollback(True)
