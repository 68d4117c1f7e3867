"""The dispute clocks' effects: what happens when a deadline passes with nobody acting.

Each firer is called by `disputes.sweeps.disputes_clock_fire`, which finds the due cases.

Locking contract, for every firer: the caller holds the dispute's row lock (the sweep takes
it with `SKIP LOCKED` and re-checks status and due date under it) and runs the firer in a
savepoint of its transaction; the firer takes no dispute lock of its own. Firers that add
penalty points also lock the store's running restriction row, so a caller firing several
cases in one transaction takes them in store order. The event row's unique (dispute, clock)
constraint makes each clock fire once.
"""

from collections.abc import Sequence
from datetime import datetime

from disputes.models import Dispute, DisputeEvent, DisputeOffer
from disputes.services.disputes import (
    REFUND_KINDS,
    dispute_close,
    dispute_escalation_start,
    dispute_latest_offer,
    dispute_move,
    dispute_notify_resolved,
    dispute_replacement_close,
    dispute_return_refund,
    dispute_return_start,
)
from disputes.services.penalties import penalty_add
from portal.notify import notify
from portal.rules import rules_at

S = Dispute.Status


def dispute_seller_timeout(*, dispute: Dispute, now: datetime) -> None:
    """The seller did not answer in time: the buyer's current request is granted.

    Locking: the caller holds the dispute's row lock; adds penalty points (store order).
    """
    request = dispute_latest_offer(dispute=dispute, side=DisputeOffer.Side.BUYER)
    assert request is not None  # every dispute opens with the buyer's request
    due = dispute.seller_response_due_at or now
    note_params = {"days": (due - dispute.opened_at).days}
    request.accepted_at = now
    request.save(update_fields=["accepted_at"])
    dispute.seller_response_due_at = None
    dispute.responsibility = Dispute.Responsibility.SELLER
    if request.kind == Dispute.Outcome.RETURN_REFUND:
        dispute.save(update_fields=["seller_response_due_at", "responsibility"])
        dispute_return_start(
            dispute=dispute,
            amount=request.amount,
            actor=None,
            now=now,
            note_kind="dispute_seller_timeout",
            note_params=note_params,
            kind="clock",
            clock="seller_response",
        )
    else:
        dispute_close(
            dispute=dispute,
            to=S.RESOLVED,
            actor=None,
            now=now,
            closed_by=Dispute.ClosedBy.SELLER_TIMEOUT,
            resolution=REFUND_KINDS[Dispute.Outcome(request.kind)],
            refund=request.amount,
            responsibility=Dispute.Responsibility.SELLER,
            note_kind="dispute_seller_timeout",
            note_params=note_params,
            clock="seller_response",
            kind="clock",
            extra_fields=["seller_response_due_at"],
        )
        dispute_notify_resolved(dispute=dispute, exclude=None, now=now)
    # Not answering is a decision against the seller (and, for an unshipped order, not cooperating).
    penalty_add(dispute=dispute, now=now)


def dispute_auto_escalate(*, dispute: Dispute, now: datetime) -> None:
    """Not resolved in time: the case goes to the platform. Locking: the caller holds the row lock."""
    dispute_escalation_start(
        dispute=dispute,
        actor=None,
        now=now,
        note_kind="dispute_auto_escalated",
        note_params={"days": (dispute.escalation_closes_at - dispute.opened_at).days},
        clock="auto_escalation",
    )


def dispute_return_not_shipped(*, dispute: Dispute, now: datetime) -> None:
    """The buyer did not ship the return: closed for the seller. Locking: the caller holds the row lock."""
    dispute_close(
        dispute=dispute,
        to=S.RESOLVED,
        actor=None,
        now=now,
        closed_by=Dispute.ClosedBy.RETURN_NOT_SHIPPED,
        resolution=Dispute.Resolution.REJECTED,
        responsibility=Dispute.Responsibility.BUYER,
        note_kind="dispute_return_not_shipped",
        note_params={"days": _return_ship_days(dispute, now)},
        clock="return_ship",
        kind="clock",
    )
    dispute_notify_resolved(dispute=dispute, exclude=None, now=now)


def _return_ship_days(dispute: Dispute, now: datetime) -> int:
    """The buyer's time to send the return, as its clock copied it when the return started."""
    started = (
        DisputeEvent.objects.filter(dispute=dispute, new_status=S.AWAITING_RETURN)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    if started is None or dispute.return_ship_due_at is None:
        return rules_at(now).return_ship_days
    return (dispute.return_ship_due_at - started).days


def dispute_return_not_confirmed(*, dispute: Dispute, now: datetime) -> None:
    """The seller did not confirm the return: the refund is executed. Locking: the caller holds the row lock."""
    dispute_return_refund(
        dispute=dispute, actor=None, now=now, closed_by=Dispute.ClosedBy.RETURN_NOT_CONFIRMED, clock="return_confirm"
    )


def dispute_replacement_not_confirmed(*, dispute: Dispute, now: datetime) -> None:
    """The buyer neither confirmed the replacement nor reported it missing in time: taken as received.

    Locking: the caller holds the dispute's row lock.
    """
    dispute_replacement_close(
        dispute=dispute,
        actor=None,
        now=now,
        closed_by=Dispute.ClosedBy.REPLACEMENT_NOT_CONFIRMED,
        clock="replacement_receipt",
    )


def dispute_decision_overdue(*, dispute: Dispute, now: datetime, resolver_ids: Sequence[int]) -> None:
    """Remind every dispute resolver once; the case stays highlighted in the admin queue.

    Locking: the caller holds the dispute's row lock. `resolver_ids` are the staff to remind
    (the sweep knows who resolves disputes).
    """
    dispute.decision_reminded_at = now
    dispute_move(
        dispute=dispute,
        to=S.ESCALATED,
        actor=None,
        kind="clock",
        now=now,
        note_kind="dispute_decision_overdue",
        clock="decision_overdue",
        fields=["decision_reminded_at"],
    )
    for user_id in resolver_ids:
        notify(
            user_id=user_id,
            kind="dispute_decision_overdue",
            params={"id": dispute.pk, "number": dispute.order.number},
            now=now,
        )
