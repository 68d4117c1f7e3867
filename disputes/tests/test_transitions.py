import itertools
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from disputes import services
from disputes.models import Dispute, DisputeEvent, DisputeOffer
from disputes.services import ALLOWED_TRANSITIONS, TransitionNotAllowed
from disputes.services import disputes as dispute_services
from disputes.tests.helpers import DAY, dispute_in_state, open_dispute
from messaging.models import Notification

S = Dispute.Status
STATUSES = list(S)


@pytest.mark.parametrize(("start", "to"), [(a, b) for a, b in itertools.product(STATUSES, STATUSES) if a != b])
def test_every_transition_is_allowed_or_refused_precisely(buyer, seller, store, staff, now, start, to):
    dispute = dispute_in_state(status=start, buyer=buyer, seller=seller, store=store, staff=staff, now=now)
    events_before = DisputeEvent.objects.filter(dispute=dispute).count()
    with transaction.atomic():
        locked = dispute_services._lock(dispute.pk)
        if to in ALLOWED_TRANSITIONS[start]:
            locked.closed_at = now + DAY  # closed states carry their time (a check constraint)
            services.dispute_move(
                dispute=locked, to=to, actor=staff, kind="resolved", now=now + DAY, note="table", fields=["closed_at"]
            )
        else:
            with pytest.raises(TransitionNotAllowed) as caught:
                services.dispute_move(dispute=locked, to=to, actor=staff, kind="resolved", now=now + DAY)
            message = caught.value.messages[0]
            assert f"#{dispute.pk}" in message
            assert str(S(start).label) in message
            assert str(S(to).label) in message
    dispute.refresh_from_db()
    if to in ALLOWED_TRANSITIONS[start]:
        assert dispute.status == to
        event = DisputeEvent.objects.filter(dispute=dispute).latest("pk")
        assert (event.old_status, event.new_status, event.actor_id, event.note) == (start, to, staff.pk, "table")
    else:
        assert dispute.status == start
        assert DisputeEvent.objects.filter(dispute=dispute).count() == events_before


def test_closed_states_are_final():
    assert ALLOWED_TRANSITIONS[S.RESOLVED] == set()
    assert ALLOWED_TRANSITIONS[S.CANCELLED] == set()


def test_seller_counter_offer_starts_negotiation_and_stops_the_response_clock(buyer, seller, store, now):
    dispute = open_dispute(buyer=buyer, store=store, now=now)
    services.dispute_make_offer(
        dispute_id=dispute.pk,
        actor=seller,
        kind="partial_refund",
        amount=Decimal("4.00"),
        note="Keep it",
        now=now + DAY,
    )
    dispute.refresh_from_db()
    assert dispute.status == S.NEGOTIATING
    assert dispute.seller_responded_at == now + DAY
    assert dispute.seller_response_due_at is None
    assert Notification.objects.filter(recipient=buyer, kind="dispute_offer").count() == 1


def test_every_offer_is_kept_and_the_buyer_accepts_the_latest_counter_offer(buyer, seller, store, now):
    dispute = open_dispute(buyer=buyer, store=store, now=now)
    for i, amount in enumerate(["3.00", "6.00"]):
        services.dispute_make_offer(
            dispute_id=dispute.pk, actor=seller, kind="partial_refund", amount=Decimal(amount), now=now + (i + 1) * DAY
        )
    services.dispute_make_offer(
        dispute_id=dispute.pk, actor=buyer, kind="partial_refund", amount=Decimal("9.00"), now=now + 3 * DAY
    )
    assert DisputeOffer.objects.filter(dispute=dispute).count() == 4
    services.dispute_accept_offer(dispute_id=dispute.pk, actor=buyer, now=now + 4 * DAY)
    dispute.refresh_from_db()
    assert (dispute.status, dispute.resolution, dispute.refund_amount) == (
        S.RESOLVED,
        "partial_refund",
        Decimal("6.00"),
    )
    assert dispute.closed_by == "agreement"
    dispute.order.refresh_from_db()
    assert dispute.order.has_open_dispute is False
    assert dispute.penalties.count() == 0


