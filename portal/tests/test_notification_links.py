"""Order notifications open the buyer's order page (computed from the order's id, not stored)."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from messaging.tests.notification_links import assert_notifications_open_their_objects
from portal import services
from portal.models import Order
from portal.tests.factories import make_order


def test_order_notifications_open_the_order(client, buyer, other_buyer, store):
    shipped_at = timezone.now() - timedelta(days=settings.OPINIA_AUTO_CONFIRM_DAYS + 1)
    order = make_order(buyer=buyer, store=store, status=Order.Status.PAID, at=shipped_at - timedelta(days=2))
    services.order_ship(
        order_id=order.pk,
        actor=None,
        now=shipped_at,
        shipping_method="standard",
        carrier="china-post",
        tracking_number="LP123456785CN",
    )
    reminder_due = shipped_at + timedelta(days=settings.OPINIA_AUTO_CONFIRM_DAYS - 4)
    assert services.orders_auto_confirm_reminder_sweep(now=reminder_due) == 1
    assert services.orders_auto_confirm_sweep(now=timezone.now()) == 1
    assert_notifications_open_their_objects(
        client,
        kinds=["order_shipped", "order_auto_confirm_reminder", "order_auto_confirmed"],
        stranger=other_buyer,
    )
