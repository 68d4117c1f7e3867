"""Acceptance scenarios from SPEC §4, as a buyer, a seller and platform staff use the pages."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from disputes import services
from disputes.models import Dispute, PenaltyEntry
from disputes.tests.helpers import DAY, jpeg_upload, open_dispute, shipped_order
from messaging.models import Notification
from portal.models import Order
from portal.tests.factories import make_order

S = Dispute.Status
SECOND = timedelta(seconds=1)


def _open_form(**overrides):
    data = {
        "reason": "not_as_described",
        "detail": "colour",
        "requested_outcome": "full_refund",
        "amount": "",
        "description": "Pink, not black.",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    ("after", "allowed"),
    [(3 * DAY - SECOND, False), (3 * DAY, True), (15 * DAY, True), (15 * DAY + SECOND, False)],
)
def test_escalation_window_through_the_case_page(client, buyer, seller, store, now, after, allowed):
    dispute = open_dispute(buyer=buyer, store=store, now=now)
    services.dispute_make_offer(
        dispute_id=dispute.pk, actor=seller, kind="partial_refund", amount=Decimal("2.00"), now=now + SECOND
    )
    url = reverse("disputes:escalate", args=[dispute.pk])
    with time_machine.travel(now + after, tick=False):
        client.force_login(buyer)
        page = client.get(reverse("disputes:detail", args=[dispute.pk])).content.decode()
        assert (url in page) is allowed
        response = client.post(url, {"note": "The seller does not answer."})
    dispute.refresh_from_db()
    if allowed:
        assert response.status_code == 302
        assert dispute.status == S.ESCALATED
    else:
        assert response.status_code == 400
        assert dispute.status == S.NEGOTIATING
        body = response.content.decode()
        assert "can be asked to decide from" in body or "The time to ask the platform ended" in body
        assert "The seller does not answer." in body


def test_unresolved_dispute_escalates_on_day_sixteen(buyer, seller, store, now):
    dispute = open_dispute(buyer=buyer, store=store, now=now)
    services.dispute_make_offer(
        dispute_id=dispute.pk, actor=seller, kind="partial_refund", amount=Decimal("2.00"), now=now + DAY
    )
    with time_machine.travel(now + 16 * DAY - SECOND, tick=False):
        call_command("run_deadlines", verbosity=0)
    dispute.refresh_from_db()
    assert dispute.status == S.NEGOTIATING
    with time_machine.travel(now + 16 * DAY, tick=False):
        call_command("run_deadlines", verbosity=0)
    dispute.refresh_from_db()
    assert (dispute.status, dispute.escalated_at) == (S.ESCALATED, now + 16 * DAY)
    assert dispute.decision_due_at == now + 23 * DAY
    assert Notification.objects.filter(kind="dispute_escalated", recipient=buyer).count() == 1
    assert Notification.objects.filter(kind="dispute_escalated", recipient=seller).count() == 1


def test_second_dispute_attempt_gets_a_message(client, buyer, store, now):
    dispute = open_dispute(buyer=buyer, store=store, now=now - DAY)
    client.force_login(buyer)
    response = client.post(reverse("disputes:open", args=[dispute.order_id]), _open_form(), follow=True)
    print(response.status_code, response.redirect_chain)
    assert "already open" in response.content.decode()
    assert Dispute.objects.count() == 1


def test_a_resolved_dispute_is_final_a_cancelled_one_may_be_opened_again(client, buyer, seller, store, now):
    resolved = open_dispute(buyer=buyer, store=store, now=now - DAY)
    services.dispute_accept_offer(dispute_id=resolved.pk, actor=seller, now=now - DAY)
    client.force_login(buyer)
    page = client.get(reverse("disputes:open", args=[resolved.order_id])).content.decode()
    assert f"Dispute #{resolved.pk} on this order is resolved; its outcome is final." in page
    response = client.post(reverse("disputes:open", args=[resolved.order_id]), _open_form())
    assert response.status_code == 400
    assert Dispute.objects.filter(order=resolved.order).count() == 1

    cancelled = open_dispute(buyer=buyer, store=store, now=now - DAY)
    services.dispute_cancel(dispute_id=cancelled.pk, buyer=buyer, now=now - DAY)
    response = client.post(reverse("disputes:open", args=[cancelled.order_id]), _open_form())
    assert response.status_code == 302
    assert Dispute.objects.filter(order=cancelled.order, status=S.AWAITING_SELLER).count() == 1


def test_unshipped_order_opens_only_after_seven_days_through_the_page(client, buyer, store, now):
    order = make_order(buyer=buyer, store=store, status=Order.Status.PAID, at=now - 10 * DAY)
    url = reverse("disputes:open", args=[order.pk])
    data = _open_form(reason="refused_to_ship", detail="")
    with time_machine.travel(order.paid_at + 7 * DAY, tick=False):
        client.force_login(buyer)
        page = client.get(url).content.decode()
        assert "can be opened 7 days after payment" in page
        assert client.post(url, data).status_code == 400
    assert not Dispute.objects.exists()
    with time_machine.travel(order.paid_at + 7 * DAY + SECOND, tick=False):
        client.force_login(buyer)
        page = client.get(url).content.decode()
        assert 'value="refused_to_ship"' in page
        assert 'value="not_received"' not in page
        response = client.post(url, data)
    assert response.status_code == 302
    assert Dispute.objects.get(order=order).reason == "refused_to_ship"


@pytest.mark.parametrize(("after", "allowed"), [(15 * DAY, True), (15 * DAY + SECOND, False)])
def test_completed_order_protected_up_to_fifteen_days_through_the_page(client, buyer, store, now, after, allowed):
    order = make_order(buyer=buyer, store=store, status=Order.Status.COMPLETED, at=now - 30 * DAY)
    with time_machine.travel(order.completed_at + after, tick=False):
        client.force_login(buyer)
        response = client.post(reverse("disputes:open", args=[order.pk]), _open_form())
    assert response.status_code == (302 if allowed else 400)
    assert Dispute.objects.filter(order=order).exists() is allowed
    if not allowed:
        assert "Buyer protection ended 15 days after the order was completed." in response.content.decode()


@pytest.mark.parametrize("reason", [r for r in Dispute.Reason.values if r != "refused_to_ship"])
def test_every_reason_of_a_shipped_order(client, buyer, store, now, reason):
    order = shipped_order(buyer=buyer, store=store, at=now)
    client.force_login(buyer)
    response = client.post(
        reverse("disputes:open", args=[order.pk]), _open_form(reason=reason, requested_outcome="return_refund")
    )
    assert response.status_code == 302
    dispute = Dispute.objects.get(order=order)
    assert (dispute.reason, dispute.requested_outcome) == (reason, "return_refund")


def test_partial_refund_equal_to_the_total_is_allowed_larger_is_refused(client, buyer, store, now):
    order = shipped_order(buyer=buyer, store=store, at=now)
    client.force_login(buyer)
    url = reverse("disputes:open", args=[order.pk])
    larger = str(order.total + Decimal("0.01"))
    response = client.post(url, _open_form(requested_outcome="partial_refund", amount=larger, description="Torn."))
    assert response.status_code == 400
    body = response.content.decode()
    assert f"The refund cannot be larger than the order total, {order.total}." in body
    assert f'value="{larger}"' in body
    assert "Torn." in body
    response = client.post(url, _open_form(requested_outcome="partial_refund", amount=str(order.total)))
    assert response.status_code == 302
    assert Dispute.objects.get(order=order).requested_amount == order.total


def test_up_to_five_photos(client, buyer, store, now):
    order = shipped_order(buyer=buyer, store=store, at=now)
    client.force_login(buyer)
    url = reverse("disputes:open", args=[order.pk])
    six = [jpeg_upload(f"p{i}.jpg") for i in range(6)]
    response = client.post(url, {**_open_form(description="Six photos."), "photos": six})
    assert response.status_code == 400
    assert "Six photos." in response.content.decode()
    assert not Dispute.objects.exists()
    five = [jpeg_upload(f"p{i}.jpg") for i in range(5)]
    response = client.post(url, {**_open_form(), "photos": five})
    assert response.status_code == 302
    assert Dispute.objects.get(order=order).photos.count() == 5


def test_another_users_order_is_404(client, buyer, other_buyer, store, now):
    order = shipped_order(buyer=buyer, store=store, at=now)
    client.force_login(other_buyer)
    url = reverse("disputes:open", args=[order.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, _open_form()).status_code == 404
    assert not Dispute.objects.exists()


def test_seller_answering_after_the_five_days_finds_the_request_granted(client, buyer, seller, store, now):
    dispute = open_dispute(buyer=buyer, store=store, now=now)
    with time_machine.travel(now + 5 * DAY - SECOND, tick=False):
        # One second before the deadline nothing is due: the worker changes nothing.
        call_command("run_deadlines", verbosity=0)
    dispute.refresh_from_db()
    assert dispute.status == S.AWAITING_SELLER
    with time_machine.travel(now + 5 * DAY + timedelta(seconds=20), tick=False):
        # The worker has not run yet this minute; the seller's late counter-offer meets the deadline.
        client.force_login(seller)
        response = client.post(
            reverse("disputes:offer", args=[dispute.pk]), {"kind": "partial_refund", "amount": "1.00"}, follow=True
        )
    body = response.content.decode()
    assert "A deadline passed before your action:" in body
    assert "The seller did not respond within 5 days: the buyer&#x27;s request is granted." in body
    dispute.refresh_from_db()
    assert (dispute.status, dispute.closed_by, dispute.refund_amount) == (
        S.RESOLVED,
        "seller_timeout",
        dispute.order.total,
    )
    assert not dispute.offers.filter(side="seller").exists()
    for party in (buyer, seller):
        assert Notification.objects.filter(recipient=party, kind="dispute_resolved").count() == 1


def test_seller_silence_granted_at_exactly_five_days_by_the_worker(client, buyer, seller, store, now):
    dispute = open_dispute(buyer=buyer, store=store, now=now, outcome="partial_refund", amount=Decimal("4.00"))
    with time_machine.travel(now + 5 * DAY, tick=False):
        call_command("run_deadlines", verbosity=0)
        client.force_login(buyer)
        page = client.get(reverse("disputes:detail", args=[dispute.pk])).content.decode()
    dispute.refresh_from_db()
    assert (dispute.status, dispute.resolution, dispute.refund_amount) == (
        S.RESOLVED,
        "partial_refund",
        Decimal("4.00"),
    )
    assert "The seller did not respond in time" in page
    assert "4.00" in page


def test_return_shipped_after_ten_days_meets_the_closed_case(client, buyer, seller, store, now):
    dispute = open_dispute(buyer=buyer, store=store, now=now, outcome="return_refund")
    services.dispute_accept_offer(dispute_id=dispute.pk, actor=seller, now=now + DAY)
    with time_machine.travel(now + 11 * DAY, tick=False):
        client.force_login(buyer)
        response = client.post(reverse("disputes:return_shipped", args=[dispute.pk]), {"tracking_number": "RR1PL"})
    assert response.status_code == 302
    dispute.refresh_from_db()
    assert (dispute.status, dispute.closed_by, dispute.resolution) == (S.RESOLVED, "return_not_shipped", "rejected")
    assert dispute.return_tracking_number == ""


@pytest.fixture
def escalated_case(buyer, seller, store, now):
    dispute = open_dispute(buyer=buyer, store=store, now=now - 4 * DAY)
    services.dispute_escalate(dispute_id=dispute.pk, actor=buyer, now=now - DAY, note="The seller ignores me.")
    dispute.refresh_from_db()
    return dispute


@pytest.mark.parametrize("group", ["Moderators", "Support agents"])
def test_only_dispute_resolvers_resolve_others_get_403(client, escalated_case, group):
    from django.contrib.auth.models import Group

    from portal.tests.factories import UserFactory

    user = UserFactory(email=f"{group[:3]}@example.com", is_staff=True)
    user.groups.set(Group.objects.filter(name=group))
    client.force_login(user)
    url = reverse("admin:disputes_dispute_resolve", args=[escalated_case.pk])
    assert client.get(url).status_code == 403
    data = {"resolution": "full_refund", "responsibility": "seller", "note": "x"}
    assert client.post(url, data).status_code == 403
    escalated_case.refresh_from_db()
    assert escalated_case.status == S.ESCALATED


def test_resolver_decides_a_partial_refund_logged_final_and_in_both_notification_tabs(
    client, escalated_case, buyer, seller, staff
):
    from django.contrib.admin.models import LogEntry

    client.force_login(staff)
    url = reverse("admin:disputes_dispute_resolve", args=[escalated_case.pk])
    total = escalated_case.order.total
    too_much = {
        "resolution": "partial_refund",
        "amount": str(total + Decimal("1.00")),
        "responsibility": "seller",
        "note": "Half of the set was missing.",
    }
    response = client.post(url, too_much)
    assert response.status_code == 400
    body = response.content.decode()
    assert "cannot be larger than the order total" in body
    assert "Half of the set was missing." in body
    response = client.post(url, {**too_much, "amount": "3.00"})
    assert response.status_code == 302
    escalated_case.refresh_from_db()
    assert (escalated_case.status, escalated_case.resolution, escalated_case.refund_amount) == (
        S.RESOLVED,
        "partial_refund",
        Decimal("3.00"),
    )
    assert (escalated_case.responsibility, escalated_case.decided_by) == ("seller", staff)
    assert LogEntry.objects.filter(object_id=str(escalated_case.pk), user=staff).exists()
    # Final: a second decision is refused.
    again = client.post(url, {**too_much, "resolution": "rejected"}, follow=True)
    assert "only escalated disputes are decided here" in again.content.decode()
    escalated_case.refresh_from_db()
    assert escalated_case.resolution == "partial_refund"
    for party in (buyer, seller):
        client.force_login(party)
        tab = client.get(reverse("messaging:notifications")).content.decode()
        assert f"The platform decided dispute #{escalated_case.pk}" in tab
        assert "a refund of 3.00" in tab
        assert "Half of the set was missing." in tab
    # The case page shows the outcome to both sides too.
    page = client.get(reverse("disputes:detail", args=[escalated_case.pk])).content.decode()
    assert "Half of the set was missing." in page


def test_rejection_is_told_as_no_refund(client, escalated_case, buyer, staff):
    client.force_login(staff)
    url = reverse("admin:disputes_dispute_resolve", args=[escalated_case.pk])
    client.post(url, {"resolution": "rejected", "responsibility": "buyer", "note": "Tracking shows delivery."})
    client.force_login(buyer)
    tab = client.get(reverse("messaging:notifications")).content.decode()
    assert "the request is rejected, no refund" in tab
    assert not PenaltyEntry.objects.exists()


def test_seller_rejects_with_a_counter_offer_and_evidence_photos(client, buyer, seller, store, now):
    dispute = open_dispute(buyer=buyer, store=store, now=now - DAY)
    client.force_login(seller)
    page = client.get(reverse("disputes:detail", args=[dispute.pk])).content.decode()
    assert "Reject with a counter-offer" in page
    assert "The seller has 3 days 23 hours to respond." in page
    response = client.post(
        reverse("disputes:offer", args=[dispute.pk]),
        {
            "kind": "return_refund",
            "amount": "",
            "note": "The colour matches the listing photo; return it and we refund.",
            "photos": [jpeg_upload("listing.jpg"), jpeg_upload("label.jpg")],
        },
    )
    assert response.status_code == 302
    dispute.refresh_from_db()
    assert dispute.status == S.NEGOTIATING
    offer = dispute.offers.get(side="seller")
    assert (offer.kind, offer.amount) == ("return_refund", dispute.order.total)
    message = dispute.messages.get()
    assert (message.side, message.photos.count()) == ("seller", 2)
    assert "matches the listing photo" in message.text
    # The buyer sees the counter-offer with its evidence, and may accept it.
    client.force_login(buyer)
    page = client.get(reverse("disputes:detail", args=[dispute.pk])).content.decode()
    assert "The other side offers: Return and refund" in page
    for photo in message.photos.all():
        assert reverse("portal:photo_thumbnail", args=[photo.uuid]) in page or "Processing" in page
    assert client.post(reverse("disputes:accept", args=[dispute.pk])).status_code == 302
    dispute.refresh_from_db()
    assert dispute.status == S.AWAITING_RETURN


@pytest.mark.parametrize(
    ("left", "text"),
    [
        (3 * DAY + timedelta(hours=4, minutes=59), "3 days 4 hours"),
        (2 * DAY, "2 days"),
        (DAY + timedelta(hours=1), "1 day 1 hour"),
        (timedelta(hours=5, minutes=12), "5 hours 12 minutes"),
        (timedelta(hours=5), "5 hours"),
        (timedelta(minutes=1, seconds=30), "1 minute"),
        (timedelta(seconds=30), "0 minutes"),
    ],
)
def test_countdown_words(left, text):
    from django.utils import translation

    from disputes.selectors import duration_text

    with translation.override("en"):
        assert duration_text(left) == text


def test_case_page_says_how_long_the_seller_has_in_one_sentence(client, buyer, seller, store, now):
    dispute = open_dispute(buyer=buyer, store=store, now=now)
    with time_machine.travel(now + timedelta(hours=19, minutes=30), tick=False):
        for user in (buyer, seller):
            client.force_login(user)
            page = client.get(reverse("disputes:detail", args=[dispute.pk])).content.decode()
            assert "The seller has 4 days 4 hours to respond." in page
            assert "Either side can ask the platform to decide in 2 days 4 hours." in page
            assert "If it is not resolved, the case goes to the platform in 15 days 4 hours." in page


def test_complaint_about_a_seller_from_new_to_closed_with_a_rated_answer(client, buyer, store, staff, now):
    from disputes.models import Complaint

    client.force_login(buyer)
    response = client.post(
        reverse("disputes:complaint_new"),
        {
            "subject": "seller",
            "category": "coercion",
            "store": store.slug,
            "reference": "Review #41",
            "text": "The seller offered a coupon if I deleted my one-star review.",
            "photos": [jpeg_upload("chat.jpg")],
        },
    )
    assert response.status_code == 302
    complaint = Complaint.objects.get()
    assert (complaint.status, complaint.store, complaint.reference, complaint.photos.count()) == (
        "new",
        store,
        "Review #41",
        1,
    )
    assert complaint.first_response_due_at == complaint.created_at + timedelta(hours=48)
    page = client.get(reverse("disputes:complaint_detail", args=[complaint.pk])).content.decode()
    assert "The platform will answer within" in page

    # 48 hours later with no answer: highlighted in the admin queue, support agents reminded once.
    due = complaint.first_response_due_at
    with time_machine.travel(due - SECOND, tick=False):
        call_command("run_deadlines", verbosity=0)
    assert not Notification.objects.filter(kind="complaint_overdue").exists()
    with time_machine.travel(due, tick=False):
        call_command("run_deadlines", verbosity=0)
        call_command("run_deadlines", verbosity=0)
        client.force_login(staff)
        queue = client.get(reverse("admin:disputes_complaint_changelist") + "?overdue=yes").content.decode()
    assert Notification.objects.filter(kind="complaint_overdue", recipient=staff).count() == 1
    assert "opinia-overdue" in queue
    assert f">{complaint.pk}<" in queue or f"/{complaint.pk}/change/" in queue

    # Staff take it, answer it, the author reads the answer in the Notifications tab and rates it.
    client.force_login(staff)
    client.post(reverse("admin:disputes_complaint_take", args=[complaint.pk]))
    complaint.refresh_from_db()
    assert complaint.status == "in_progress"
    client.post(
        reverse("admin:disputes_complaint_answer", args=[complaint.pk]),
        {"answer": "We warned the seller; coupons for reviews are forbidden."},
    )
    complaint.refresh_from_db()
    assert complaint.status == "answered"
    client.force_login(buyer)
    assert (
        f"Your complaint #{complaint.pk} was answered"
        in client.get(reverse("messaging:notifications")).content.decode()
    )
    page = client.get(reverse("disputes:complaint_detail", args=[complaint.pk])).content.decode()
    assert "coupons for reviews are forbidden" in page
    client.post(reverse("disputes:complaint_rate", args=[complaint.pk]), {"rating": "4", "comment": "Quick."})
    complaint.refresh_from_db()
    assert complaint.rating == 4
    # Closed by staff in the admin: final.
    client.force_login(staff)
    client.post(reverse("admin:disputes_complaint_close", args=[complaint.pk]))
    complaint.refresh_from_db()
    assert complaint.status == "closed"
    assert list(complaint.events.values_list("new_status", flat=True)) == ["new", "in_progress", "answered", "closed"]


def test_author_cannot_move_an_unanswered_complaint(client, buyer, now):
    from disputes.services.complaints import complaint_submit

    complaint = complaint_submit(author=buyer, subject="site", text="Broken menu.", now=now)
    client.force_login(buyer)
    response = client.post(reverse("disputes:complaint_follow_up", args=[complaint.pk]), {"text": "Any news?"})
    assert response.status_code == 400
    assert "You can reply once the platform has answered." in response.content.decode()
    complaint.refresh_from_db()
    assert complaint.status == "new"


def test_complaint_names_the_store_by_its_name_or_address_name(client, buyer, store):
    from disputes.models import Complaint

    client.force_login(buyer)
    for typed in ("bob's gadgets", store.slug):
        response = client.post(
            reverse("disputes:complaint_new"),
            {"subject": "seller", "category": "harassment", "store": typed, "text": "Insults in the chat."},
        )
        assert response.status_code == 302
    assert list(Complaint.objects.values_list("store", flat=True)) == [store.pk, store.pk]


def test_late_thread_message_explains_the_deadline_and_keeps_the_text(client, buyer, seller, store, now):
    dispute = open_dispute(buyer=buyer, store=store, now=now)
    with time_machine.travel(now + 5 * DAY, tick=False):
        client.force_login(seller)
        response = client.post(reverse("disputes:message", args=[dispute.pk]), {"text": "We ship tomorrow!"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "A deadline passed before your action:" in body
    assert "This dispute is closed" in body
    dispute.refresh_from_db()
    assert dispute.status == S.RESOLVED
    assert not dispute.messages.exists()
