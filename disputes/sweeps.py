"""The dispute and complaint clocks, enforced by the worker (STYLE rule 6).

Each clock is a due-date column with a partial index on the rows still waiting for it. A
sweep reads a batch of due ids, then handles each case in its own transaction: it locks
the row with `SKIP LOCKED` and re-checks status and due date under the lock (the
compare-and-set), so a second worker either skips the row or finds it already moved on.
The event row's unique (dispute, clock) constraint is the last guard: a clock fires once.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q

from disputes import events, services
from disputes.models import Complaint, Dispute, DisputeEvent, StoreRestriction
from disputes.selectors import points_restrict, restriction_lapses_at, restriction_threshold, store_points_live
from portal.notify import notify
from portal.selectors import store_member_ids, users_with_permission

S = Dispute.Status
logger = logging.getLogger(__name__)


def _holders(perm: str) -> list[int]:
    return list(users_with_permission(perm=perm).values_list("pk", flat=True))


class ClockFirer(Protocol):
    """A clock's effect on one due dispute (see `disputes.services.clocks` for the locking contract)."""

    def __call__(self, *, dispute: Dispute, now: datetime) -> None: ...


@dataclass(frozen=True)
class Clock:
    name: str
    field: str
    statuses: tuple[str, ...]
    fire: ClockFirer


def _decision_overdue(*, dispute: Dispute, now: datetime) -> None:
    services.dispute_decision_overdue(dispute=dispute, now=now, resolver_ids=_holders("disputes.resolve_dispute"))


CLOCKS: tuple[Clock, ...] = (
    Clock("seller_response", "seller_response_due_at", (S.AWAITING_SELLER,), services.dispute_seller_timeout),
    Clock("auto_escalation", "auto_escalate_at", (S.AWAITING_SELLER, S.NEGOTIATING), services.dispute_auto_escalate),
    Clock("return_ship", "return_ship_due_at", (S.AWAITING_RETURN,), services.dispute_return_not_shipped),
    Clock("return_confirm", "return_confirm_due_at", (S.RETURN_SHIPPED,), services.dispute_return_not_confirmed),
    Clock(
        "replacement_receipt",
        "replacement_due_at",
        (S.AWAITING_REPLACEMENT,),
        services.dispute_replacement_not_confirmed,
    ),
    Clock("decision_overdue", "decision_due_at", (S.ESCALATED,), _decision_overdue),
)


def _due(clock: Clock, now: datetime) -> Q:
    due = Q(status__in=clock.statuses, **{f"{clock.field}__lte": now})
    if clock.name == "decision_overdue":
        due &= Q(decision_reminded_at__isnull=True)
    return due


# Cases fired per transaction: one commit (one WAL flush) per chunk instead of per case,
# while a chunk's row locks are held for a fraction of a second only.
CHUNK = 50


def disputes_clock_fire(*, clock: Clock, dispute_ids: Sequence[int], now: datetime) -> int:
    """Fire `clock` on those of `dispute_ids` still due; returns how many fired.

    The rows are locked with SKIP LOCKED and re-checked under the lock (the compare-and-set):
    rows another worker holds, or that moved on since they were read, are left alone. Each
    case runs in its own savepoint, so one failing case (the unique clock guard, say) costs
    only its own effects, never the chunk's.
    """
    fired = 0
    with transaction.atomic():
        disputes = list(
            Dispute.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("order")
            .filter(_due(clock, now), pk__in=list(dispute_ids))
            # Store order: a case that adds penalty points locks its store's restriction
            # period, and two workers must take those locks in the same order.
            .order_by("store_id", "pk")
        )
        for dispute in disputes:
            try:
                with transaction.atomic():
                    clock.fire(dispute=dispute, now=now)
            except IntegrityError:
                logger.exception("Clock %s already fired on dispute %s", clock.name, dispute.pk)
                continue
            fired += 1
    return fired


def dispute_clock_fire(*, clock: Clock, dispute_id: int, now: datetime) -> bool:
    """Fire one clock on one dispute if it is still due; False when another path got there first."""
    return disputes_clock_fire(clock=clock, dispute_ids=[dispute_id], now=now) == 1


def dispute_catch_up(*, dispute_id: int, now: datetime) -> list[str]:
    """Fire the clocks already due on one dispute, before a party acts on it; returns their notes.

    The worker runs every minute; a seller answering in the seconds after the deadline, or a
    buyer shipping a return too late, must meet the state the deadline made, not the old one.
    The overdue-decision reminder is for staff only and is left to the worker.
    """
    notes: list[str] = []
    for _round in range(len(CLOCKS)):
        dispute = Dispute.objects.filter(pk=dispute_id).first()
        if dispute is None:
            return notes
        due = [
            clock
            for clock in CLOCKS
            if clock.name != "decision_overdue"
            and dispute.status in clock.statuses
            and getattr(dispute, clock.field) is not None
            and getattr(dispute, clock.field) <= now
        ]
        if not due or not dispute_clock_fire(clock=due[0], dispute_id=dispute_id, now=now):
            return notes
        event = DisputeEvent.objects.filter(dispute_id=dispute_id, clock=due[0].name).first()
        if event is not None and event.note_text:
            notes.append(event.note_text)
    return notes


