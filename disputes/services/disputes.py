"""Every write to a dispute: opening, offers, the thread, returns and the staff decision.

The penalty ledger is `disputes.services.penalties`, the clocks `disputes.services.clocks`.

Lock order, everywhere: the dispute row first (`select_for_update`), then the order row
through `order_set_dispute_open` (an UPDATE). No service locks an order and then a dispute,
so two services, the sweep and a staff decision can never deadlock.
"""

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from disputes import events
from disputes.models import Dispute, DisputeEvent, DisputeMessage, DisputeOffer
from disputes.selectors import dispute_store_member_ids
from disputes.services.penalties import penalty_add
from portal.dates import format_moment
from portal.integrity import integrity_check
from portal.models import Order, Photo, User
from portal.notify import notify
from portal.rules import rules_at, rules_for
from portal.selectors import user_is_store_member
from portal.services import order_set_dispute_open
from portal.transitions import TransitionNotAllowed, transition_check, transition_refusal
from portal.uploads import ValidatedPhoto, photo_store

S = Dispute.Status

ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    S.AWAITING_SELLER: {S.NEGOTIATING, S.AWAITING_RETURN, S.AWAITING_REPLACEMENT, S.RESOLVED, S.ESCALATED, S.CANCELLED},
    S.NEGOTIATING: {S.AWAITING_RETURN, S.AWAITING_REPLACEMENT, S.RESOLVED, S.ESCALATED, S.CANCELLED},
    # Escalated cases end by a staff decision, an agreed refund, or the buyer withdrawing.
    # Never back to awaiting_return: each return clock then runs at most once per dispute.
    S.ESCALATED: {S.RESOLVED, S.CANCELLED},
    S.AWAITING_RETURN: {S.RETURN_SHIPPED, S.RESOLVED, S.ESCALATED, S.CANCELLED},
    S.RETURN_SHIPPED: {S.RESOLVED, S.ESCALATED},
    # A replacement on its way: received (said by the buyer, or taken so by the clock), or the
    # buyer reports it missing to the platform, or withdraws the case.
    S.AWAITING_REPLACEMENT: {S.RESOLVED, S.ESCALATED, S.CANCELLED},
    S.RESOLVED: set(),
    S.CANCELLED: set(),
}

REFUND_KINDS = {
    Dispute.Outcome.FULL_REFUND: Dispute.Resolution.FULL_REFUND,
    Dispute.Outcome.PARTIAL_REFUND: Dispute.Resolution.PARTIAL_REFUND,
}


# --- Helpers --------------------------------------------------------------------------------


def dispute_side(*, dispute: Dispute, user: User) -> str | None:
    """Which side `user` is on: the buyer, a member of the store, or neither (None)."""
    if user.pk == dispute.buyer_id:
        return DisputeOffer.Side.BUYER
    if user_is_store_member(user=user, store_id=dispute.store_id):
        return DisputeOffer.Side.SELLER
    return None


def _require_side(dispute: Dispute, user: User, side: str | None = None) -> str:
    actual = dispute_side(dispute=dispute, user=user)
    if actual is None or (side is not None and actual != side):
        raise ValidationError(_("You cannot act on this dispute."), code="not_a_party")
    return actual


def _lock(dispute_id: int) -> Dispute:
    return Dispute.objects.select_for_update().select_related("order").get(pk=dispute_id)


def _refusal_message() -> str:
    return _("Cannot move dispute #%(id)s from %(old)s to %(new)s.")


def _refuse(dispute: Dispute, to: str) -> TransitionNotAllowed:
    """The table's error for a move a service refuses on a rule of its own (a closed case, an offer's kind)."""
    return transition_refusal(dispute, to=to, message=_refusal_message(), params={"id": dispute.pk})


def _check(dispute: Dispute, to: str) -> None:
    transition_check(dispute, table=ALLOWED_TRANSITIONS, to=to, message=_refusal_message(), params={"id": dispute.pk})


def dispute_move(
    *,
    dispute: Dispute,
    to: str,
    actor: User | None,
    kind: str,
    now: datetime,
    note: str = "",
    note_kind: str = "",
    note_params: Mapping[str, Any] | None = None,
    clock: str = "",
    fields: Sequence[str] = (),
) -> None:
    """Change the status of a dispute the caller has locked, and record the event.

    Locking contract: the caller holds the dispute's row lock (`select_for_update`) inside
    its transaction; this function takes no lock of its own.

    `to` may equal the current status for events that change no status (an offer). `note`
    is what a person typed; what the system says is a `note_kind` with parameters (see
    `portal.timeline`), rendered in each reader's language.
    """
    if to != dispute.status:
        _check(dispute, to)
    DisputeEvent.objects.create(
        dispute=dispute,
        actor=actor,
        kind=kind,
        old_status=dispute.status,
        new_status=to,
        note=note,
        note_kind=note_kind,
        note_params=dict(note_params or {}),
        clock=clock,
        created_at=now,
    )
    dispute.status = to
    dispute.updated_at = now
    dispute.save(update_fields=["status", "updated_at", *fields])


