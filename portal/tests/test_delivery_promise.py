"""The promised delivery window, fixed when an order ships, and the store's on-time share."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from portal import selectors, services
from portal.models import Order, ShippingMethod
from portal.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

SHIPPED_AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
E, X = ShippingMethod.ECONOMY, ShippingMethod.EXPRESS


def _table(store, *rows):
    services.store_set_delivery_times(
        store=store,
        actor=store.owner,
        rows=[services.DeliveryRow(country=c, method=m, min_days=lo, max_days=hi) for c, m, lo, hi in rows],
    )


def _paid(buyer, store, *, country="PL", at=SHIPPED_AT):
    order = services.order_create(
        buyer=buyer,
        store=store,
        items=[services.LineItem(product=ProductFactory(store=store), quantity=1)],
        now=at - timedelta(days=2),
        ship_to_country=country,
    )
    return services.order_pay(order_id=order.pk, actor=None, now=at - timedelta(days=1))


def _ship(order, *, method=E, now=None):
    return services.order_transition(
        order_id=order.pk,
        to=Order.Status.SHIPPED,
        actor=None,
        now=now or timezone.now(),
        carrier="Poczta Polska",
        tracking_number="LP1PL",
        shipping_method=method,
    )


# --- The promise -------------------------------------------------------------------------------


def test_the_window_is_counted_from_the_moment_of_shipping(buyer, store):
    _table(store, ("PL", E, 7, 14))
    order = _paid(buyer, store)
    with time_machine.travel(SHIPPED_AT, tick=False):
        shipped = _ship(order)
    shipped.refresh_from_db()
    assert shipped.shipped_at == SHIPPED_AT
    assert shipped.delivery_from_at == SHIPPED_AT + timedelta(days=7)
    assert shipped.delivery_by_at == SHIPPED_AT + timedelta(days=14)


def test_the_table_in_force_at_shipping_decides(buyer, store):
    """An edit a second before shipping counts; one at the same moment after it, or any later, does not."""
    _table(store, ("PL", E, 7, 14))
    order = _paid(buyer, store)
    with time_machine.travel(SHIPPED_AT - timedelta(seconds=1), tick=False):
        _table(store, ("PL", E, 3, 5))
    with time_machine.travel(SHIPPED_AT, tick=False):
        _ship(order)
        _table(store, ("PL", E, 20, 40))
    with time_machine.travel(SHIPPED_AT + timedelta(days=2), tick=False):
        _table(store)  # the row is gone altogether
    order.refresh_from_db()
    assert (order.delivery_from_at, order.delivery_by_at) == (
        SHIPPED_AT + timedelta(days=3),
        SHIPPED_AT + timedelta(days=5),
    )


@pytest.mark.parametrize(
    ("country", "method"),
    [("KR", E), ("PL", X), ("", E), ("PL", "")],
    ids=["no-row-for-the-country", "no-row-for-the-method", "no-country", "no-method"],
)
def test_no_row_no_promise(buyer, store, country, method):
    _table(store, ("PL", E, 7, 14))
    order = _paid(buyer, store)
    Order.objects.filter(pk=order.pk).update(ship_to_country=country)
    _ship(order, method=method, now=SHIPPED_AT)
    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED
    assert (order.delivery_from_at, order.delivery_by_at) == (None, None)


def test_another_stores_table_is_not_used(buyer, store, other_seller):
    other = other_seller.owned_stores.get()
    _table(other, ("PL", E, 1, 2))
    order = _ship(_paid(buyer, store), now=SHIPPED_AT)
    order.refresh_from_db()
    assert order.delivery_by_at is None


def test_the_destination_is_the_buyers_country_unless_given(buyer, store):
    buyer.language = "ko"
    buyer.save(update_fields=["language"])
    product = ProductFactory(store=store)
    line = [services.LineItem(product=product, quantity=1)]
    assert services.order_create(buyer=buyer, store=store, items=line, now=SHIPPED_AT).ship_to_country == "KR"
    buyer.country = "DE"
    buyer.save(update_fields=["country"])
    assert services.order_create(buyer=buyer, store=store, items=line, now=SHIPPED_AT).ship_to_country == "DE"
    given = services.order_create(buyer=buyer, store=store, items=line, now=SHIPPED_AT, ship_to_country="jp")
    assert given.ship_to_country == "JP"
    with pytest.raises(services.ValidationError) as refused:
        services.order_create(buyer=buyer, store=store, items=line, now=SHIPPED_AT, ship_to_country="XQ")
    assert "ship_to_country" in refused.value.error_dict


def test_the_buyers_order_page_shows_the_window_in_their_language_and_zone(client, buyer, store):
    _table(store, ("PL", E, 7, 14))
    # 23:30 UTC is already the next day in Warsaw.
    shipped_at = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    order = _ship(_paid(buyer, store, at=shipped_at), now=shipped_at)
    buyer.language, buyer.time_zone = "pl", "Europe/Warsaw"
    buyer.save(update_fields=["language", "time_zone"])
    client.force_login(buyer)
    page = client.get(reverse("portal:order_detail", args=[order.pk])).content.decode()
    assert "Przewidywana dostawa: 9 marca 2026 – 16 marca 2026" in page


def test_an_order_without_a_promise_shows_no_window(client, buyer, store):
    order = _ship(_paid(buyer, store), now=SHIPPED_AT)
    client.force_login(buyer)
    page = client.get(reverse("portal:order_detail", args=[order.pk])).content.decode()
    assert "Expected delivery" not in page


# --- The on-time share -------------------------------------------------------------------------


def _complete(order, at):
    return services.order_transition(order_id=order.pk, to=Order.Status.COMPLETED, actor=None, now=at)


@pytest.fixture
def history(buyer, store):
    """Five promised shipments (by 14 days) and one without a promise, as of NOW."""
    _table(store, ("PL", E, 7, 14))
    now = SHIPPED_AT + timedelta(days=30)
    by = timedelta(days=14)
    on_time = _ship(_paid(buyer, store), now=SHIPPED_AT)
    _complete(on_time, SHIPPED_AT + by)  # exactly at the promise: on time
    late = _ship(_paid(buyer, store), now=SHIPPED_AT)
    _complete(late, SHIPPED_AT + by + timedelta(seconds=1))
    _ship(_paid(buyer, store), now=SHIPPED_AT)  # still on its way 30 days later: late
    travelling = _ship(_paid(buyer, store), now=now - timedelta(days=3))  # within its promise
    _ship(_paid(buyer, store, country="KR"), now=SHIPPED_AT)  # no promise: not counted
    old = _ship(_paid(buyer, store, at=now - timedelta(days=200)), now=now - timedelta(days=200))
    _complete(old, now - timedelta(days=100))  # late, but outside the 180 days
    return {"now": now, "travelling": travelling}


def test_the_on_time_share_counts_promised_shipments_of_the_window(store, history):
    share, _changes_at = selectors.store_on_time_share(store=store, now=history["now"])
    assert share is not None
    assert (share.promised, share.late, share.on_time_percent) == (4, 2, 50)


def test_the_share_is_one_query(store, history):
    with CaptureQueriesContext(connection) as queries:
        selectors.store_on_time_share(store=store, now=history["now"])
    assert len(queries) == 1


def test_a_shipment_is_late_only_after_its_promise(store, history):
    by = history["travelling"].delivery_by_at
    at_promise, _ = selectors.store_on_time_share(store=store, now=by)
    after, _ = selectors.store_on_time_share(store=store, now=by + timedelta(seconds=1))
    assert at_promise is not None
    assert after is not None
    assert (at_promise.late, after.late) == (2, 3)


def test_the_share_says_when_the_clock_alone_changes_it(store, history):
    _share, changes_at = selectors.store_on_time_share(store=store, now=history["now"])
    assert changes_at == history["travelling"].delivery_by_at + timedelta(microseconds=1)


def test_nothing_promised_shows_nothing(client, store):
    assert selectors.store_on_time_share(store=store, now=SHIPPED_AT) == (None, None)
    page = client.get(reverse("portal:store_page", args=[store.slug])).content.decode()
    assert "on time" not in page


def _store_page(client, store):
    return client.get(reverse("portal:store_page", args=[store.slug])).content.decode()


def test_the_store_page_shows_the_share_beside_the_shipping_speed_and_renews_it(client, buyer, store):
    _table(store, ("PL", E, 1, 2))
    now = timezone.now()
    first = _ship(_paid(buyer, store, at=now - timedelta(days=10)), now=now - timedelta(days=10))
    _complete(first, now - timedelta(days=9))
    page = _store_page(client, store)
    assert page.index("Shipping speed") < page.index("100 % on time, 0 of 1 late")
    assert "100 % on time, 0 of 1 late" in _store_page(client, store)  # cached
    _ship(_paid(buyer, store, at=now - timedelta(days=5)), now=now - timedelta(days=5))  # late at once
    assert "50 % on time, 1 of 2 late" in _store_page(client, store)


def test_the_cached_share_turns_late_when_the_promise_passes(client, buyer, store):
    _table(store, ("PL", E, 1, 2))
    now = timezone.now()
    order = _ship(_paid(buyer, store, at=now), now=now)
    with time_machine.travel(order.delivery_by_at, tick=False):
        assert "100 % on time, 0 of 1 late" in _store_page(client, store)
    with time_machine.travel(order.delivery_by_at + timedelta(seconds=1), tick=False):
        assert "0 % on time, 1 of 1 late" in _store_page(client, store)


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("pl", "50 % na czas, 1 z 2 spóźnionych"),
        ("zh-hans", "50 % 准时，2 单中 1 单延误"),
        ("ko", "50 % 정시 배송, 2건 중 1건 지연"),
        ("gu", "50 % સમયસર, 2 માંથી 1 મોડા"),
    ],
)
def test_the_share_is_translated(client, buyer, store, language, text):
    _table(store, ("PL", E, 1, 2))
    now = timezone.now()
    _complete(_ship(_paid(buyer, store, at=now - timedelta(days=10)), now=now - timedelta(days=10)), now)
    _complete(_ship(_paid(buyer, store, at=now - timedelta(days=1)), now=now - timedelta(days=1)), now)
    buyer.language = language
    buyer.save(update_fields=["language"])
    client.force_login(buyer)
    assert text in _store_page(client, store)
