"""The penalty ledger and store restrictions: points added by decisions, their withdrawal.

Appeals are complaints (`disputes.services.complaints.penalty_appeal`); an upheld appeal
appends the reversing entry through `penalty_reverse`.
"""

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from disputes import events
from disputes.models import Dispute, PenaltyEntry, StoreRestriction
from disputes.selectors import (
    dispute_store_member_ids,
    points_restrict,
    restriction_lapses_at,
    restriction_threshold,
    store_points_live,
)
from portal.models import Store, User
from portal.notify import notify
from portal.rules import rules_at, rules_for
from portal.selectors import store_member_ids

# --- Penalty points ---------------------------------------------------------------------------------


def penalty_reason_for(dispute: Dispute) -> str | None:
    """Which penalty a decision against the seller brings, by the dispute's reason."""
    # Shipped without a valid tracking number counts as refusing to ship (a staff decision).
    if dispute.reason == Dispute.Reason.REFUSED_TO_SHIP or dispute.shipped_without_tracking:
        # Not cooperating: no offer and no acceptance within the seller's response time. An
        # answer first given after the case went to the platform does not undo the silence.
        rules = rules_for(version=dispute.rules_version, started_at=dispute.opened_at, now=dispute.opened_at)
        answer_due = dispute.opened_at + timedelta(days=rules.seller_response_days)
        if dispute.seller_responded_at is None or dispute.seller_responded_at >= answer_due:
            return PenaltyEntry.Reason.REFUSED_NOT_COOPERATING
        return PenaltyEntry.Reason.REFUSED_TO_SHIP
    if dispute.reason == Dispute.Reason.NOT_AS_DESCRIBED:
        return PenaltyEntry.Reason.NOT_AS_DESCRIBED
    return None


def penalty_add(*, dispute: Dispute, now: datetime) -> PenaltyEntry | None:
    """Add the points a decision against the seller brings, and start a restriction if due.

    Locking contract: runs inside the caller's transaction with the dispute locked; it locks
    the store's running restriction row (see `_restriction_start`), so callers adding points
    to several stores in one transaction do so in store order.
    """
    reason = penalty_reason_for(dispute)
    if reason is None:
        return None
    rules = rules_at(now)
    points = rules.penalty_points(reason)
    entry = PenaltyEntry.objects.create(
        store_id=dispute.store_id,
        dispute=dispute,
        reason=reason,
        points=points,
        created_at=now,
        expires_at=now + timedelta(days=rules.penalty_expiry_days),
    )
    for user_id in dispute_store_member_ids(dispute=dispute):
        notify(
            user_id=user_id,
            kind="penalty_added",
            params={
                "points": points,
                "id": dispute.pk,
                "days": rules.penalty_appeal_days,
                "store_slug": dispute.store.slug,
            },
            now=now,
        )
    events.penalty_added(entry=entry, now=now)
    _restriction_start(dispute, now=now)
    return entry


def penalty_add_for_abuse(*, store_id: int, points: int, case_id: int, staff: User, now: datetime) -> PenaltyEntry:
    """Add points a moderator decided on a trust case (no dispute), and start a restriction if due.

    The same ledger, expiry, notification and restriction as a dispute's penalty; the store's
    members are told with the case's number. Runs in its own transaction or the caller's.
    """
    rules = rules_at(now)
    if points < 1 or points > rules.penalty_restriction_points:
        raise ValidationError(
            _("Add between 1 and %(limit)d points.") % {"limit": rules.penalty_restriction_points},
            code="points",
        )
    with transaction.atomic():
        store = Store.objects.get(pk=store_id)
        entry = PenaltyEntry.objects.create(
            store=store,
            dispute=None,
            reason=PenaltyEntry.Reason.ABUSE,
            points=points,
            created_at=now,
            expires_at=now + timedelta(days=rules.penalty_expiry_days),
        )
        for user_id in store_member_ids(store_ids=[store.pk]):
            notify(
                user_id=user_id,
                kind="penalty_added_abuse",
                params={
                    "points": points,
                    "case": case_id,
                    "days": rules.penalty_appeal_days,
                    "store_slug": store.slug,
                },
                now=now,
            )
        events.penalty_added(entry=entry, now=now)
        restriction_start_for_store(store=store, now=now)
    return entry


def _restriction_start(dispute: Dispute, *, now: datetime) -> None:
    restriction_start_for_store(store=dispute.store, now=now)


def restriction_start_for_store(*, store: Store, now: datetime) -> None:
    """The store reached the restricting points: record the period and tell its members once.

    A running period's row is locked first: the lift sweep locks it too (SKIP LOCKED) before
    it reads the points, so a lift and a new penalty never miss each other. Callers that add
    penalties to several stores in one transaction (the sweep) do so in store order.
    """
    running = StoreRestriction.objects.select_for_update().filter(store_id=store.pk, lifted_at=None)
    if list(running.values_list("pk", flat=True)[:1]):
        # The new points push the running period's lapse later.
        running.update(lapses_at=restriction_lapses_at(store_id=store.pk, now=now))
        return
    points = store_points_live(store_id=store.pk, now=now)
    threshold = restriction_threshold()
    if not points_restrict(points):
        return
    try:
        with transaction.atomic():
            restriction = StoreRestriction.objects.create(
                store_id=store.pk,
                started_at=now,
                points_at_start=points,
                lapses_at=restriction_lapses_at(store_id=store.pk, now=now),
            )
    except IntegrityError:
        return  # another decision for this store opened the period at the same moment
    events.store_restricted(restriction=restriction, now=now)
    for user_id in store_member_ids(store_ids=[store.pk]):
        notify(
            user_id=user_id,
            kind="store_restricted",
            params={"points": points, "threshold": threshold, "store_slug": store.slug},
            now=now,
        )


def penalty_reverse(*, entry_id: int, staff: User, now: datetime) -> PenaltyEntry:
    """Withdraw an entry by appending its negative; the original row is never touched."""
    with transaction.atomic():
        entry = PenaltyEntry.objects.select_for_update().get(pk=entry_id)
        if entry.reverses_id is not None or PenaltyEntry.objects.filter(reverses=entry).exists():
            raise ValidationError(_("These points were already withdrawn."))
        reversal = PenaltyEntry.objects.create(
            store_id=entry.store_id,
            dispute_id=entry.dispute_id,
            reason=PenaltyEntry.Reason.APPEAL_UPHELD,
            points=-entry.points,
            created_at=now,
            expires_at=entry.expires_at,
            reverses=entry,
        )
        # The withdrawal brings the running period's lapse nearer (to now, if it fell under the
        # limit): the penalty-expiry sweep lifts it when due and tells the store once.
        StoreRestriction.objects.select_for_update().filter(store_id=entry.store_id, lifted_at=None).update(
            lapses_at=restriction_lapses_at(store_id=entry.store_id, now=now)
        )
        return reversal
