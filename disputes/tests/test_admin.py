from decimal import Decimal
from html import escape

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from disputes.models import Complaint, Dispute, PenaltyEntry
from disputes.services import complaints
from disputes.tests.helpers import DAY, dispute_in_state, open_dispute, validated_photo
from messaging.models import Notification
from portal.tests.factories import UserFactory

S = Dispute.Status


@pytest.fixture
def escalated(buyer, seller, store, staff, now):
    return dispute_in_state(status=S.ESCALATED, buyer=buyer, seller=seller, store=store, staff=staff, now=now - 4 * DAY)


@pytest.fixture
def moderator(db):
    user = UserFactory(email="mod@example.com", is_staff=True)
    user.groups.set(Group.objects.filter(name="Moderators"))
    return user


@pytest.mark.parametrize(
    "query",
    ["", "?status=escalated", "?reason=not_as_described", "?escalated=yes", "?overdue=yes", "?overdue=no", "?q=buyer"],
)
def test_queue_with_each_filter(client, staff, escalated, query):
    client.force_login(staff)
    response = client.get(reverse("admin:disputes_dispute_changelist") + query)
    assert response.status_code == 200
    if query in ("", "?status=escalated", "?escalated=yes", "?q=buyer"):
        assert escalated.order.number in response.content.decode()


def test_store_filter_lists_busy_stores(client, staff, escalated, store):
    client.force_login(staff)
    response = client.get(reverse("admin:disputes_dispute_changelist") + f"?store={store.pk}")
    assert response.status_code == 200
    assert escape(store.name) in response.content.decode()


def test_queue_queries_do_not_grow_with_rows(client, staff, buyer, store, now):
    client.force_login(staff)
    url = reverse("admin:disputes_dispute_changelist") + "?status=awaiting_seller"
    open_dispute(buyer=buyer, store=store, now=now)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _ in range(5):
        open_dispute(buyer=UserFactory(), store=store, now=now)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


def test_overdue_decision_is_highlighted(client, staff, escalated, now):
    Dispute.objects.filter(pk=escalated.pk).update(decision_due_at=now - DAY)
    client.force_login(staff)
    body = client.get(reverse("admin:disputes_dispute_changelist") + "?overdue=yes").content.decode()
    assert "opinia-overdue" in body
    page = client.get(reverse("admin:disputes_dispute_change", args=[escalated.pk])).content.decode()
    assert "this case is overdue" in page


def test_change_page_shows_the_whole_case(client, staff, escalated, seller):
    from disputes import services

    services.dispute_post_message(
        dispute_id=escalated.pk, actor=seller, text="Seller's side of it", now=escalated.opened_at
    )
    client.force_login(staff)
    body = client.get(reverse("admin:disputes_dispute_change", args=[escalated.pk])).content.decode()
    for expected in (escalated.order.number, "Seller&#x27;s side of it", "Offers", "Timeline", "Escalated", "Resolve"):
        assert expected in body


