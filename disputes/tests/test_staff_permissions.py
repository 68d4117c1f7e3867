"""Staff rights are permissions: a renamed group keeps them, a direct grant is enough, no grant is refused."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from disputes.models import Dispute
from disputes.services import complaints
from disputes.tests.helpers import dispute_in_state
from messaging.models import Notification
from portal.tasks import run_sweep
from portal.tests.factories import UserFactory

S = Dispute.Status
RESOLVE = {"resolution": "rejected", "responsibility": "buyer", "note": "Photos show the parcel intact."}


def _permission(app_label, codename):
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


@pytest.fixture
def escalated(buyer, seller, store, staff, now):
    return dispute_in_state(status=S.ESCALATED, buyer=buyer, seller=seller, store=store, staff=staff, now=now)


def test_a_renamed_resolvers_group_keeps_the_right_to_decide(client, escalated):
    group = Group.objects.get(name="Dispute resolvers")
    group.name = "Arbiters"
    group.save()
    arbiter = UserFactory(email="arbiter@example.com", is_staff=True)
    arbiter.groups.add(group)
    client.force_login(arbiter)
    url = reverse("admin:disputes_dispute_resolve", args=[escalated.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, RESOLVE).status_code == 302
    escalated.refresh_from_db()
    assert escalated.status == S.RESOLVED


def test_a_direct_grant_without_a_group_may_decide(client, escalated):
    user = UserFactory(email="direct@example.com", is_staff=True)
    user.user_permissions.add(_permission("disputes", "resolve_dispute"))
    client.force_login(user)
    assert client.post(reverse("admin:disputes_dispute_resolve", args=[escalated.pk]), RESOLVE).status_code == 302
    escalated.refresh_from_db()
    assert escalated.status == S.RESOLVED


def test_staff_in_no_group_may_not_decide_or_answer(client, escalated, buyer, now):
    user = UserFactory(email="nogroup@example.com", is_staff=True)
    complaint = complaints.complaint_submit(author=buyer, subject="site", text="Slow", now=now)
    client.force_login(user)
    assert client.post(reverse("admin:disputes_dispute_resolve", args=[escalated.pk]), RESOLVE).status_code == 403
    assert client.get(reverse("admin:disputes_complaint_answer", args=[complaint.pk])).status_code == 403
    escalated.refresh_from_db()
    assert escalated.status == S.ESCALATED


@pytest.mark.parametrize("old_name", ["Support agents", "Moderators"])
def test_renamed_complaint_groups_keep_the_right_to_answer(client, buyer, now, old_name):
    group = Group.objects.get(name=old_name)
    group.name = f"{old_name} (EU)"
    group.save()
    user = UserFactory(email="desk@example.com", is_staff=True)
    user.groups.add(group)
    complaint = complaints.complaint_submit(author=buyer, subject="site", text="Slow", now=now)
    client.force_login(user)
    assert client.post(reverse("admin:disputes_complaint_take", args=[complaint.pk])).status_code == 302
    complaint.refresh_from_db()
    assert complaint.status == complaint.Status.IN_PROGRESS


def test_reminders_go_to_holders_of_the_permission_whatever_the_group_is_called(buyer, seller, store, staff, now):
    group = Group.objects.get(name="Dispute resolvers")
    group.name = "Arbiters"
    group.save()
    arbiter = UserFactory(email="arbiter@example.com", is_staff=True)
    arbiter.groups.add(group)
    direct = UserFactory(email="direct@example.com", is_staff=True)
    direct.user_permissions.add(_permission("disputes", "resolve_dispute"))
    moderator = UserFactory(email="mod@example.com", is_staff=True)
    moderator.groups.set(Group.objects.filter(name="Moderators"))
    gone = UserFactory(email="gone@example.com", is_staff=True, is_active=False)
    gone.groups.add(group)
    dispute = dispute_in_state(status=S.ESCALATED, buyer=buyer, seller=seller, store=store, staff=staff, now=now)
    with time_machine.travel(dispute.decision_due_at, tick=False):
        assert run_sweep("disputes.deadlines") == 1
    reminded = set(Notification.objects.filter(kind="dispute_decision_overdue").values_list("recipient", flat=True))
    assert reminded == {staff.pk, arbiter.pk, direct.pk}


def test_complaint_reminders_go_to_the_support_desk_by_permission(buyer, now):
    group = Group.objects.get(name="Support agents")
    group.name = "Help desk"
    group.save()
    agent = UserFactory(email="desk@example.com", is_staff=True)
    agent.groups.add(group)
    moderator = UserFactory(email="mod@example.com", is_staff=True)
    moderator.groups.set(Group.objects.filter(name="Moderators"))
    complaint = complaints.complaint_submit(author=buyer, subject="site", text="Broken", now=now)
    with time_machine.travel(complaint.first_response_due_at + timedelta(seconds=1), tick=False):
        run_sweep("disputes.deadlines")
    reminded = set(Notification.objects.filter(kind="complaint_overdue").values_list("recipient", flat=True))
    assert reminded == {agent.pk}