def _when(moment: datetime) -> str:
    """A moment in the reader's time zone (the middleware activates it), for error messages."""
    return format_moment(moment)


def _notify_parties(
    dispute: Dispute, *, kind: str, now: datetime, exclude: User | None = None, **params: object
) -> None:
    """Tell the buyer and every member of the store, except whoever acted."""
    recipients = {dispute.buyer_id, *dispute_store_member_ids(dispute=dispute)}
    if exclude is not None:
        recipients.discard(exclude.pk)
    base = {"id": dispute.pk, "number": dispute.order.number}
    for user_id in sorted(recipients):
        notify(user_id=user_id, kind=kind, params={**base, **params}, now=now)


def dispute_notify_resolved(*, dispute: Dispute, exclude: User | None, now: datetime) -> None:
    """Tell the parties a dispute closed with its refund; inside the caller's transaction, no lock."""
    # Params carry numbers only: every recipient reads the text in their own language.
    _notify_parties(
        dispute,
        kind="dispute_resolved",
        exclude=exclude,
        refund=str(dispute.refund_amount or Decimal("0.00")),
        currency=dispute.order.currency,
        now=now,
    )


def dispute_latest_offer(*, dispute: Dispute, side: str) -> DisputeOffer | None:
    """One side's current offer on a dispute the caller has locked (it takes no lock)."""
    return DisputeOffer.objects.filter(dispute=dispute, side=side).order_by("-created_at", "-pk").first()


def dispute_close(
    *,
    dispute: Dispute,
    to: str,
    actor: User | None,
    now: datetime,
    closed_by: str,
    resolution: str = "",
    refund: Decimal | None = None,
    responsibility: str = "",
    note: str = "",
    note_kind: str = "",
    note_params: Mapping[str, Any] | None = None,
    clock: str = "",
    kind: str = DisputeEvent.Kind.RESOLVED,
    extra_fields: Sequence[str] = (),
) -> None:
    """Close a dispute the caller has locked and resume the order's delivery guarantee.

    Locking contract: the caller holds the dispute's row lock; the order row is then
    updated (`order_set_dispute_open`), keeping the lock order dispute first, order second.
    """
    dispute.closed_at = now
    dispute.closed_by = closed_by
    dispute.resolution = resolution
    dispute.refund_amount = refund
    dispute.responsibility = responsibility
    dispute_move(
        dispute=dispute,
        to=to,
        actor=actor,
        kind=kind,
        now=now,
        note=note,
        note_kind=note_kind,
        note_params=note_params,
        clock=clock,
        fields=["closed_at", "closed_by", "resolution", "refund_amount", "responsibility", *extra_fields],
    )
    # The delivery guarantee resumes once no dispute is open on the order.
    order_set_dispute_open(order_id=dispute.order_id, is_open=False)
    events.dispute_resolved(dispute=dispute, now=now)


def dispute_return_start(
    *,
    dispute: Dispute,
    amount: Decimal,
    actor: User | None,
    now: datetime,
    note_kind: str,
    note_params: Mapping[str, Any],
    kind: str,
    clock: str = "",
) -> None:
    """Start the return of the item at the agreed amount on a dispute the caller has locked."""
    dispute.agreed_amount = amount
    dispute.return_ship_due_at = now + timedelta(days=rules_at(now).return_ship_days)
    dispute_move(
        dispute=dispute,
        to=S.AWAITING_RETURN,
        actor=actor,
        kind=kind,
        now=now,
        note_kind=note_kind,
        note_params=note_params,
        clock=clock,
        fields=["agreed_amount", "return_ship_due_at"],
    )
    _notify_parties(dispute, kind="dispute_return_awaited", exclude=actor, now=now)


