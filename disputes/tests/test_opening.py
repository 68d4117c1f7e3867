from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from disputes import services
from disputes.models import Dispute, DisputeEvent, DisputeOffer
from disputes.tests.helpers import DAY, open_dispute, shipped_order
from messaging.models import Notification
from portal.models import Order
from portal.tests.factories import make_order

R = Dispute.Reason


def test_opening_pauses_auto_confirmation_records_request_and_tells_the_store(buyer, store, agent, now):
    dispute = open_dispute(buyer=buyer, store=store, now=now, photos=2)
    dispute.order.refresh_from_db()
    assert dispute.order.has_open_dispute is True
    assert dispute.status == Dispute.Status.AWAITING_SELLER
    assert dispute.seller_response_due_at == now + timedelta(days=5)
    assert dispute.escalation_opens_at == now + timedelta(days=3)
    assert dispute.escalation_closes_at == now + timedelta(days=15)
    assert dispute.auto_escalate_at == now + timedelta(days=16)
    assert dispute.photos.count() == 2
    offer = DisputeOffer.objects.get(dispute=dispute)
    assert (offer.side, offer.kind, offer.amount) == ("buyer", "full_refund", dispute.order.total)
    assert list(DisputeEvent.objects.filter(dispute=dispute).values_list("kind", "new_status")) == [
        ("opened", "awaiting_seller")
    ]
    recipients = set(Notification.objects.filter(kind="dispute_opened").values_list("recipient_id", flat=True))
    assert recipients == {store.owner_id, agent.pk}


def test_one_open_dispute_per_order_in_the_service_and_the_database(buyer, store, now):
    dispute = open_dispute(buyer=buyer, store=store, now=now)
    with pytest.raises(ValidationError, match="already open"):
        open_dispute(buyer=buyer, store=store, now=now, order=dispute.order)
    with pytest.raises(IntegrityError), transaction.atomic():
        Dispute.objects.create(
            order=dispute.order,
            store=store,
            buyer=buyer,
            reason=R.DAMAGED,
            requested_outcome="full_refund",
            requested_amount=Decimal("1"),
            description="x",
            opened_at=now,
            updated_at=now,
            escalation_opens_at=now,
            escalation_closes_at=now,
            auto_escalate_at=now,
        )


def test_a_new_dispute_may_follow_a_closed_one(buyer, store, now):
    first = open_dispute(buyer=buyer, store=store, now=now)
    services.dispute_cancel(dispute_id=first.pk, buyer=buyer, now=now + DAY)
    first.order.refresh_from_db()
    assert first.order.has_open_dispute is False
    second = open_dispute(buyer=buyer, store=store, now=now + 2 * DAY, order=first.order)
    assert second.pk != first.pk


def test_only_the_buyer_can_open(other_buyer, buyer, store, now):
    order = shipped_order(buyer=buyer, store=store, at=now)
    with pytest.raises(ValidationError, match="Only the buyer"):
        services.dispute_open(
            order_id=order.pk,
            buyer=other_buyer,
            reason=R.DAMAGED,
            requested_outcome="full_refund",
            description="x",
            now=now,
        )


def test_partial_refund_amount_is_checked_against_the_total(buyer, store, now):
    order = shipped_order(buyer=buyer, store=store, at=now)
    too_much = order.total + Decimal("0.01")
    with pytest.raises(ValidationError) as caught:
        open_dispute(buyer=buyer, store=store, now=now, order=order, outcome="partial_refund", amount=too_much)
    assert "cannot be larger than the order total" in str(caught.value)
    with pytest.raises(ValidationError):
        open_dispute(buyer=buyer, store=store, now=now, order=order, outcome="partial_refund", amount=None)
    dispute = open_dispute(
        buyer=buyer, store=store, now=now, order=order, outcome="partial_refund", amount=Decimal("3.50")
    )
    assert dispute.requested_amount == Decimal("3.50")


def test_unshipped_order_after_the_handling_time_only_as_refused_to_ship(buyer, store, now):
    order = make_order(buyer=buyer, store=store, status=Order.Status.PAID, at=now - DAY)
    paid_at = order.paid_at
    with time_machine.travel(paid_at + timedelta(days=7), tick=False):
        from django.utils import timezone

        assert services.dispute_opening_reasons(order=order, now=timezone.now()) == []
        assert "7 days after payment" in services.dispute_opening_refusal(order=order, now=timezone.now())
    with time_machine.travel(paid_at + timedelta(days=7, seconds=1), tick=False):
        from django.utils import timezone

        assert services.dispute_opening_reasons(order=order, now=timezone.now()) == [R.REFUSED_TO_SHIP]
        with pytest.raises(ValidationError):
            open_dispute(buyer=buyer, store=store, now=timezone.now(), order=order, reason=R.NOT_RECEIVED)
        dispute = open_dispute(buyer=buyer, store=store, now=timezone.now(), order=order, reason=R.REFUSED_TO_SHIP)
    assert dispute.reason == R.REFUSED_TO_SHIP


def test_completed_order_is_protected_for_fifteen_days(buyer, store, now):
    order = make_order(buyer=buyer, store=store, status=Order.Status.COMPLETED, at=now - 5 * DAY)
    limit = order.completed_at + timedelta(days=15)
    assert R.NOT_AS_DESCRIBED in services.dispute_opening_reasons(order=order, now=limit)
    assert services.dispute_opening_reasons(order=order, now=limit + timedelta(seconds=1)) == []
    assert "Buyer protection ended" in services.dispute_opening_refusal(order=order, now=limit + timedelta(seconds=1))


@pytest.mark.parametrize("status", [Order.Status.PLACED, Order.Status.CANCELLED])
def test_no_dispute_on_placed_or_cancelled_orders(buyer, store, now, status):
    order = make_order(buyer=buyer, store=store, status=status, at=now - DAY)
    assert services.dispute_opening_reasons(order=order, now=now) == []
    with pytest.raises(ValidationError, match=r"cannot be opened|No dispute"):
        open_dispute(buyer=buyer, store=store, now=now, order=order)


def test_detail_is_kept_only_for_not_as_described(buyer, store, now):
    order = shipped_order(buyer=buyer, store=store, at=now)
    dispute = services.dispute_open(
        order_id=order.pk,
        buyer=buyer,
        reason=R.DAMAGED,
        detail="colour",
        requested_outcome="full_refund",
        description="Box crushed.",
        now=now,
    )
    assert dispute.detail == ""
