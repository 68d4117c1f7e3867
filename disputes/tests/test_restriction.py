"""Restriction at 24 live points, and its lift when points expire (the penalty-expiry sweep)."""

import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from disputes import services, sweeps
from disputes.models import Dispute, PenaltyEntry, StoreRestriction
from disputes.selectors import penalty_points_live
from disputes.tests.helpers import DAY
from messaging.models import Notification
from portal.models import Order
from portal.rules import rules_now
from portal.tests.factories import ProductFactory, StoreFactory, make_order

SECOND = timedelta(seconds=1)
YEAR = timedelta(days=365)


def _ignored_refusal(*, buyer, store, opened):
    """An unshipped order; the seller never answers the dispute: 12 points when the clock fires."""
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


@pytest.fixture
def restricted(buyer, other_buyer, store, agent, now):
    """Two ignored refusals a day apart: 24 live points."""
    first = _ignored_refusal(buyer=buyer, store=store, opened=now - 10 * DAY)
    second = _ignored_refusal(buyer=other_buyer, store=store, opened=now - 9 * DAY)
    return first, second


def test_two_ignored_refusals_restrict_the_store_and_tell_its_members_once(
    client, restricted, store, seller, agent, staff, now
):
    first, _second = restricted
    assert penalty_points_live(store=store, now=now) == 24
    restriction = StoreRestriction.objects.get(store=store)
    assert restriction.lifted_at is None
    assert restriction.started_at == first.opened_at + 6 * DAY  # the second entry's moment
    assert restriction.points_at_start == 24
    for member in (seller, agent):
        assert Notification.objects.filter(recipient=member, kind="store_restricted").count() == 1
    # The banner on the store's public pages, its dashboard, and in the admin for staff.
    product = ProductFactory(store=store, slug="restricted-item")
    store_page = client.get(reverse("portal:store_page", args=[store.slug])).content.decode()
    product_page = client.get(reverse("portal:product_page", args=[store.slug, product.slug])).content.decode()
    for page in (store_page, product_page):
        assert "is restricted by the platform" in page
    client.force_login(staff)
    standings = client.get(reverse("admin:disputes_storepenaltystanding_changelist") + "?restricted=yes")
    assert escape(store.name) in standings.content.decode()
    periods = client.get(reverse("admin:disputes_storerestriction_changelist") + "?running=yes")
    assert periods.status_code == 200
    assert escape(store.name) in periods.content.decode()


def test_expiring_points_lift_the_restriction_once(client, restricted, store, seller, agent):
    first, _second = restricted
    expiry = PenaltyEntry.objects.get(dispute=first).expires_at
    # One second before the first entry expires: 24 points live, still restricted.
    assert sweeps.stores_lift_restrictions(now=expiry - SECOND) == 0
    assert penalty_points_live(store=store, now=expiry - SECOND) == 24
    # At 365 days the entry has expired: 12 points, the restriction is lifted and told once.
    assert sweeps.stores_lift_restrictions(now=expiry) == 1
    assert sweeps.stores_lift_restrictions(now=expiry) == 0
    assert sweeps.sweep_dispute_deadlines(now=expiry + DAY) == 0
    restriction = StoreRestriction.objects.get(store=store)
    assert restriction.lifted_at == expiry
    for member in (seller, agent):
        lifted = Notification.objects.filter(recipient=member, kind="store_restriction_lifted")
        assert lifted.count() == 1
        assert lifted.get().params == {"points": 12, "threshold": 24, "store_slug": store.slug}
    with time_machine.travel(expiry, tick=False):
        page = client.get(reverse("portal:store_page", args=[store.slug])).content.decode()
    assert "is restricted by the platform" not in page


def test_an_upheld_appeal_lifts_the_restriction_through_the_sweep(restricted, store, staff, now):
    first, _second = restricted
    services.penalty_reverse(entry_id=PenaltyEntry.objects.get(dispute=first).pk, staff=staff, now=now)
    assert sweeps.sweep_dispute_deadlines(now=now) == 1
    assert StoreRestriction.objects.get(store=store).lifted_at == now