def dispute_replacement_start(*, dispute: Dispute, offer: DisputeOffer, actor: User | None, now: datetime) -> None:
    """The buyer accepted a replacement: the case waits for the new parcel (dispute locked by the caller).

    Its clock: the buyer confirms the arrival, or reports it missing to the platform, within
    OPINIA_REPLACEMENT_CONFIRM_DAYS; a buyer who says nothing by then is taken to have received
    it, as an order is confirmed automatically when its buyer stays silent.
    """
    days = settings.OPINIA_REPLACEMENT_CONFIRM_DAYS  # an operational knob, not yet a versioned rule
    dispute.replacement_carrier = offer.carrier
    dispute.replacement_tracking_number = offer.tracking_number
    dispute.replacement_due_at = now + timedelta(days=days)
    dispute_move(
        dispute=dispute,
        to=S.AWAITING_REPLACEMENT,
        actor=actor,
        kind=DisputeEvent.Kind.ACCEPTED,
        now=now,
        note_kind="dispute_replacement_accepted",
        note_params={"carrier": offer.carrier, "tracking": offer.tracking_number, "days": days},
        fields=["replacement_carrier", "replacement_tracking_number", "replacement_due_at"],
    )
    _notify_parties(
        dispute,
        kind="dispute_replacement_awaited",
        exclude=actor,
        carrier=offer.carrier,
        tracking=offer.tracking_number,
        days=days,
        now=now,
    )


def dispute_replacement_close(
    *, dispute: Dispute, actor: User | None, now: datetime, closed_by: str, clock: str = ""
) -> None:
    """The replacement counts as received: the case closes, resolved, with no refund (dispute locked by the caller)."""
    dispute_close(
        dispute=dispute,
        to=S.RESOLVED,
        actor=actor,
        now=now,
        closed_by=closed_by,
        resolution=Dispute.Resolution.REPLACED,
        refund=Decimal("0.00"),
        note_kind="" if actor else "dispute_replacement_taken_as_received",
        note_params={} if actor else {"days": settings.OPINIA_REPLACEMENT_CONFIRM_DAYS},
        clock=clock,
        kind=DisputeEvent.Kind.REPLACEMENT_RECEIVED if actor else DisputeEvent.Kind.CLOCK,
    )
    _notify_parties(
        dispute,
        kind="dispute_replacement_received" if actor else "dispute_replacement_taken_as_received",
        exclude=actor,
        tracking=dispute.replacement_tracking_number,
        now=now,
    )


def dispute_confirm_replacement(*, dispute_id: int, buyer: User, now: datetime) -> Dispute:
    """The buyer has the replacement: the case closes, resolved, no refund."""
    with transaction.atomic():
        dispute = _lock(dispute_id)
        _require_side(dispute, buyer, DisputeOffer.Side.BUYER)
        if dispute.status != S.AWAITING_REPLACEMENT:
            raise _refuse(dispute, S.RESOLVED)
        dispute_replacement_close(
            dispute=dispute, actor=buyer, now=now, closed_by=Dispute.ClosedBy.REPLACEMENT_RECEIVED
        )
    return dispute


# --- Opening ---------------------------------------------------------------------------------


def dispute_opening_reasons(*, order: Order, now: datetime) -> list[str]:
    """The reasons the buyer may give for a dispute on `order` now; empty when none is possible.

    The handling time is the one in force when the order was paid; buyer protection is the one
    of the rules the order is judged by (in force when it completed).
    """
    if order.status == Order.Status.PAID and order.paid_at is not None:
        if now - order.paid_at > timedelta(days=rules_at(order.paid_at).handling_days):
            return [Dispute.Reason.REFUSED_TO_SHIP]
        return []
    shipped_reasons = [r for r in Dispute.Reason.values if r != Dispute.Reason.REFUSED_TO_SHIP]
    if order.status == Order.Status.SHIPPED:
        return shipped_reasons
    if (
        order.status == Order.Status.COMPLETED
        and order.completed_at is not None
        and now <= order.completed_at + timedelta(days=_order_rules(order, now).protection_days)
    ):
        return shipped_reasons
    return []


def dispute_opening_refusal(*, order: Order, now: datetime) -> str:
    """Why no dispute can be opened on `order` now, in words for the buyer ("" when one can)."""
    if order.has_open_dispute or Dispute.objects.filter(order=order, status__in=Dispute.OPEN_STATUSES).exists():
        return _("A dispute is already open on this order.")
    # A resolved case is final (an agreement, the clocks or the platform decided it); a
    # cancelled one may be opened again while the order is still protected.
    resolved = Dispute.objects.filter(order=order, status=S.RESOLVED).values_list("pk", flat=True).first()
    if resolved is not None:
        return _("Dispute #%(id)s on this order is resolved; its outcome is final.") % {"id": resolved}
    if dispute_opening_reasons(order=order, now=now):
        return ""
    if order.status == Order.Status.PAID:
        return _("A dispute about an unshipped order can be opened %(days)s days after payment.") % {
            "days": rules_at(order.paid_at or now).handling_days
        }
    if order.status == Order.Status.COMPLETED:
        return _("Buyer protection ended %(days)s days after the order was completed.") % {
            "days": _order_rules(order, now).protection_days
        }
    return _("No dispute can be opened on an order that is %(status)s.") % {"status": Order.Status(order.status).label}


