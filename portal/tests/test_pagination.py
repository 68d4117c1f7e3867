"""Keyset pagination (`portal.pagination`): pages by (moment, id), newest first."""

import base64
from datetime import UTC, datetime, timedelta

import pytest

from portal.models import Order
from portal.pagination import Cursor, cursor_decode, cursor_encode, page_split, rows_after
from portal.tests.factories import make_order

MOMENT = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.fixture
def orders(buyer, store):
    """Seven orders, newest first by (placed_at, id); three share one moment and two another."""
    moments = [MOMENT, MOMENT, MOMENT, MOMENT - timedelta(hours=1), MOMENT - timedelta(hours=1)]
    moments += [MOMENT - timedelta(days=1), MOMENT + timedelta(days=1)]
    for moment in moments:
        make_order(buyer=buyer, store=store, at=moment)
    return list(Order.objects.filter(store=store).order_by("-placed_at", "-pk"))


def _page(store, raw_cursor: str | None, size: int) -> tuple[list[Order], str | None]:
    orders = Order.objects.filter(store=store).order_by("-placed_at", "-pk")
    cursor = cursor_decode(raw_cursor)
    if cursor is not None:
        orders = orders.filter(rows_after(cursor, moment_field="placed_at"))
    return page_split(list(orders[: size + 1]), size=size, cursor_of=lambda order: Cursor(order.placed_at, order.pk))


def test_the_first_page_is_the_newest_rows_and_points_at_the_next(store, orders):
    page, next_cursor = _page(store, None, 3)
    assert page == orders[:3]
    assert cursor_decode(next_cursor) == Cursor(orders[2].placed_at, orders[2].pk)


def test_the_next_page_starts_after_the_last_row_even_inside_a_tie(store, orders):
    # The first page ends in the middle of the three orders placed at MOMENT.
    assert orders[1].placed_at == orders[2].placed_at == orders[3].placed_at
    _first, next_cursor = _page(store, None, 2)
    page, _next = _page(store, next_cursor, 2)
    assert page == orders[2:4]


@pytest.mark.parametrize("size", [1, 2, 3, 7, 8])
def test_walking_every_page_shows_each_row_once_in_order_and_ends(store, orders, size):
    seen: list[Order] = []
    cursor: str | None = None
    for _ in range(len(orders) + 1):
        page, cursor = _page(store, cursor, size)
        assert 0 < len(page) <= size
        seen += page
        if cursor is None:
            break
    assert seen == orders


def test_the_last_page_has_no_next_cursor_even_when_it_is_full(store, orders):
    first, cursor = _page(store, None, 4)
    last, after_last = _page(store, cursor, 3)
    assert first + last == orders
    assert after_last is None


def test_a_cursor_survives_the_round_trip_with_and_without_a_group():
    for cursor in (Cursor(MOMENT, 42), Cursor(MOMENT, 42, group=5), Cursor(MOMENT, 7, group=0)):
        assert cursor_decode(cursor_encode(cursor)) == cursor


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        "not-a-cursor",
        "%%%",
        "é",
        _b64("2026-05-04T09:00:00|1"),  # a naive moment
        _b64("2026-05-04T09:00:00+00:00"),  # no id
        _b64("2026-05-04T09:00:00+00:00|x"),
        _b64("2026-05-04T09:00:00+00:00|1|2|3"),
        _b64("yesterday|1"),
        base64.urlsafe_b64encode(b"\xff\xfe|1").decode(),  # not UTF-8
    ],
)
def test_anything_that_is_not_a_cursor_means_the_first_page(raw):
    assert cursor_decode(raw) is None


def test_a_forged_cursor_with_an_id_beyond_any_integer_reads_a_page_not_an_error(store, orders):
    forged = _b64(f"{(MOMENT + timedelta(days=2)).isoformat()}|{'9' * 40}")
    page, _next = _page(store, forged, 3)
    assert page == orders[:3]
