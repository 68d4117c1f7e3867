"""Dispute, penalty and complaint notifications open the case, the penalties page or the complaint."""

from datetime import timedelta

from django.urls import reverse

from disputes import services, sweeps
from disputes.models import Dispute, PenaltyEntry
from disputes.notifications import KINDS
from disputes.services import complaints
from disputes.tests.helpers import DAY, dispute_in_state
from messaging.models import Notification
from messaging.tests.notification_links import assert_notifications_open_their_objects
from portal.models import Order
from portal.tests.factories import UserFactory, make_order

S = Dispute.Status


def _ignored_refusal(*, buyer, store, opened):
    order = make_order(buyer=buyer, store=store, status=Order.Status.PAID, at=opened - 10 * DAY)
    dispute = services.dispute_open(
        order_id=order.pk,
        buyer=buyer,
        reason=Dispute.Reason.REFUSED_TO_SHIP,
        requested_outcome=Dispute.Outcome.FULL_REFUND,
        description="Paid ten days ago, never shipped.",
        now=opened,
    )
    sweeps.sweep_dispute_deadlines(now=dispute.seller_response_due_at)
    return dispute


def test_every_dispute_notification_opens_its_object(client, buyer, other_buyer, seller, agent, store, staff, now):
    world = {"buyer": buyer, "seller": seller, "store": store, "staff": staff}
    for status in (S.NEGOTIATING, S.RETURN_SHIPPED, S.RESOLVED, S.CANCELLED):
        dispute_in_state(status=status, now=now - DAY, **world)
    talking = dispute_in_state(status=S.NEGOTIATING, now=now - DAY, **world)
    services.dispute_post_message(dispute_id=talking.pk, actor=seller, text="We can refund half.", now=now)
    for resolution in (Dispute.Resolution.FULL_REFUND, Dispute.Resolution.REJECTED):
        escalated = dispute_in_state(status=S.ESCALATED, now=now - 4 * DAY, **world)
        services.dispute_resolve_by_staff(
            dispute_id=escalated.pk,
            staff=staff,
            resolution=resolution,
            responsibility="seller" if resolution == Dispute.Resolution.FULL_REFUND else "none",
            note="",
            now=now,
        )
    waiting = dispute_in_state(status=S.ESCALATED, now=now - 4 * DAY, **world)
    sweeps.dispute_clock_fire(
        clock=next(c for c in sweeps.CLOCKS if c.name == "decision_overdue"),
        dispute_id=waiting.pk,
        now=waiting.decision_due_at,
    )
    # A replacement confirmed by the buyer, and one taken as received by its clock.
    replaced = dispute_in_state(status=S.AWAITING_REPLACEMENT, now=now - 2 * DAY, **world)
    services.dispute_confirm_replacement(dispute_id=replaced.pk, buyer=buyer, now=now)
    silent = dispute_in_state(status=S.AWAITING_REPLACEMENT, now=now - 2 * DAY, **world)
    sweeps.dispute_clock_fire(
        clock=next(c for c in sweeps.CLOCKS if c.name == "replacement_receipt"),
        dispute_id=silent.pk,
        now=silent.replacement_due_at,
    )
    # Two ignored refusals restrict the store; expiring points lift the restriction.
    first = _ignored_refusal(buyer=buyer, store=store, opened=now - 10 * DAY)
    _ignored_refusal(buyer=other_buyer, store=store, opened=now - 9 * DAY)
    sweeps.stores_lift_restrictions(now=PenaltyEntry.objects.get(dispute=first).expires_at)
    answered = complaints.complaint_submit(author=buyer, subject="seller", text="Rude messages.", now=now)
    complaints.complaint_answer(complaint_id=answered.pk, staff=staff, answer="We warned the store.", now=now)
    waiting_complaint = complaints.complaint_submit(author=buyer, subject="site", text="Slow pages.", now=now)
    sweeps.complaints_remind_overdue(now=now + timedelta(hours=49))

    # Points a moderator added on a trust case go to the same ledger and page.
    services.penalty_add_for_abuse(store_id=store.pk, points=2, case_id=1, staff=staff, now=now)

    # Store members open the store's penalties; both sides open the same case page.
    penalty = Notification.objects.filter(kind="penalty_added", recipient=agent).first()
    assert penalty is not None
    assert penalty.link() == reverse("disputes:penalties", args=[store.slug])
    case_links = {n.link() for n in Notification.objects.filter(kind="dispute_message")}
    assert case_links == {reverse("disputes:detail", args=[talking.pk])}
    assert Notification.objects.filter(kind="complaint_overdue", params__id=waiting_complaint.pk).exists()
    assert_notifications_open_their_objects(client, kinds=KINDS, stranger=UserFactory())