def _order_rules(order: Order, now: datetime) -> Any:
    return rules_for(version=order.rules_version, started_at=order.completed_at, now=now)


def _check_amount(*, kind: str, amount: Decimal | None, total: Decimal) -> Decimal:
    if kind == Dispute.Outcome.PARTIAL_REFUND:
        if amount is None or amount <= 0:
            raise ValidationError({"amount": _("Enter the amount of the partial refund.")})
        if amount > total:
            raise ValidationError(
                {"amount": _("The refund cannot be larger than the order total, %(total)s.") % {"total": total}}
            )
        if amount == total:
            # A "partial" refund of everything is a full refund; record it as one.
            return total
        return amount
    return total


def dispute_open(
    *,
    order_id: int,
    buyer: User,
    reason: str,
    requested_outcome: str,
    description: str,
    now: datetime,
    requested_amount: Decimal | None = None,
    detail: str = "",
    photos: Sequence[ValidatedPhoto] = (),
) -> Dispute:
    """Open a dispute on the buyer's order and pause its automatic confirmation.

    Photos are written before the transaction (STYLE rule 5). The partial unique constraint
    on open disputes per order is the guard against two tabs opening at once.
    """
    order = Order.objects.filter(pk=order_id, buyer=buyer).first()
    if order is None:
        raise ValidationError(_("Only the buyer of an order can open a dispute on it."))
    refusal = dispute_opening_refusal(order=order, now=now)
    if refusal:
        raise ValidationError(refusal, code="cannot_open")
    if reason not in dispute_opening_reasons(order=order, now=now):
        raise ValidationError({"reason": _("This reason does not fit the order's state.")})
    if reason != Dispute.Reason.NOT_AS_DESCRIBED:
        detail = ""
    amount = _check_amount(kind=requested_outcome, amount=requested_amount, total=order.total)
    if requested_outcome == Dispute.Outcome.PARTIAL_REFUND and amount == order.total:
        requested_outcome = Dispute.Outcome.FULL_REFUND
    stored: list[Photo] = [photo_store(owner=buyer, photo=photo, now=now) for photo in photos]
    rules = rules_at(now)
    try:
        with transaction.atomic():
            dispute = Dispute.objects.create(
                order=order,
                store_id=order.store_id,
                buyer=buyer,
                reason=reason,
                detail=detail,
                requested_outcome=requested_outcome,
                requested_amount=amount,
                description=description,
                opened_at=now,
                updated_at=now,
                seller_response_due_at=now + timedelta(days=rules.seller_response_days),
                escalation_opens_at=now + timedelta(days=rules.escalation_from_days),
                escalation_closes_at=now + timedelta(days=rules.escalation_until_days),
                auto_escalate_at=now + timedelta(days=rules.auto_escalation_days),
                rules_version=rules.version,
            )
            dispute.photos.set(stored)
            DisputeOffer.objects.create(
                dispute=dispute,
                side=DisputeOffer.Side.BUYER,
                kind=requested_outcome,
                amount=amount,
                note=description[:2000],
                author=buyer,
                created_at=now,
            )
            DisputeEvent.objects.create(
                dispute=dispute,
                actor=buyer,
                kind=DisputeEvent.Kind.OPENED,
                old_status="",
                new_status=S.AWAITING_SELLER,
                created_at=now,
            )
            order_set_dispute_open(order_id=order.pk, is_open=True)
            events.dispute_opened(dispute=dispute, now=now)
            _notify_parties(dispute, kind="dispute_opened", exclude=buyer, days=rules.seller_response_days, now=now)
    except IntegrityError:
        raise ValidationError(_("A dispute is already open on this order."), code="already_open") from None
    return dispute


# --- Negotiation -------------------------------------------------------------------------------


