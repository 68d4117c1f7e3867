"""Each clock, one second before and at its deadline, driven through the task beat sends."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine

from disputes import services
from disputes.models import Complaint, Dispute, DisputeEvent
from disputes.tests.helpers import DAY, dispute_in_state, open_dispute
from messaging.models import Notification
from portal.models import Order
from portal.tasks import run_sweep
from portal.tests.factories import make_order

S = Dispute.Status
SECOND = timedelta(seconds=1)


def _sweep_at(moment):
    with time_machine.travel(moment, tick=False):
        return run_sweep("disputes.deadlines")


def test_seller_silence_grants_a_refund_request_at_day_five(buyer, store, now):
    dispute = open_dispute(buyer=buyer, store=store, now=now, outcome="partial_refund", amount=Decimal("4.00"))
    due = dispute.seller_response_due_at
    assert due == now + 5 * DAY
    assert _sweep_at(due - SECOND) == 0
    dispute.refresh_from_db()
    assert dispute.status == S.AWAITING_SELLER
    assert _sweep_at(due) == 1
    dispute.refresh_from_db()
    assert (dispute.status, dispute.closed_by, dispute.refund_amount) == (S.RESOLVED, "seller_timeout", Decimal("4.00"))
    assert dispute.responsibility == "seller"
    assert DisputeEvent.objects.get(dispute=dispute, clock="seller_response").actor is None
    entry = dispute.penalties.get()
    assert (entry.reason, entry.points) == ("not_as_described", 2)
    dispute.order.refresh_from_db()
    assert dispute.order.has_open_dispute is False
    assert Notification.objects.filter(recipient=buyer, kind="dispute_resolved").count() == 1


def test_seller_silence_on_an_unshipped_order_costs_twelve_points(buyer, store, now):
    order = make_order(buyer=buyer, store=store, status=Order.Status.PAID, at=now - 9 * DAY)
    dispute = open_dispute(buyer=buyer, store=store, now=now, order=order, reason="refused_to_ship")
    _sweep_at(dispute.seller_response_due_at)
    entry = dispute.penalties.get()
    assert (entry.reason, entry.points) == ("refused_not_cooperating", 12)


def test_seller_silence_on_a_return_request_starts_the_return_clock(buyer, store, now):
    dispute = open_dispute(buyer=buyer, store=store, now=now, outcome="return_refund")
    _sweep_at(dispute.seller_response_due_at)
    dispute.refresh_from_db()
    assert dispute.status == S.AWAITING_RETURN
    assert dispute.return_ship_due_at == now + 5 * DAY + 10 * DAY


def test_answered_dispute_is_not_granted(buyer, seller, store, now):
    dispute = open_dispute(buyer=buyer, store=store, now=now)
    services.dispute_make_offer(
        dispute_id=dispute.pk, actor=seller, kind="partial_refund", amount=Decimal("1.00"), now=now
    )
    assert _sweep_at(now + 5 * DAY) == 0
    dispute.refresh_from_db()
    assert dispute.status == S.NEGOTIATING


def test_automatic_escalation_on_day_sixteen(buyer, seller, store, now):
    dispute = open_dispute(buyer=buyer, store=store, now=now)
    services.dispute_make_offer(
        dispute_id=dispute.pk, actor=seller, kind="partial_refund", amount=Decimal("1.00"), now=now
    )
    due = dispute.auto_escalate_at
    # Either side may still escalate on day 15 itself; the worker escalates on day 16.
    assert dispute.escalation_closes_at == now + 15 * DAY
    assert due == now + 16 * DAY
    assert _sweep_at(due - SECOND) == 0
    assert _sweep_at(due) == 1
    dispute.refresh_from_db()
    assert (dispute.status, dispute.escalated_at) == (S.ESCALATED, due)
    assert dispute.decision_due_at == due + 7 * DAY
    assert Notification.objects.filter(recipient=buyer, kind="dispute_escalated").count() == 1


def test_return_not_shipped_in_ten_days_closes_for_the_seller(buyer, seller, store, staff, now):
    dispute = dispute_in_state(status=S.AWAITING_RETURN, buyer=buyer, seller=seller, store=store, staff=staff, now=now)
    due = dispute.return_ship_due_at
    assert due == now + timedelta(hours=1) + 10 * DAY
    assert _sweep_at(due - SECOND) == 0
    assert _sweep_at(due) == 1
    dispute.refresh_from_db()
    assert (dispute.status, dispute.resolution, dispute.responsibility) == (S.RESOLVED, "rejected", "buyer")
    assert dispute.closed_by == "return_not_shipped"


def test_return_not_confirmed_in_ten_days_executes_the_refund(buyer, seller, store, staff, now):
    dispute = dispute_in_state(status=S.RETURN_SHIPPED, buyer=buyer, seller=seller, store=store, staff=staff, now=now)
    due = dispute.return_confirm_due_at
    assert _sweep_at(due - SECOND) == 0
    assert _sweep_at(due) == 1
    dispute.refresh_from_db()
    assert (dispute.status, dispute.resolution, dispute.refund_amount) == (
        S.RESOLVED,
        "full_refund",
        dispute.order.total,
    )
    assert dispute.closed_by == "return_not_confirmed"


def test_overdue_decision_reminds_the_resolvers_once(buyer, seller, store, staff, now):
    dispute = dispute_in_state(status=S.ESCALATED, buyer=buyer, seller=seller, store=store, staff=staff, now=now)
    due = dispute.decision_due_at
    assert dispute.decision_overdue(due - SECOND) is False
    assert _sweep_at(due - SECOND) == 0
    assert _sweep_at(due) == 1
    assert _sweep_at(due + DAY) == 0
    dispute.refresh_from_db()
    assert dispute.decision_overdue(due) is True
    assert dispute.decision_reminded_at == due
    assert Notification.objects.filter(recipient=staff, kind="dispute_decision_overdue").count() == 1


def test_unanswered_complaint_reminds_support_after_48_hours(buyer, staff, now):
    from disputes.services.complaints import complaint_submit

    complaint = complaint_submit(author=buyer, subject="site", text="The page is broken", now=now)
    due = complaint.first_response_due_at
    assert due == now + timedelta(hours=48)
    assert _sweep_at(due - SECOND) == 0
    assert _sweep_at(due) == 1
    assert _sweep_at(due + DAY) == 0
    complaint.refresh_from_db()
    assert complaint.reminded_at == due
    assert complaint.response_overdue(due) is True
    assert Notification.objects.filter(recipient=staff, kind="complaint_overdue").count() == 1


def test_answered_complaint_is_not_reminded(buyer, staff, now):
    from disputes.services.complaints import complaint_answer, complaint_submit

    complaint = complaint_submit(author=buyer, subject="site", text="The page is broken", now=now)
    complaint_answer(complaint_id=complaint.pk, staff=staff, answer="Fixed, thank you.", now=now + DAY)
    assert _sweep_at(now + 3 * DAY) == 0
    assert Complaint.objects.get(pk=complaint.pk).reminded_at is None


@pytest.mark.parametrize("field", ["seller_response_due_at", "auto_escalate_at"])
def test_cancelled_disputes_have_no_running_clocks(buyer, store, now, field):
    dispute = open_dispute(buyer=buyer, store=store, now=now)
    services.dispute_cancel(dispute_id=dispute.pk, buyer=buyer, now=now)
    assert _sweep_at(getattr(dispute, field) + DAY) == 0


def test_a_running_clock_is_one_span_the_script_can_reword():
    """The clock's markup (from its template) with every attribute the script reads, escaped."""
    from datetime import UTC, datetime

    from disputes.selectors import _clock

    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    clock = _clock("seller_response", now + timedelta(days=2), 'The "seller" has %(left)s <now>.', now)
    assert clock.text == 'The "seller" has 2 days <now>.'
    assert clock.html == (
        '<span data-clock="2026-03-03T12:00:00+00:00" data-clock-sentence="The &quot;seller&quot; has {left} '
        '&lt;now&gt;." data-format="%h h %m min" data-expired="The deadline has passed; the case is updated '
        'within a minute.">The &quot;seller&quot; has 2 days &lt;now&gt;.</span>'
    )
