import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection, connections

from feedback import services
from feedback.models import FeedbackWindow, ItemReview, SellerRating
from feedback.tests.conftest import T0, buyer_rates, complete_order, seller_rates
from portal.deadlines import SWEEPS
from portal.tasks import run_sweep

CLOSE = T0 + timedelta(days=45)


def test_window_closes_at_day_45_not_a_second_before(window, seller):
    seller_rates(window, seller, stars=5, now=T0 + timedelta(days=1))
    with time_machine.travel(CLOSE - timedelta(seconds=1), tick=False):
        assert run_sweep("feedback.windows_close") == 0
    window.refresh_from_db()
    assert window.state == FeedbackWindow.State.PENDING
    assert not ItemReview.objects.exists()
    with time_machine.travel(CLOSE, tick=False):
        assert run_sweep("feedback.windows_close") == 1
    window.refresh_from_db()
    assert window.state == FeedbackWindow.State.PUBLISHED
    assert window.published_at == CLOSE
    assert SellerRating.objects.get(window=window).published_at == CLOSE


@pytest.mark.parametrize("seller_stars", [4, 5])
def test_seller_4_or_5_and_buyer_silent_leaves_an_automatic_4_star_rating_per_item(window, seller, seller_stars):
    seller_rates(window, seller, stars=seller_stars, now=T0 + timedelta(days=1))
    # The same function `run_deadlines` runs.
    assert SWEEPS["feedback.windows_close"](CLOSE) == 1
    reviews = list(ItemReview.objects.filter(window=window))
    assert len(reviews) == window.order.items.count() == 2
    for review in reviews:
        assert review.is_automatic
        assert review.stars == 4
        assert review.text == ""
        assert review.published_at == CLOSE
        assert review.photo_count == 0
    assert not hasattr(window, "store_rating")


@pytest.mark.parametrize("seller_stars", [1, 2, 3, None])
def test_seller_1_to_3_or_nothing_leaves_no_automatic_rating(window, seller, seller_stars):
    if seller_stars is not None:
        seller_rates(window, seller, stars=seller_stars, now=T0 + timedelta(days=1))
    assert services.feedback_windows_close_sweep(now=CLOSE) == 1
    assert not ItemReview.objects.exists()
    window.refresh_from_db()
    assert window.state == FeedbackWindow.State.PUBLISHED


def test_buyer_rated_alone_is_published_at_the_close_without_automatic(window, buyer):
    buyer_rates(window, buyer, stars=2, text="Too small", now=T0 + timedelta(days=2))
    services.feedback_windows_close_sweep(now=CLOSE)
    reviews = list(ItemReview.objects.filter(window=window))
    assert [r.is_automatic for r in reviews] == [False, False]
    assert {r.published_at for r in reviews} == {CLOSE}


def test_sweep_run_twice_has_each_effect_once(buyer, store, seller):
    windows = [FeedbackWindow.objects.get(order=complete_order(buyer, store)) for _ in range(5)]
    for window in windows:
        seller_rates(window, seller, stars=5, now=T0 + timedelta(days=1))
    assert services.feedback_windows_close_sweep(now=CLOSE, batch_size=2) == 5
    assert services.feedback_windows_close_sweep(now=CLOSE + timedelta(minutes=1), batch_size=2) == 0
    assert ItemReview.objects.filter(is_automatic=True).count() == 10
    assert ItemReview.objects.filter(published_at=CLOSE).count() == 10


def test_sweep_only_touches_due_windows(buyer, store, seller):
    due = FeedbackWindow.objects.get(order=complete_order(buyer, store))
    later = FeedbackWindow.objects.get(order=complete_order(buyer, store, at=T0 + timedelta(days=1)))
    assert services.feedback_windows_close_sweep(now=CLOSE) == 1
    due.refresh_from_db()
    later.refresh_from_db()
    assert (due.state, later.state) == ("published", "pending")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_leave_exactly_one_automatic_rating_per_item(buyer, store, seller):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    windows = [FeedbackWindow.objects.get(order=complete_order(buyer, store, items=2)) for _ in range(30)]
    for window in windows:
        seller_rates(window, seller, stars=4, now=T0 + timedelta(days=1))
    barrier = threading.Barrier(2)
    results: list[int] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            results.append(services.feedback_windows_close_sweep(now=CLOSE, batch_size=4))
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sum(results) == 30
    assert ItemReview.objects.filter(is_automatic=True).count() == 60
    assert ItemReview.objects.values("order_item").distinct().count() == 60
    assert not FeedbackWindow.objects.filter(state="pending").exists()