def test_seller_accepts_buyers_changed_offer(buyer, seller, store, now):
    dispute = open_dispute(buyer=buyer, store=store, now=now)
    services.dispute_make_offer(
        dispute_id=dispute.pk, actor=buyer, kind="partial_refund", amount=Decimal("2.00"), now=now
    )
    services.dispute_accept_offer(dispute_id=dispute.pk, actor=seller, now=now + DAY)
    dispute.refresh_from_db()
    assert (dispute.status, dispute.refund_amount) == (S.RESOLVED, Decimal("2.00"))


def test_accepting_without_an_offer_from_the_other_side_is_refused(buyer, store, now):
    dispute = open_dispute(buyer=buyer, store=store, now=now)
    with pytest.raises(ValidationError, match="no offer"):
        services.dispute_accept_offer(dispute_id=dispute.pk, actor=buyer, now=now)


def test_return_flow_pays_the_agreed_amount_on_receipt(buyer, seller, store, staff, now):
    dispute = dispute_in_state(status=S.RETURN_SHIPPED, buyer=buyer, seller=seller, store=store, staff=staff, now=now)
    assert dispute.return_tracking_number == "RR123456789PL"
    assert dispute.return_confirm_due_at is not None
    services.dispute_confirm_return(dispute_id=dispute.pk, seller=seller, now=now + 3 * DAY)
    dispute.refresh_from_db()
    assert (dispute.status, dispute.resolution, dispute.refund_amount) == (
        S.RESOLVED,
        "full_refund",
        dispute.order.total,
    )
    assert dispute.closed_by == "return_received"


def test_return_needs_a_tracking_number(buyer, seller, store, staff, now):
    dispute = dispute_in_state(status=S.AWAITING_RETURN, buyer=buyer, seller=seller, store=store, staff=staff, now=now)
    with pytest.raises(ValidationError, match="tracking number"):
        services.dispute_ship_return(dispute_id=dispute.pk, buyer=buyer, tracking_number="  ", now=now)


def test_seller_cannot_ship_the_return_nor_buyer_confirm_it(buyer, seller, store, staff, now):
    dispute = dispute_in_state(status=S.AWAITING_RETURN, buyer=buyer, seller=seller, store=store, staff=staff, now=now)
    with pytest.raises(ValidationError, match="cannot act"):
        services.dispute_ship_return(dispute_id=dispute.pk, buyer=seller, tracking_number="X1", now=now)
    with pytest.raises(TransitionNotAllowed, match="Awaiting the return"):
        services.dispute_confirm_return(dispute_id=dispute.pk, seller=seller, now=now)


@pytest.mark.parametrize("who", ["buyer", "seller"])
def test_escalation_window_from_day_three_to_day_fifteen(buyer, seller, store, now, who):
    actor = buyer if who == "buyer" else seller
    dispute = open_dispute(buyer=buyer, store=store, now=now)
    with pytest.raises(ValidationError, match="can be asked to decide from"):
        services.dispute_escalate(dispute_id=dispute.pk, actor=actor, now=now + timedelta(days=3, seconds=-1))
    with pytest.raises(ValidationError, match="time to ask the platform ended"):
        services.dispute_escalate(dispute_id=dispute.pk, actor=actor, now=now + timedelta(days=15, seconds=1))
    services.dispute_escalate(dispute_id=dispute.pk, actor=actor, now=now + timedelta(days=3))
    dispute.refresh_from_db()
    assert dispute.status == S.ESCALATED
    assert dispute.decision_due_at == now + timedelta(days=10)


def test_day_fifteen_itself_may_still_escalate(buyer, seller, store, now):
    dispute = open_dispute(buyer=buyer, store=store, now=now)
    services.dispute_escalate(dispute_id=dispute.pk, actor=seller, now=now + timedelta(days=15))
    dispute.refresh_from_db()
    assert (dispute.status, dispute.escalated_at) == (S.ESCALATED, now + timedelta(days=15))


def test_only_the_buyer_may_cancel(buyer, seller, store, now):
    dispute = open_dispute(buyer=buyer, store=store, now=now)
    with pytest.raises(ValidationError, match="cannot act"):
        services.dispute_cancel(dispute_id=dispute.pk, buyer=seller, now=now)


