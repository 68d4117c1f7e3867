"""PostgreSQL only: sweeps and staff decisions racing in two threads; each effect happens once."""

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from disputes import services, sweeps
from disputes.models import Dispute, DisputeEvent, PenaltyEntry
from disputes.tests.helpers import DAY, dispute_in_state, open_dispute
from messaging.models import Notification
from portal.tests.concurrency import in_threads

S = Dispute.Status

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
]


def _in_threads(target, count=2):
    return in_threads(target, count)


def test_two_staff_resolving_at_once_exactly_one_succeeds_one_ledger_entry(buyer, seller, store, staff, now):
    from portal.tests.factories import UserFactory

    other_staff = UserFactory(email="staff2@example.com", is_staff=True)
    dispute = dispute_in_state(status=S.ESCALATED, buyer=buyer, seller=seller, store=store, staff=staff, now=now)
    deciders = iter([staff, other_staff])
    lock = threading.Lock()

    def decide():
        with lock:
            who = next(deciders)
        return services.dispute_resolve_by_staff(
            dispute_id=dispute.pk,
            staff=who,
            resolution="full_refund",
            responsibility="seller",
            note="Decided.",
            now=now + 4 * DAY,
        )

    results, errors = _in_threads(decide)
    assert len(results) == 1
    assert len(errors) == 1
    assert isinstance(errors[0], ValidationError)
    assert "Resolved" in errors[0].messages[0]
    assert PenaltyEntry.objects.filter(dispute=dispute).count() == 1
    assert DisputeEvent.objects.filter(dispute=dispute, new_status=S.RESOLVED).count() == 1
    assert Notification.objects.filter(recipient=buyer, kind="dispute_decided").count() == 1


def _every_clock_due(buyer, seller, store, staff, now):
    """One dispute waiting on each clock, all due at `now + 30 days`."""
    from portal.tests.factories import UserFactory

    made = []
    for status in (S.AWAITING_SELLER, S.NEGOTIATING, S.AWAITING_RETURN, S.RETURN_SHIPPED, S.ESCALATED):
        for _ in range(3):
            made.append(dispute_in_state(status=status, buyer=buyer, seller=seller, store=store, staff=staff, now=now))
    extra_buyer = UserFactory()
    made.append(open_dispute(buyer=extra_buyer, store=store, now=now, outcome="partial_refund", amount=Decimal("1.00")))
    return made


def _effects():
    return (
        sorted(DisputeEvent.objects.exclude(clock="").values_list("dispute_id", "clock")),
        PenaltyEntry.objects.count(),
        Notification.objects.count(),
    )


def test_sweep_twice_in_a_row_fires_each_clock_once(buyer, seller, store, staff, now):
    made = _every_clock_due(buyer, seller, store, staff, now)
    at = now + 30 * DAY
    first = sweeps.sweep_dispute_deadlines(now=at, batch_size=4)
    effects = _effects()
    assert sweeps.sweep_dispute_deadlines(now=at, batch_size=4) == 0
    assert _effects() == effects
    # Each case fires exactly one clock: the negotiating ones escalate now, so their decision is not yet due.
    assert first == len(made)
    assert len(effects[0]) == len(made)


def test_two_workers_sweeping_at_once_fire_each_clock_once(buyer, seller, store, staff, now):
    made = _every_clock_due(buyer, seller, store, staff, now)
    at = now + 30 * DAY
    results, errors = _in_threads(lambda: sweeps.sweep_dispute_deadlines(now=at, batch_size=2))
    assert errors == []
    assert sum(results) == len(made)
    fired = _effects()[0]
    assert len(fired) == len(set(fired)) == len(made)
    statuses = Dispute.objects.filter(pk__in=[d.pk for d in made]).values_list("status", flat=True)
    assert set(statuses) <= {S.RESOLVED, S.ESCALATED, S.AWAITING_RETURN}
    # Two more racing runs change nothing.
    before = _effects()
    results, errors = _in_threads(lambda: sweeps.sweep_dispute_deadlines(now=at, batch_size=2))
    assert (errors, sum(results)) == ([], 0)
    assert _effects() == before


def test_two_workers_remind_each_complaint_once(buyer, staff, now):
    from disputes.services.complaints import complaint_submit

    for i in range(5):
        complaint_submit(author=buyer, subject="site", text=f"Problem {i}", now=now)
    at = now + 3 * DAY
    results, errors = _in_threads(lambda: sweeps.complaints_remind_overdue(now=at, batch_size=2))
    assert errors == []
    assert sum(results) == 5
    assert Notification.objects.filter(kind="complaint_overdue", recipient=staff).count() == 5