def disputes_sweep_clock(*, clock: Clock, now: datetime, batch_size: int | None = None) -> int:
    batch_size = batch_size or settings.OPINIA_SWEEP_BATCH_SIZE
    fired = 0
    while True:
        due = list(
            Dispute.objects.filter(_due(clock, now))
            .order_by(clock.field, "pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        progressed = 0
        for start in range(0, len(due), CHUNK):
            progressed += disputes_clock_fire(clock=clock, dispute_ids=due[start : start + CHUNK], now=now)
        fired += progressed
        # A short batch was the last one; a batch where nothing fired belongs to another worker.
        if len(due) < batch_size or progressed == 0:
            return fired


def complaints_remind_overdue(*, now: datetime, batch_size: int | None = None) -> int:
    """Remind support agents of complaints unanswered after 48 hours; each claimed once by UPDATE."""
    batch_size = batch_size or settings.OPINIA_SWEEP_BATCH_SIZE
    reminded = 0
    due_filter = Q(
        status__in=[Complaint.Status.NEW, Complaint.Status.IN_PROGRESS],
        first_responded_at__isnull=True,
        reminded_at__isnull=True,
        first_response_due_at__lte=now,
    )
    # The support desk is reminded (moderators may answer complaints too, but the desk owns them).
    agents = _holders("messaging.answer_support")
    while True:
        due = list(
            Complaint.objects.filter(due_filter)
            .order_by("first_response_due_at", "pk")
            .values_list("pk", "created_at", "first_response_due_at")[:batch_size]
        )
        for complaint_id, created_at, due_at in due:
            with transaction.atomic():
                if not Complaint.objects.filter(due_filter, pk=complaint_id).update(reminded_at=now):
                    continue
                for user_id in agents:
                    notify(
                        user_id=user_id,
                        kind="complaint_overdue",
                        params={"id": complaint_id, "hours": int((due_at - created_at).total_seconds() // 3600)},
                        now=now,
                    )
                reminded += 1
        if len(due) < batch_size:
            return reminded


def stores_lift_restrictions(*, now: datetime, batch_size: int | None = None) -> int:
    """Penalty expiry: lift each running restriction whose lapse is due; tell the store once.

    Only due rows are read (`lapses_at`, partial index on running periods). Each is claimed
    with SKIP LOCKED and the points are read after the lock (a decision adding points to that
    store locks the same row first); if they still restrict, the lapse is moved to its new
    moment. The lift is a compare-and-set on `lifted_at IS NULL`: two workers, or one run
    twice, lift and notify once.
    """
    batch_size = batch_size or settings.OPINIA_SWEEP_BATCH_SIZE
    threshold = restriction_threshold()
    lifted = 0
    after = 0
    while True:
        due = list(
            StoreRestriction.objects.filter(lifted_at=None, lapses_at__lte=now, pk__gt=after)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        for restriction_id in due:
            with transaction.atomic():
                restriction = (
                    StoreRestriction.objects.select_for_update(skip_locked=True, of=("self",))
                    .select_related("store")
                    .filter(pk=restriction_id, lifted_at=None, lapses_at__lte=now)
                    .first()
                )
                if restriction is None:
                    continue
                points = store_points_live(store_id=restriction.store_id, now=now)
                if points_restrict(points):
                    restriction.lapses_at = restriction_lapses_at(store_id=restriction.store_id, now=now)
                    restriction.save(update_fields=["lapses_at"])
                    continue
                if not StoreRestriction.objects.filter(pk=restriction.pk, lifted_at=None).update(lifted_at=now):
                    continue
                members = store_member_ids(store_ids=[restriction.store_id])
                for user_id in members.order_by("user_id"):
                    notify(
                        user_id=user_id,
                        kind="store_restriction_lifted",
                        params={"points": points, "threshold": threshold, "store_slug": restriction.store.slug},
                        now=now,
                    )
                events.store_restriction_lifted(restriction=restriction, points=points, now=now)
                lifted += 1
        if len(due) < batch_size:
            return lifted
        after = due[-1]


def sweep_dispute_deadlines(*, now: datetime, batch_size: int | None = None) -> int:
    """Run every dispute, complaint and penalty clock once; returns how many effects this run had."""
    total = 0
    for clock in CLOCKS:
        total += disputes_sweep_clock(clock=clock, now=now, batch_size=batch_size)
    total += complaints_remind_overdue(now=now, batch_size=batch_size)
    total += stores_lift_restrictions(now=now, batch_size=batch_size)
    return total