def test_points_again_after_a_lift_open_a_new_restriction(restricted, buyer, store, seller, now):
    first, _second = restricted
    expiry = PenaltyEntry.objects.get(dispute=first).expires_at
    sweeps.stores_lift_restrictions(now=expiry)
    # The second entry is live for one more day: twelve more points restrict the store again.
    _ignored_refusal(buyer=buyer, store=store, opened=expiry - 5 * DAY + timedelta(hours=12))
    periods = list(StoreRestriction.objects.filter(store=store).order_by("started_at"))
    assert [p.lifted_at is None for p in periods] == [False, True]
    assert Notification.objects.filter(recipient=seller, kind="store_restricted").count() == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")
def test_two_workers_lift_each_restriction_once(buyer, other_buyer, store, seller, now):
    _ignored_refusal(buyer=buyer, store=store, opened=now - 10 * DAY)
    second = _ignored_refusal(buyer=other_buyer, store=store, opened=now - 9 * DAY)
    at = PenaltyEntry.objects.get(dispute=second).expires_at
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run():
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            results.append(sweeps.stores_lift_restrictions(now=at))
        except Exception as error:
            errors.append(error)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(results) == 1
    assert Notification.objects.filter(recipient=seller, kind="store_restriction_lifted").count() == 1


@pytest.mark.parametrize(("answered_after", "points"), [(5 * DAY - SECOND, 1), (5 * DAY, 12), (None, 12)])
def test_not_cooperating_means_no_answer_within_the_response_time(
    buyer, seller, store, staff, now, answered_after, points
):
    order = make_order(buyer=buyer, store=store, status=Order.Status.PAID, at=now - 10 * DAY)
    dispute = services.dispute_open(
        order_id=order.pk,
        buyer=buyer,
        reason=Dispute.Reason.REFUSED_TO_SHIP,
        requested_outcome=Dispute.Outcome.FULL_REFUND,
        description="Never shipped.",
        now=now,
    )
    services.dispute_escalate(dispute_id=dispute.pk, actor=buyer, now=now + 3 * DAY)
    if answered_after is not None:
        services.dispute_make_offer(
            dispute_id=dispute.pk, actor=seller, kind="partial_refund", amount=order.total / 2, now=now + answered_after
        )
    services.dispute_resolve_by_staff(
        dispute_id=dispute.pk,
        staff=staff,
        resolution="full_refund",
        responsibility="seller",
        note="",
        now=now + 6 * DAY,
    )
    assert PenaltyEntry.objects.get(dispute=dispute).points == points


def test_the_running_period_lapses_when_the_first_entry_expires(restricted, store, seller):
    """The lapse is kept on the row; the sweep lifts at that second, not one before, and once."""
    first, _second = restricted
    expiry = PenaltyEntry.objects.get(dispute=first).expires_at
    assert StoreRestriction.objects.get(store=store).lapses_at == expiry
    with time_machine.travel(expiry - SECOND, tick=False):
        assert sweeps.sweep_dispute_deadlines(now=timezone.now()) == 0
    assert StoreRestriction.objects.get(store=store).lifted_at is None
    with time_machine.travel(expiry, tick=False):
        assert sweeps.sweep_dispute_deadlines(now=timezone.now()) == 1
        assert sweeps.sweep_dispute_deadlines(now=timezone.now()) == 0
    restriction = StoreRestriction.objects.get(store=store)
    assert restriction.lifted_at == expiry
    assert Notification.objects.filter(recipient=seller, kind="store_restriction_lifted").count() == 1