def dispute_make_offer(
    *,
    dispute_id: int,
    actor: User,
    kind: str,
    now: datetime,
    amount: Decimal | None = None,
    note: str = "",
    photos: Sequence[ValidatedPhoto] = (),
    carrier: str = "",
    tracking_number: str = "",
) -> DisputeOffer:
    """Make (or change) one side's offer. The seller's first offer is its answer: negotiation starts.

    Photos sent with an offer (the seller's evidence for a counter-offer, say) go into the
    case thread with the offer's note, where both sides and the platform see them. A
    replacement (the seller's only) names the new parcel's carrier and tracking number and
    refunds nothing.
    """
    if kind not in Dispute.Outcome.values:
        raise ValidationError({"kind": _("Choose an offer.")})
    carrier, tracking_number = carrier.strip(), tracking_number.strip()
    if kind == Dispute.Outcome.REPLACEMENT:
        errors = {}
        if not carrier:
            errors["carrier"] = _("Enter the carrier of the replacement parcel.")
        if not tracking_number:
            errors["tracking_number"] = _("Enter the tracking number of the replacement parcel.")
        if errors:
            raise ValidationError(errors)
    stored: list[Photo] = []
    if photos:
        # Checked before the files are written (STYLE rule 5: photos outside the transaction).
        unlocked = Dispute.objects.filter(pk=dispute_id).first()
        if unlocked is None:
            raise ValidationError(_("You cannot act on this dispute."))
        _require_side(unlocked, actor)
        if not unlocked.is_open:
            raise _refuse(unlocked, S.NEGOTIATING)
        stored = [photo_store(owner=actor, photo=photo, now=now) for photo in photos]
    with transaction.atomic():
        dispute = _lock(dispute_id)
        side = _require_side(dispute, actor)
        if not dispute.is_open:
            raise _refuse(dispute, S.NEGOTIATING)
        if dispute.status == S.ESCALATED and kind in (Dispute.Outcome.RETURN_REFUND, Dispute.Outcome.REPLACEMENT):
            raise ValidationError(_("While the platform decides, only refunds can be offered."))
        if dispute.status == S.AWAITING_REPLACEMENT:
            raise ValidationError(
                _("A replacement is on its way: confirm it arrived, or ask the platform if it does not."),
                code="awaiting_replacement",
            )
        if kind == Dispute.Outcome.REPLACEMENT:
            if side != DisputeOffer.Side.SELLER:
                raise ValidationError({"kind": _("Only the seller can offer a replacement.")})
            value = Decimal("0.00")
        else:
            value = _check_amount(kind=kind, amount=amount, total=dispute.order.total)
            carrier = tracking_number = ""
        if kind == Dispute.Outcome.PARTIAL_REFUND and value == dispute.order.total:
            kind = Dispute.Outcome.FULL_REFUND
        offer = DisputeOffer.objects.create(
            dispute=dispute,
            side=side,
            kind=kind,
            amount=value,
            note=note,
            author=actor,
            created_at=now,
            carrier=carrier,
            tracking_number=tracking_number,
        )
        to = dispute.status
        fields: list[str] = []
        if side == DisputeOffer.Side.SELLER and dispute.status == S.AWAITING_SELLER:
            to = S.NEGOTIATING
        if side == DisputeOffer.Side.SELLER and dispute.seller_responded_at is None:
            dispute.seller_responded_at = now
            dispute.seller_response_due_at = None
            fields += ["seller_responded_at", "seller_response_due_at"]
        dispute_move(
            dispute=dispute,
            to=to,
            actor=actor,
            kind=DisputeEvent.Kind.OFFER,
            now=now,
            note_kind="dispute_replacement_offer" if kind == Dispute.Outcome.REPLACEMENT else "dispute_offer",
            note_params=(
                {"carrier": carrier, "tracking": tracking_number}
                if kind == Dispute.Outcome.REPLACEMENT
                else {"outcome": kind, "amount": str(value), "currency": dispute.order.currency}
            ),
            fields=fields,
        )
        if stored:
            message = DisputeMessage.objects.create(
                dispute=dispute, author=actor, side=side, text=note.strip(), created_at=now
            )
            message.photos.set(stored)
        if kind == Dispute.Outcome.REPLACEMENT:
            _notify_parties(
                dispute,
                kind="dispute_replacement_offered",
                exclude=actor,
                carrier=carrier,
                tracking=tracking_number,
                now=now,
            )
        else:
            _notify_parties(
                dispute,
                kind="dispute_offer",
                exclude=actor,
                amount=str(value),
                currency=dispute.order.currency,
                now=now,
            )
        events.offer_made(offer=offer, now=now)
    return offer


