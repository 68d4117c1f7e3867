import itertools

import pytest
from django.utils import timezone

from portal import services
from portal.models import Order, OrderEvent
from portal.services import ALLOWED_TRANSITIONS, TransitionNotAllowed
from portal.tests.factories import make_order

STATUSES = list(Order.Status)


@pytest.mark.parametrize(("start", "to"), list(itertools.product(STATUSES, STATUSES)))
def test_every_transition_is_allowed_or_refused_precisely(buyer, store, start, to):
    order = make_order(buyer=buyer, store=store, status=start)
    events_before = OrderEvent.objects.filter(order=order).count()
    if to in ALLOWED_TRANSITIONS[start]:
        services.order_transition(order_id=order.pk, to=to, actor=None, now=timezone.now())
        order.refresh_from_db()
        assert order.status == to
        event = OrderEvent.objects.filter(order=order).latest("pk")
        assert (event.old_status, event.new_status) == (start, to)
    else:
        with pytest.raises(TransitionNotAllowed) as caught:
            services.order_transition(order_id=order.pk, to=to, actor=None, now=timezone.now())
        message = caught.value.messages[0]
        assert order.number in message
        assert str(Order.Status(start).label) in message
        assert str(Order.Status(to).label) in message
        order.refresh_from_db()
        assert order.status == start
        assert OrderEvent.objects.filter(order=order).count() == events_before


def test_each_step_stamps_its_time_and_records_an_event(buyer, store):
    order = make_order(buyer=buyer, store=store, status=Order.Status.COMPLETED)
    assert order.paid_at < order.shipped_at < order.completed_at
    assert [e.new_status for e in order.events.order_by("pk")] == ["placed", "paid", "shipped", "completed"]


def test_shipping_starts_the_guarantee_clock(buyer, store, settings):
    settings.OPINIA_AUTO_CONFIRM_DAYS = 60
    order = make_order(buyer=buyer, store=store, status=Order.Status.SHIPPED)
    assert (order.auto_confirm_due_at - order.shipped_at).days == 60
    assert (order.auto_confirm_due_at - order.auto_confirm_reminder_due_at).days == 5


def test_order_completed_listeners_run_inside_the_completing_transaction(buyer, store, monkeypatch):
    order = make_order(buyer=buyer, store=store, status=Order.Status.SHIPPED)
    seen = []

    def failing_listener(*, order, now):
        seen.append((order.status, now))
        raise RuntimeError("the listener's write failed")

    monkeypatch.setitem(services.ORDER_COMPLETED_LISTENERS, "test.failing", failing_listener)
    now = timezone.now()

    with pytest.raises(RuntimeError):
        services.order_confirm_receipt(order_id=order.pk, buyer=buyer, now=now)

    assert seen == [(Order.Status.COMPLETED, now)]
    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED  # the completion rolled back with the listener
    assert not OrderEvent.objects.filter(order=order, new_status=Order.Status.COMPLETED).exists()
