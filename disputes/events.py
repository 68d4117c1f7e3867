"""The dispute, penalty and complaint events published to `portal.events` (the webhooks' outbox).

Amounts are decimal strings with the order's currency. A complaint's text and answer never
leave: `complaint.answered` says only which complaint was answered, and reaches a store's
endpoints only for the store's own penalty appeal (anything else concerns the author and the
platform).
"""

from datetime import datetime
from decimal import Decimal
from typing import Any

from disputes.models import Complaint, Dispute, DisputeOffer, PenaltyEntry, StoreRestriction
from portal.events import iso, order_reference, publish, store_reference
from portal.models import Store


def _money(amount: Decimal | None, currency: str) -> dict[str, str] | None:
    return None if amount is None else {"amount": str(amount), "currency": currency}


def _dispute_payload(dispute: Dispute) -> dict[str, Any]:
    return {
        "id": dispute.pk,
        "order": order_reference(dispute.order),
        "status": dispute.status,
        "reason": dispute.reason,
        "requested_outcome": dispute.requested_outcome,
        "requested": _money(dispute.requested_amount, dispute.order.currency),
        "opened_at": iso(dispute.opened_at),
    }


def _publish_dispute(event_type: str, dispute: Dispute, extra: dict[str, Any], *, now: datetime) -> None:
    publish(
        event_type=event_type,
        store_id=dispute.store_id,
        subject=f"dispute:{dispute.pk}",
        payload={"dispute": _dispute_payload(dispute), **extra},
        now=now,
    )


def dispute_opened(*, dispute: Dispute, now: datetime) -> None:
    _publish_dispute("dispute.opened", dispute, {}, now=now)


def offer_made(*, offer: DisputeOffer, now: datetime) -> None:
    dispute = offer.dispute
    _publish_dispute(
        "dispute.offer_made",
        dispute,
        {
            "offer": {
                "id": offer.pk,
                "side": offer.side,
                "outcome": offer.kind,
                "refund": _money(offer.amount, dispute.order.currency),
                "made_at": iso(now),
            }
        },
        now=now,
    )


def dispute_escalated(*, dispute: Dispute, automatic: bool, now: datetime) -> None:
    _publish_dispute(
        "dispute.escalated",
        dispute,
        {"escalated_at": iso(now), "automatic": automatic, "decision_due_at": iso(dispute.decision_due_at)},
        now=now,
    )


def dispute_resolved(*, dispute: Dispute, now: datetime) -> None:
    _publish_dispute(
        "dispute.resolved",
        dispute,
        {
            "closed_at": iso(dispute.closed_at),
            "closed_by": dispute.closed_by,
            "resolution": dispute.resolution,
            "refund": _money(dispute.refund_amount, dispute.order.currency),
            "responsibility": dispute.responsibility,
        },
        now=now,
    )


def _store(store_id: int) -> dict[str, Any]:
    return store_reference(store_id, Store.objects.only("slug").get(pk=store_id).slug)


def penalty_added(*, entry: PenaltyEntry, now: datetime) -> None:
    publish(
        event_type="penalty.added",
        store_id=entry.store_id,
        subject=f"store:{entry.store_id}",
        payload={
            "penalty": {
                "id": entry.pk,
                "points": entry.points,
                "reason": entry.reason,
                "dispute_id": entry.dispute_id,
                "created_at": iso(entry.created_at),
                "expires_at": iso(entry.expires_at),
            },
            "store": _store(entry.store_id),
        },
        now=now,
    )


def store_restricted(*, restriction: StoreRestriction, now: datetime) -> None:
    publish(
        event_type="store.restricted",
        store_id=restriction.store_id,
        subject=f"store:{restriction.store_id}",
        payload={
            "store": _store(restriction.store_id),
            "restriction_id": restriction.pk,
            "points": restriction.points_at_start,
            "restricted_at": iso(restriction.started_at),
        },
        now=now,
    )


def store_restriction_lifted(*, restriction: StoreRestriction, points: int, now: datetime) -> None:
    publish(
        event_type="store.restriction_lifted",
        store_id=restriction.store_id,
        subject=f"store:{restriction.store_id}",
        payload={
            "store": _store(restriction.store_id),
            "restriction_id": restriction.pk,
            "points": points,
            "lifted_at": iso(now),
        },
        now=now,
    )


def complaint_answered(*, complaint: Complaint, now: datetime) -> None:
    store_id = complaint.store_id if complaint.penalty_id is not None else None
    publish(
        event_type="complaint.answered",
        store_id=store_id,
        subject=f"complaint:{complaint.pk}",
        payload={
            "complaint": {
                "id": complaint.pk,
                "subject": complaint.subject,
                "status": complaint.status,
                "penalty_id": complaint.penalty_id,
                "answered_at": iso(complaint.answered_at),
            },
            "store": _store(store_id) if store_id is not None else None,
        },
        now=now,
    )