def dispute_accept_offer(*, dispute_id: int, actor: User, now: datetime) -> Dispute:
    """Accept the other side's current offer: a refund closes the case, a return starts its clock."""
    with transaction.atomic():
        dispute = _lock(dispute_id)
        side = _require_side(dispute, actor)
        other = DisputeOffer.Side.SELLER if side == DisputeOffer.Side.BUYER else DisputeOffer.Side.BUYER
        offer = dispute_latest_offer(dispute=dispute, side=other)
        if offer is None or offer.accepted_at is not None:
            raise ValidationError(_("There is no offer from the other side to accept."), code="no_offer")
        if not dispute.is_open:
            raise _refuse(dispute, S.RESOLVED)
        accepted = {"kind": offer.kind, "amount": str(offer.amount), "currency": dispute.order.currency}
        if offer.kind == Dispute.Outcome.RETURN_REFUND:
            if dispute.status not in (S.AWAITING_SELLER, S.NEGOTIATING):
                raise _refuse(dispute, S.AWAITING_RETURN)
        elif offer.kind == Dispute.Outcome.REPLACEMENT:
            _check(dispute, S.AWAITING_REPLACEMENT)
        else:
            _check(dispute, S.RESOLVED)
        offer.accepted_at = now
        offer.save(update_fields=["accepted_at"])
        if side == DisputeOffer.Side.SELLER and dispute.seller_responded_at is None:
            dispute.seller_responded_at = now
            dispute.seller_response_due_at = None
            dispute.save(update_fields=["seller_responded_at", "seller_response_due_at"])
        if offer.kind == Dispute.Outcome.REPLACEMENT:
            dispute_replacement_start(dispute=dispute, offer=offer, actor=actor, now=now)
        elif offer.kind == Dispute.Outcome.RETURN_REFUND:
            dispute_return_start(
                dispute=dispute,
                amount=offer.amount,
                actor=actor,
                now=now,
                note_kind="dispute_offer_accepted",
                note_params=accepted,
                kind=DisputeEvent.Kind.ACCEPTED,
            )
        else:
            dispute_close(
                dispute=dispute,
                to=S.RESOLVED,
                actor=actor,
                now=now,
                closed_by=Dispute.ClosedBy.AGREEMENT,
                resolution=REFUND_KINDS[Dispute.Outcome(offer.kind)],
                refund=offer.amount,
                note_kind="dispute_offer_accepted",
                note_params=accepted,
                kind=DisputeEvent.Kind.ACCEPTED,
            )
            dispute_notify_resolved(dispute=dispute, exclude=None, now=now)
    return dispute


def dispute_cancel(*, dispute_id: int, buyer: User, now: datetime, note: str = "") -> Dispute:
    """The buyer withdraws the dispute; the order's guarantee clock resumes."""
    with transaction.atomic():
        dispute = _lock(dispute_id)
        _require_side(dispute, buyer, DisputeOffer.Side.BUYER)
        _check(dispute, S.CANCELLED)
        dispute_close(
            dispute=dispute,
            to=S.CANCELLED,
            actor=buyer,
            now=now,
            closed_by=Dispute.ClosedBy.BUYER_CANCELLED,
            note=note,
            kind=DisputeEvent.Kind.CANCELLED,
        )
        _notify_parties(dispute, kind="dispute_cancelled", exclude=buyer, now=now)
    return dispute


def dispute_escalate(*, dispute_id: int, actor: User, now: datetime, note: str = "") -> Dispute:
    """Either side asks the platform to decide, between day 3 and day 15 after opening."""
    with transaction.atomic():
        dispute = _lock(dispute_id)
        side = _require_side(dispute, actor)
        _check(dispute, S.ESCALATED)
        if dispute.status == S.AWAITING_REPLACEMENT:
            # The replacement has not come: the buyer may ask the platform until it is taken as
            # received, whatever the escalation window (the case waited for the seller's parcel).
            if side != DisputeOffer.Side.BUYER:
                raise ValidationError(
                    _("While the replacement is on its way, only the buyer can ask the platform to decide."),
                    code="escalation_window",
                )
            dispute_escalation_start(dispute=dispute, actor=actor, now=now, note=note)
            return dispute
        if now < dispute.escalation_opens_at:
            raise ValidationError(
                _("The platform can be asked to decide from %(start)s, %(days)s days after the dispute was opened.")
                % {
                    "start": _when(dispute.escalation_opens_at),
                    "days": (dispute.escalation_opens_at - dispute.opened_at).days,
                },
                code="escalation_window",
            )
        if now > dispute.escalation_closes_at:
            raise ValidationError(
                _(
                    "The time to ask the platform ended %(end)s; an unresolved case goes to the platform "
                    "automatically on %(auto)s."
                )
                % {"end": _when(dispute.escalation_closes_at), "auto": _when(dispute.auto_escalate_at)},
                code="escalation_window",
            )
        dispute_escalation_start(dispute=dispute, actor=actor, now=now, note=note)
    return dispute