def test_more_points_while_restricted_move_the_lapse_later(restricted, buyer, store, now):
    first, second = restricted
    first_expiry = PenaltyEntry.objects.get(dispute=first).expires_at
    second_expiry = PenaltyEntry.objects.get(dispute=second).expires_at
    # A third refusal (12 more points): when the first entry expires, 24 are still live.
    _ignored_refusal(buyer=buyer, store=store, opened=now - 8 * DAY)
    restriction = StoreRestriction.objects.get(store=store)
    assert restriction.lapses_at == second_expiry
    assert sweeps.stores_lift_restrictions(now=first_expiry) == 0
    assert sweeps.stores_lift_restrictions(now=second_expiry - SECOND) == 0
    assert sweeps.stores_lift_restrictions(now=second_expiry) == 1


def test_an_upheld_appeal_makes_the_lapse_due_at_once(restricted, store, staff, now):
    first, _second = restricted
    services.penalty_reverse(entry_id=PenaltyEntry.objects.get(dispute=first).pk, staff=staff, now=now)
    assert StoreRestriction.objects.get(store=store).lapses_at == now


@pytest.mark.usefixtures("restricted")
def test_a_stale_lapse_is_moved_instead_of_lifting(store):
    """A row due by its column but still over the limit (the column is only a clock) stays, re-timed."""
    restriction = StoreRestriction.objects.get(store=store)
    right = restriction.lapses_at
    StoreRestriction.objects.filter(pk=restriction.pk).update(lapses_at=right - 2 * DAY)
    assert sweeps.stores_lift_restrictions(now=right - DAY) == 0
    restriction.refresh_from_db()
    assert restriction.lifted_at is None
    assert restriction.lapses_at == right


def test_the_lift_sweep_reads_due_periods_only(store, now):
    """Running periods that are not due cost nothing: one query, whatever their number, on the lapse column."""

    def sweep_queries():
        with CaptureQueriesContext(connection) as queries:
            assert sweeps.stores_lift_restrictions(now=now) == 0
        return [query["sql"] for query in queries.captured_queries]

    StoreRestriction.objects.create(store=store, started_at=now, points_at_start=24, lapses_at=now + YEAR)
    rules_now()  # the versions of the rules are read once per process, not per sweep (`portal.rules`)
    few = sweep_queries()
    for n in range(40):
        other = StoreFactory(slug=f"restricted-{n}")
        StoreRestriction.objects.create(store=other, started_at=now, points_at_start=24, lapses_at=now + DAY)
    many = sweep_queries()
    assert len(few) == len(many) == 1
    assert '"lapses_at" <=' in many[0]


def _banner_on_product_page(client, store) -> bool:
    product = ProductFactory(store=store) if not store.products.exists() else store.products.first()
    page = client.get(reverse("portal:product_page", args=[store.slug, product.slug])).content.decode()
    return "is restricted by the platform" in page


def test_the_public_banner_follows_new_and_withdrawn_points_at_once(client, store, staff, now):
    """The banner's live points are cached; writing an entry renews them (never a page late)."""
    with time_machine.travel(now, tick=False):
        assert not _banner_on_product_page(client, store)  # cached: no points
        entry = services.penalty_add_for_abuse(
            store_id=store.pk, points=rules_now().penalty_restriction_points, case_id=1, staff=staff, now=now
        )
        assert _banner_on_product_page(client, store)
        services.penalty_reverse(entry_id=entry.pk, staff=staff, now=now)
        assert not _banner_on_product_page(client, store)


def test_the_public_banner_goes_when_the_points_expire_and_costs_no_query_meanwhile(client, store, staff, now):
    with time_machine.travel(now, tick=False):
        entry = services.penalty_add_for_abuse(
            store_id=store.pk, points=rules_now().penalty_restriction_points, case_id=1, staff=staff, now=now
        )
        assert _banner_on_product_page(client, store)
        with CaptureQueriesContext(connection) as queries:
            assert _banner_on_product_page(client, store)
        assert not [q for q in queries.captured_queries if "disputes_penaltyentry" in q["sql"]]
    with time_machine.travel(entry.expires_at - SECOND, tick=False):
        assert _banner_on_product_page(client, store)
    with time_machine.travel(entry.expires_at, tick=False):
        assert not _banner_on_product_page(client, store)
