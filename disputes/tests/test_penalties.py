from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from disputes import services
from disputes.models import Complaint, Dispute, PenaltyEntry
from disputes.selectors import penalty_points_live, store_is_restricted
from disputes.services import complaints
from disputes.tests.helpers import DAY, dispute_in_state

S = Dispute.Status
SECOND = timedelta(seconds=1)


@pytest.fixture
def penalised(buyer, seller, store, staff, now):
    dispute = dispute_in_state(
        status=S.ESCALATED, buyer=buyer, seller=seller, store=store, staff=staff, now=now - 4 * DAY
    )
    services.dispute_resolve_by_staff(
        dispute_id=dispute.pk, staff=staff, resolution="full_refund", responsibility="seller", note="", now=now
    )
    return PenaltyEntry.objects.get(dispute=dispute)


def _add_points(store, points, at):
    # Ledger rows as decisions would add them (the services are tested elsewhere).
    return PenaltyEntry.objects.create(
        store=store, reason="refused_not_cooperating", points=points, created_at=at, expires_at=at + timedelta(days=365)
    )


def test_points_expire_after_365_days(store, now):
    entry = _add_points(store, 12, now)
    assert penalty_points_live(store=store, now=entry.expires_at - SECOND) == 12
    assert penalty_points_live(store=store, now=entry.expires_at) == 0


def test_twenty_four_live_points_restrict_the_store_with_a_banner(client, store, seller, now):
    _add_points(store, 12, now - DAY)
    assert not store_is_restricted(store=store, now=now)
    page = client.get(reverse("portal:store_page", args=[store.slug])).content.decode()
    assert "is restricted by the platform" not in page
    _add_points(store, 12, now - DAY)
    assert store_is_restricted(store=store, now=now)
    page = client.get(reverse("portal:store_page", args=[store.slug])).content.decode()
    assert "is restricted by the platform" in page
    client.force_login(seller)
    dashboard = client.get(reverse("portal:store_dashboard", args=[store.slug])).content.decode()
    assert "This store is restricted: 24 live penalty points" in dashboard


def test_seller_sees_every_entry_and_appeals_once(client, seller, agent, store, penalised):
    client.force_login(agent)
    page = client.get(reverse("disputes:penalties", args=[store.slug])).content.decode()
    assert "Item not as described" in page
    assert reverse("disputes:appeal", args=[store.slug, penalised.pk]) in page
    url = reverse("disputes:appeal", args=[store.slug, penalised.pk])
    empty = client.post(url, {"text": ""})
    assert empty.status_code == 400
    response = client.post(url, {"text": "The photo shows the colour we listed."})
    appeal = Complaint.objects.get(penalty=penalised)
    assert response.status_code == 302
    assert (appeal.subject, appeal.author, appeal.store) == ("penalty_appeal", agent, store)
    again = client.post(url, {"text": "Once more"})
    assert again.status_code == 400
    assert Complaint.objects.filter(penalty=penalised).count() == 1
    client.force_login(seller)
    assert "Appealed (New)" in client.get(reverse("disputes:penalties", args=[store.slug])).content.decode()


def test_appeal_window_is_seven_days(seller, penalised):
    deadline = penalised.created_at + timedelta(days=7)
    with time_machine.travel(deadline, tick=False), pytest.raises(ValidationError, match="within 7 days"):
        complaints.penalty_appeal(entry_id=penalised.pk, actor=seller, text="late", now=timezone.now())
    with time_machine.travel(deadline - SECOND, tick=False):
        appeal = complaints.penalty_appeal(entry_id=penalised.pk, actor=seller, text="in time", now=timezone.now())
    assert appeal.penalty_id == penalised.pk


def test_strangers_and_buyers_cannot_appeal(buyer, other_seller, penalised, now):
    for user in (buyer, other_seller):
        with pytest.raises(ValidationError, match="No such penalty"):
            complaints.penalty_appeal(entry_id=penalised.pk, actor=user, text="x", now=now)


def test_the_ledger_is_append_only_in_the_admin(client, staff, penalised):
    client.force_login(staff)
    change = client.get(reverse("admin:disputes_penaltyentry_change", args=[penalised.pk]))
    assert change.status_code == 200
    assert "Save" not in change.content.decode()
    assert client.get(reverse("admin:disputes_penaltyentry_delete", args=[penalised.pk])).status_code == 403


def test_withdrawal_cannot_be_repeated(staff, penalised, now):
    services.penalty_reverse(entry_id=penalised.pk, staff=staff, now=now)
    with pytest.raises(ValidationError, match="already withdrawn"):
        services.penalty_reverse(entry_id=penalised.pk, staff=staff, now=now)