def dispute_escalation_start(
    *,
    dispute: Dispute,
    actor: User | None,
    now: datetime,
    note: str = "",
    note_kind: str = "",
    note_params: Mapping[str, Any] | None = None,
    clock: str = "",
) -> None:
    """Hand a dispute the caller has locked to the platform; the staff decision clock starts."""
    decision_days = rules_at(now).staff_decision_days
    dispute.escalated_at = now
    dispute.decision_due_at = now + timedelta(days=decision_days)
    dispute_move(
        dispute=dispute,
        to=S.ESCALATED,
        actor=actor,
        kind=DisputeEvent.Kind.ESCALATED,
        now=now,
        note=note,
        note_kind=note_kind,
        note_params=note_params,
        clock=clock,
        fields=["escalated_at", "decision_due_at"],
    )
    events.dispute_escalated(dispute=dispute, automatic=actor is None, now=now)
    _notify_parties(dispute, kind="dispute_escalated", exclude=actor, days=decision_days, now=now)


def dispute_ship_return(*, dispute_id: int, buyer: User, tracking_number: str, now: datetime) -> Dispute:
    """The buyer sends the item back; the seller's clock to confirm receipt starts."""
    tracking_number = tracking_number.strip()
    if not tracking_number:
        raise ValidationError({"tracking_number": _("Enter the tracking number of the return parcel.")})
    with transaction.atomic():
        dispute = _lock(dispute_id)
        _require_side(dispute, buyer, DisputeOffer.Side.BUYER)
        if dispute.status != S.AWAITING_RETURN:
            raise _refuse(dispute, S.RETURN_SHIPPED)
        dispute.return_tracking_number = tracking_number
        dispute.return_confirm_due_at = now + timedelta(days=rules_at(now).return_confirm_days)
        dispute_move(
            dispute=dispute,
            to=S.RETURN_SHIPPED,
            actor=buyer,
            kind=DisputeEvent.Kind.RETURN_SHIPPED,
            now=now,
            note=tracking_number,
            fields=["return_tracking_number", "return_confirm_due_at"],
        )
        _notify_parties(dispute, kind="dispute_return_shipped", exclude=buyer, tracking=tracking_number, now=now)
    return dispute


def dispute_confirm_return(*, dispute_id: int, seller: User, now: datetime) -> Dispute:
    """The seller has the item back: the agreed refund is executed and the case closes."""
    with transaction.atomic():
        dispute = _lock(dispute_id)
        _require_side(dispute, seller, DisputeOffer.Side.SELLER)
        if dispute.status != S.RETURN_SHIPPED:
            raise _refuse(dispute, S.RESOLVED)
        dispute_return_refund(dispute=dispute, actor=seller, now=now, closed_by=Dispute.ClosedBy.RETURN_RECEIVED)
    return dispute


def dispute_return_refund(
    *, dispute: Dispute, actor: User | None, now: datetime, closed_by: str, clock: str = ""
) -> None:
    """Execute the agreed refund after a return and close a dispute the caller has locked."""
    amount = dispute.agreed_amount if dispute.agreed_amount is not None else dispute.order.total
    resolution = Dispute.Resolution.FULL_REFUND if amount >= dispute.order.total else Dispute.Resolution.PARTIAL_REFUND
    dispute_close(
        dispute=dispute,
        to=S.RESOLVED,
        actor=actor,
        now=now,
        closed_by=closed_by,
        resolution=resolution,
        refund=amount,
        clock=clock,
        kind=DisputeEvent.Kind.RETURN_RECEIVED if actor else DisputeEvent.Kind.CLOCK,
    )
    dispute_notify_resolved(dispute=dispute, exclude=actor, now=now)


def dispute_post_message(
    *, dispute_id: int, actor: User, text: str, now: datetime, photos: Sequence[ValidatedPhoto] = ()
) -> DisputeMessage:
    """Add to the dispute's thread: text and photos are evidence, accepted until the case closes."""
    text = text.strip()
    if not text and not photos:
        raise ValidationError({"text": _("Write a message or attach a photo.")})
    dispute = Dispute.objects.filter(pk=dispute_id).first()
    if dispute is None:
        raise ValidationError(_("You cannot act on this dispute."))
    _require_side(dispute, actor)
    if not dispute.is_open:
        raise ValidationError(_("This dispute is closed; its thread is kept as it is."), code="closed")
    stored = [photo_store(owner=actor, photo=photo, now=now) for photo in photos]
    with transaction.atomic():
        dispute = _lock(dispute_id)
        side = _require_side(dispute, actor)
        if not dispute.is_open:
            raise ValidationError(_("This dispute is closed; its thread is kept as it is."), code="closed")
        message = DisputeMessage.objects.create(dispute=dispute, author=actor, side=side, text=text, created_at=now)
        message.photos.set(stored)
        if text:
            integrity_check(source="dispute_message", source_id=message.pk, now=now)
        Dispute.objects.filter(pk=dispute.pk).update(updated_at=now)
        _notify_parties(dispute, kind="dispute_message", exclude=actor, now=now)
    return message


