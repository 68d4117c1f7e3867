"""Automatic confirmation of shipped orders (SPEC §1): exact at the boundary, once, safe with two workers."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection

from messaging.models import Notification
from portal import services
from portal.models import Order, OrderEvent
from portal.tests.factories import SHIPPING, make_order

SHIPPED_AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def shipped_order(buyer, store):
    order = make_order(buyer=buyer, store=store, status=Order.Status.PAID, at=SHIPPED_AT - timedelta(days=2))
    return services.order_ship(
        order_id=order.pk,
        actor=None,
        now=SHIPPED_AT,
        shipping_method="standard",
        carrier="china-post",
        tracking_number="LP123456785CN",
    )


def test_not_confirmed_one_second_before_sixty_days(shipped_order):
    deadline = SHIPPED_AT + timedelta(days=60)
    assert services.orders_auto_confirm_sweep(now=deadline - timedelta(seconds=1)) == 0
    shipped_order.refresh_from_db()
    assert shipped_order.status == Order.Status.SHIPPED


def test_confirmed_at_sixty_days(shipped_order, django_capture_on_commit_callbacks):
    deadline = SHIPPED_AT + timedelta(days=60)
    assert services.orders_auto_confirm_sweep(now=deadline) == 1
    shipped_order.refresh_from_db()
    assert shipped_order.status == Order.Status.COMPLETED
    assert shipped_order.completed_at == deadline
    assert shipped_order.completed_automatically
    event = OrderEvent.objects.filter(order=shipped_order).latest("pk")
    assert (event.old_status, event.new_status, event.actor) == ("shipped", "completed", None)
    assert Notification.objects.filter(recipient=shipped_order.buyer, kind="order_auto_confirmed").count() == 1


def test_rule_in_force_at_shipment_is_kept(buyer, store, settings):
    settings.OPINIA_AUTO_CONFIRM_DAYS = 30
    order = make_order(buyer=buyer, store=store, status=Order.Status.PAID, at=SHIPPED_AT - timedelta(days=2))
    services.order_ship(order_id=order.pk, actor=None, now=SHIPPED_AT, **SHIPPING)
    settings.OPINIA_AUTO_CONFIRM_DAYS = 60
    assert services.orders_auto_confirm_sweep(now=SHIPPED_AT + timedelta(days=30)) == 1


def test_open_dispute_holds_the_clock(shipped_order):
    services.order_set_dispute_open(order_id=shipped_order.pk, is_open=True)
    assert services.orders_auto_confirm_sweep(now=SHIPPED_AT + timedelta(days=90)) == 0
    services.order_set_dispute_open(order_id=shipped_order.pk, is_open=False)
    assert services.orders_auto_confirm_sweep(now=SHIPPED_AT + timedelta(days=90)) == 1


def test_buyer_confirmation_first_leaves_nothing_to_sweep(shipped_order):
    services.order_confirm_receipt(
        order_id=shipped_order.pk, buyer=shipped_order.buyer, now=SHIPPED_AT + timedelta(days=3)
    )
    assert services.orders_auto_confirm_sweep(now=SHIPPED_AT + timedelta(days=61)) == 0
    shipped_order.refresh_from_db()
    assert not shipped_order.completed_automatically


def test_sweep_twice_confirms_once(shipped_order):
    deadline = SHIPPED_AT + timedelta(days=60)
    assert services.orders_auto_confirm_sweep(now=deadline) == 1
    assert services.orders_auto_confirm_sweep(now=deadline) == 0
    assert OrderEvent.objects.filter(order=shipped_order, new_status="completed").count() == 1


def test_sweep_works_in_batches(buyer, store):
    for _ in range(7):
        order = make_order(buyer=buyer, store=store, status=Order.Status.PAID, at=SHIPPED_AT - timedelta(days=2))
        services.order_ship(order_id=order.pk, actor=None, now=SHIPPED_AT, **SHIPPING)
    assert services.orders_auto_confirm_sweep(now=SHIPPED_AT + timedelta(days=60), batch_size=3) == 7


def test_reminder_five_days_before_once(shipped_order):
    reminder_at = SHIPPED_AT + timedelta(days=55)
    assert services.orders_auto_confirm_reminder_sweep(now=reminder_at - timedelta(seconds=1)) == 0
    assert services.orders_auto_confirm_reminder_sweep(now=reminder_at) == 1
    assert services.orders_auto_confirm_reminder_sweep(now=reminder_at + timedelta(hours=1)) == 0
    reminders = Notification.objects.filter(recipient=shipped_order.buyer, kind="order_auto_confirm_reminder")
    assert reminders.count() == 1
    assert "5" in reminders.get().title("en")


def test_run_deadlines_command_runs_the_sweep(shipped_order, capsys):
    with time_machine.travel(SHIPPED_AT + timedelta(days=60), tick=False):
        call_command("run_deadlines")
    shipped_order.refresh_from_db()
    assert shipped_order.status == Order.Status.COMPLETED
    assert "orders.auto_confirm: 1" in capsys.readouterr().out


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_confirm_each_order_once(buyer, store):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    orders = []
    for _ in range(20):
        order = make_order(buyer=buyer, store=store, status=Order.Status.PAID, at=SHIPPED_AT - timedelta(days=2))
        orders.append(services.order_ship(order_id=order.pk, actor=None, now=SHIPPED_AT, **SHIPPING))
    deadline = SHIPPED_AT + timedelta(days=60)
    results: list[int] = []
    barrier = threading.Barrier(2)

    def worker() -> None:
        try:
            barrier.wait()
            results.append(services.orders_auto_confirm_sweep(now=deadline, batch_size=5))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(results) == 20
    assert Order.objects.filter(status="completed", completed_automatically=True).count() == 20
    assert OrderEvent.objects.filter(new_status="completed").count() == 20
    assert Notification.objects.filter(kind="order_auto_confirmed").count() == 20