def test_strangers_cannot_act(buyer, other_buyer, other_seller, store, now):
    dispute = open_dispute(buyer=buyer, store=store, now=now)
    for stranger in (other_buyer, other_seller):
        with pytest.raises(ValidationError, match="cannot act"):
            services.dispute_make_offer(dispute_id=dispute.pk, actor=stranger, kind="full_refund", now=now)
        with pytest.raises(ValidationError, match="cannot act"):
            services.dispute_post_message(dispute_id=dispute.pk, actor=stranger, text="hi", now=now)


def test_thread_messages_with_photos_are_evidence_until_closed(buyer, seller, store, now):
    from disputes.tests.helpers import validated_photo

    dispute = open_dispute(buyer=buyer, store=store, now=now)
    message = services.dispute_post_message(
        dispute_id=dispute.pk, actor=seller, text="Here is our photo", photos=[validated_photo()], now=now
    )
    assert message.side == "seller"
    assert message.photos.count() == 1
    services.dispute_cancel(dispute_id=dispute.pk, buyer=buyer, now=now + DAY)
    with pytest.raises(ValidationError, match="closed"):
        services.dispute_post_message(dispute_id=dispute.pk, actor=buyer, text="late", now=now + 2 * DAY)


def test_staff_decision_is_final_and_penalises_the_seller(buyer, seller, store, staff, now):
    dispute = dispute_in_state(status=S.ESCALATED, buyer=buyer, seller=seller, store=store, staff=staff, now=now)
    services.dispute_resolve_by_staff(
        dispute_id=dispute.pk,
        staff=staff,
        resolution="partial_refund",
        amount=Decimal("5.00"),
        responsibility="seller",
        note="Colour differs from the listing.",
        now=now + 4 * DAY,
    )
    dispute.refresh_from_db()
    assert (dispute.status, dispute.resolution, dispute.refund_amount, dispute.decided_by) == (
        S.RESOLVED,
        "partial_refund",
        Decimal("5.00"),
        staff,
    )
    entry = dispute.penalties.get()
    assert (entry.reason, entry.points) == ("not_as_described", 2)
    assert entry.expires_at == now + 4 * DAY + timedelta(days=365)
    assert Notification.objects.filter(recipient=buyer, kind="dispute_decided").exists()
    with pytest.raises(TransitionNotAllowed, match="Resolved"):
        services.dispute_resolve_by_staff(
            dispute_id=dispute.pk, staff=staff, resolution="rejected", responsibility="buyer", note="", now=now
        )


def test_staff_rejection_against_the_buyer_adds_no_points(buyer, seller, store, staff, now):
    dispute = dispute_in_state(status=S.ESCALATED, buyer=buyer, seller=seller, store=store, staff=staff, now=now)
    services.dispute_resolve_by_staff(
        dispute_id=dispute.pk, staff=staff, resolution="rejected", responsibility="buyer", note="", now=now + 4 * DAY
    )
    dispute.refresh_from_db()
    assert (dispute.resolution, dispute.refund_amount) == ("rejected", Decimal("0.00"))
    assert dispute.penalties.count() == 0


def test_staff_partial_refund_cannot_exceed_the_total(buyer, seller, store, staff, now):
    dispute = dispute_in_state(status=S.ESCALATED, buyer=buyer, seller=seller, store=store, staff=staff, now=now)
    with pytest.raises(ValidationError, match="cannot be larger"):
        services.dispute_resolve_by_staff(
            dispute_id=dispute.pk,
            staff=staff,
            resolution="partial_refund",
            amount=dispute.order.total + 1,
            responsibility="seller",
            note="",
            now=now + 4 * DAY,
        )
    dispute.refresh_from_db()
    assert dispute.status == S.ESCALATED


def test_while_escalated_a_return_cannot_be_agreed(buyer, seller, store, staff, now):
    dispute = dispute_in_state(status=S.ESCALATED, buyer=buyer, seller=seller, store=store, staff=staff, now=now)
    with pytest.raises(ValidationError, match="only refunds"):
        services.dispute_make_offer(dispute_id=dispute.pk, actor=seller, kind="return_refund", now=now + 4 * DAY)
