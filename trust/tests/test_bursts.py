"""Bursts: a store's day against the median and MAD of its previous 28 days, and young accounts,
read from the score buckets; at most one case per store and day."""

from datetime import timedelta

import pytest

from feedback.models import StoreScoreDay
from portal.tests.factories import StoreFactory, UserFactory
from trust.bursts import burst_threshold, bursts_evaluate, bursts_sweep, median_and_mad, young_rule
from trust.models import Case

from .conftest import T0
from .helpers import published_review

pytestmark = pytest.mark.django_db
DAY = T0.date()


def _history(store, counts, *, today):
    """Buckets for the days before `DAY` (counts[0] is the day before) and `today` ratings on DAY."""
    for back, count in enumerate(counts, start=1):
        StoreScoreDay.objects.create(store=store, day=DAY - timedelta(days=back), positive=count)
    StoreScoreDay.objects.create(store=store, day=DAY, positive=today - 1, removed=1)


def test_median_and_mad():
    assert median_and_mad([10, 14] * 14) == (12.0, 2.0)
    assert burst_threshold([10, 14] * 14) == 22  # 12 + 5 × 2
    assert burst_threshold([0] * 28) == 10  # the floor
    # One earlier spike of 100 barely moves the bar (a mean + 5 sd rule would put it near 100).
    assert burst_threshold([100] + [10, 14] * 13 + [12]) == 23


@pytest.mark.parametrize(("today", "flagged"), [(22, True), (21, False)])
def test_a_day_at_median_plus_k_mad_is_a_burst_one_below_is_not(today, flagged, store):
    _history(store, [10, 14] * 14, today=today)
    assert bursts_evaluate(day=DAY, now=T0) == int(flagged)
    if flagged:
        case = Case.objects.get(kind=Case.Kind.BURST)
        assert (case.store, case.day) == (store, DAY)
        assert case.facts["reasons"] == ["volume"]
        assert (case.facts["ratings"], case.facts["threshold"]) == (22, 22)


@pytest.mark.parametrize(("today", "flagged"), [(10, True), (9, False)])
def test_a_quiet_store_needs_the_floor(today, flagged, store):
    _history(store, [0] * 28, today=today)
    assert bursts_evaluate(day=DAY, now=T0) == int(flagged)


def test_k_and_floor_come_from_the_settings(store, settings):
    settings.OPINIA_TRUST_BURST_K = 3
    settings.OPINIA_TRUST_BURST_FLOOR = 5
    _history(store, [10, 14] * 14, today=18)  # 12 + 3 × 2
    assert bursts_evaluate(day=DAY, now=T0) == 1


def test_days_outside_the_window_are_not_read(store):
    # A store busy 29+ days ago and silent since: its norm is the silence.
    for back in range(29, 40):
        StoreScoreDay.objects.create(store=store, day=DAY - timedelta(days=back), positive=50)
    StoreScoreDay.objects.create(store=store, day=DAY, positive=10)
    assert bursts_evaluate(day=DAY, now=T0) == 1


def test_one_case_per_store_and_day_however_often_the_sweep_runs(store):
    other = StoreFactory(slug="other")
    _history(store, [0] * 28, today=30)
    _history(other, [0] * 28, today=3)
    # Late on the day (today so far) and just after midnight (yesterday, complete): one case.
    late = T0.replace(hour=23, minute=59, second=59)
    assert bursts_sweep(now=late) == 1
    assert bursts_sweep(now=late) == 0
    assert bursts_sweep(now=late + timedelta(seconds=1)) == 0
    assert Case.objects.filter(kind=Case.Kind.BURST).count() == 1
    assert Case.objects.get().store == store


def test_young_rule_at_the_minimum_and_the_share(settings):
    settings.OPINIA_TRUST_YOUNG_MIN = 5
    settings.OPINIA_TRUST_YOUNG_SHARE = 0.5
    assert young_rule(10, 5)
    assert not young_rule(10, 4)
    assert young_rule(8, 5)
    assert not young_rule(11, 5)  # 5 of 11 is under half


@pytest.mark.parametrize(("young", "flagged"), [(2, True), (1, False)])
def test_ratings_from_young_accounts_open_a_case(young, flagged, seller, store, settings):
    settings.OPINIA_TRUST_YOUNG_MIN = 2
    settings.OPINIA_TRUST_YOUNG_ACCOUNT_DAYS = 3
    for index in range(2):
        joined = T0 - timedelta(days=2) if index < young else T0 - timedelta(days=30)
        buyer = UserFactory(email=f"b{index}@example.com", date_joined=joined)
        published_review(buyer, seller, store, at=T0 - timedelta(hours=3))
    assert (
        StoreScoreDay.objects.get(store=store, day=DAY).positive
        + StoreScoreDay.objects.get(store=store, day=DAY).negative
        + StoreScoreDay.objects.get(store=store, day=DAY).neutral
        == 2
    )
    assert bursts_evaluate(day=DAY, now=T0) == int(flagged)
    if flagged:
        assert Case.objects.get().facts["reasons"] == ["young_accounts"]
        assert Case.objects.get().facts["young"] == 2