def test_resolve_view_decides_logs_and_notifies(client, staff, escalated, buyer):
    client.force_login(staff)
    url = reverse("admin:disputes_dispute_resolve", args=[escalated.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"resolution": "partial_refund", "amount": "5.00", "responsibility": "seller", "note": "Colour differs."}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:disputes_dispute_change", args=[escalated.pk])
    escalated.refresh_from_db()
    assert (escalated.status, escalated.refund_amount, escalated.decided_by) == (S.RESOLVED, Decimal("5.00"), staff)
    assert LogEntry.objects.filter(object_id=str(escalated.pk), user=staff).exists()
    assert PenaltyEntry.objects.filter(dispute=escalated).count() == 1
    notification = Notification.objects.get(recipient=buyer, kind="dispute_decided")
    assert "Colour differs." in notification.body()
    # Final: a second decision is refused.
    again = client.post(url, {"resolution": "rejected", "responsibility": "buyer", "note": "x"})
    assert again.status_code == 302
    escalated.refresh_from_db()
    assert escalated.resolution == "partial_refund"


def test_resolve_view_keeps_input_on_error(client, staff, escalated):
    client.force_login(staff)
    url = reverse("admin:disputes_dispute_resolve", args=[escalated.pk])
    response = client.post(
        url, {"resolution": "partial_refund", "amount": "99999", "responsibility": "seller", "note": "Typed note"}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "cannot be larger than the order total" in body
    assert "Typed note" in body
    escalated.refresh_from_db()
    assert escalated.status == S.ESCALATED


def test_only_dispute_resolvers_may_resolve(client, moderator, escalated):
    client.force_login(moderator)
    url = reverse("admin:disputes_dispute_resolve", args=[escalated.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"resolution": "rejected", "responsibility": "buyer", "note": "x"}).status_code == 403
    escalated.refresh_from_db()
    assert escalated.status == S.ESCALATED


def test_resolvers_group_has_the_permissions_of_the_data_migration(db):
    group = Group.objects.get(name="Dispute resolvers")
    codenames = set(group.permissions.values_list("codename", flat=True))
    assert {"view_dispute", "change_dispute", "view_penaltyentry"} <= codenames
    assert "delete_dispute" not in codenames


def test_complaint_desk_take_answer_and_uphold_appeal(client, staff, seller, buyer, store, escalated, now):
    from disputes import services

    services.dispute_resolve_by_staff(
        dispute_id=escalated.pk, staff=staff, resolution="full_refund", responsibility="seller", note="", now=now
    )
    entry = PenaltyEntry.objects.get(dispute=escalated)
    appeal = complaints.penalty_appeal(entry_id=entry.pk, actor=seller, text="The buyer chose the colour.", now=now)
    client.force_login(staff)
    listing = client.get(reverse("admin:disputes_complaint_changelist")).content.decode()
    assert f"{appeal.pk}" in listing
    change = client.get(reverse("admin:disputes_complaint_change", args=[appeal.pk])).content.decode()
    assert "Appeal against 2 points" in change
    assert client.post(reverse("admin:disputes_complaint_take", args=[appeal.pk])).status_code == 302
    response = client.post(
        reverse("admin:disputes_complaint_answer", args=[appeal.pk]),
        {"answer": "Upheld: the listing showed both colours.", "uphold_appeal": "on"},
    )
    assert response.status_code == 302
    appeal.refresh_from_db()
    assert appeal.status == Complaint.Status.ANSWERED
    assert list(PenaltyEntry.objects.filter(store=store).order_by("pk").values_list("points", flat=True)) == [2, -2]
    from disputes.selectors import penalty_points_live

    assert penalty_points_live(store=store, now=now) == 0
    assert Notification.objects.filter(recipient=seller, kind="complaint_answered").exists()


def test_complaint_answer_forbidden_to_resolvers_only(client, escalated, buyer, now):
    resolver = UserFactory(email="resolver@example.com", is_staff=True)
    resolver.groups.set(Group.objects.filter(name="Dispute resolvers"))
    complaint = complaints.complaint_submit(author=buyer, subject="site", text="Slow", now=now)
    client.force_login(resolver)
    assert client.get(reverse("admin:disputes_complaint_answer", args=[complaint.pk])).status_code == 403


def test_overdue_complaints_are_highlighted(client, staff, buyer, now):
    complaint = complaints.complaint_submit(
        author=buyer,
        subject="seller",
        category="coercion",
        text="Asked me to change my review",
        photos=[validated_photo()],
        now=now - 3 * DAY,
    )
    client.force_login(staff)
    body = client.get(reverse("admin:disputes_complaint_changelist") + "?overdue=yes").content.decode()
    assert "opinia-overdue" in body
    assert f">{complaint.pk}<" in body


def test_ledger_and_standing_pages(client, staff, escalated, store, now):
    from disputes import services

    services.dispute_resolve_by_staff(
        dispute_id=escalated.pk, staff=staff, resolution="full_refund", responsibility="seller", note="", now=now
    )
    client.force_login(staff)
    assert client.get(reverse("admin:disputes_penaltyentry_changelist")).status_code == 200
    standing = client.get(reverse("admin:disputes_storepenaltystanding_changelist") + "?restricted=points")
    assert standing.status_code == 200
    assert escape(store.name) in standing.content.decode()