def dispute_message_remove_by_moderator(*, message_id: int, moderator: User, now: datetime) -> bool:
    """Hide a dispute thread message that moderators found breaking the rules (a trust case).

    Never deleted: it stays evidence for staff (the admin shows it), the parties see a neutral
    placeholder in its place, on the page and in the API. Locks the dispute like every write of
    its thread; returns whether the message was still shown (a second removal changes nothing).
    """
    dispute_id = DisputeMessage.objects.filter(pk=message_id).values_list("dispute_id", flat=True).first()
    if dispute_id is None:
        raise ValidationError(_("This message no longer exists."), code="missing")
    with transaction.atomic():
        _lock(dispute_id)
        removed = DisputeMessage.objects.filter(pk=message_id, removed_at__isnull=True).update(removed_at=now)
        if removed:
            LogEntry.objects.log_actions(
                user_id=moderator.pk,
                queryset=DisputeMessage.objects.filter(pk=message_id),
                action_flag=CHANGE,
                change_message=[{"changed": {"fields": ["removed"]}}],
                single_object=True,
            )
    return bool(removed)


# --- Staff decision ---------------------------------------------------------------------------------


def dispute_resolve_by_staff(
    *,
    dispute_id: int,
    staff: User,
    resolution: str,
    responsibility: str,
    note: str,
    now: datetime,
    amount: Decimal | None = None,
    shipped_without_tracking: bool = False,
) -> Dispute:
    """Decide an escalated dispute; final. Adds penalty points when the seller is responsible.

    `shipped_without_tracking`: staff found that the order was shipped without a valid
    tracking number, which the rules treat as refusing to ship; the seller is responsible
    and the refused-to-ship penalty applies, whatever reason the buyer gave.

    The row lock makes the decision single: of two staff members deciding at once, the
    second waits, then finds the case resolved and is refused. The ledger's unique
    constraint on the dispute is the last guard against a second penalty.
    """
    if resolution not in Dispute.Resolution.values:
        raise ValidationError({"resolution": _("Choose a decision.")})
    if responsibility not in Dispute.Responsibility.values:
        raise ValidationError({"responsibility": _("Choose who is responsible.")})
    if shipped_without_tracking and responsibility != Dispute.Responsibility.SELLER:
        raise ValidationError(
            {"responsibility": _("Shipping without valid tracking is the seller's responsibility: choose the seller.")}
        )
    if shipped_without_tracking and resolution == Dispute.Resolution.REJECTED:
        raise ValidationError(
            {"resolution": _("An order shipped without valid tracking is refunded: choose a full or partial refund.")}
        )
    with transaction.atomic():
        dispute = _lock(dispute_id)
        if dispute.status != S.ESCALATED:
            raise _refuse(dispute, S.RESOLVED)
        total = dispute.order.total
        if resolution == Dispute.Resolution.FULL_REFUND:
            refund: Decimal = total
        elif resolution == Dispute.Resolution.PARTIAL_REFUND:
            refund = _check_amount(kind=Dispute.Outcome.PARTIAL_REFUND, amount=amount, total=total)
        else:
            refund = Decimal("0.00")
        dispute.decided_by = staff
        dispute.resolution_note = note
        dispute.shipped_without_tracking = shipped_without_tracking
        dispute.save(update_fields=["decided_by", "resolution_note", "shipped_without_tracking"])
        dispute_close(
            dispute=dispute,
            to=S.RESOLVED,
            actor=staff,
            now=now,
            closed_by=Dispute.ClosedBy.STAFF,
            resolution=resolution,
            refund=refund,
            responsibility=responsibility,
            note=note,
        )
        if responsibility == Dispute.Responsibility.SELLER:
            penalty_add(dispute=dispute, now=now)
        _notify_parties(
            dispute,
            kind="dispute_decided" if refund > 0 else "dispute_decided_rejected",
            exclude=None,
            note=note or "—",
            refund=str(refund),
            currency=dispute.order.currency,
            now=now,
        )
    return dispute
