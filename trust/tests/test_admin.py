"""The moderators' queue: filters, the evidence on one page, decisions logged and notified, the right enforced."""

from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from disputes.models import PenaltyEntry
from disputes.tests.helpers import open_dispute
from feedback import services as feedback_services
from feedback.models import SellerRating
from messaging.models import Message, Notification
from portal.tests.factories import UserFactory
from trust import services
from trust.models import Case, CaseDecision

from .conftest import T0
from .helpers import completed_window, write

pytestmark = pytest.mark.django_db


@pytest.fixture
def moderator(db):
    user = UserFactory(email="mod@example.com", is_staff=True)
    user.groups.set(Group.objects.filter(name="Moderators"))
    return user


@pytest.fixture
def offer_case(buyer, seller, store):
    write("message", "Hi! Coupon for 5 stars, ok?", buyer=buyer, seller=seller, store=store, at=T0)
    services.checks_sweep(now=T0)
    return Case.objects.get()


@pytest.fixture
def retaliation_case(buyer, seller, store):
    window = completed_window(buyer, store, at=T0)
    open_dispute(buyer=buyer, store=store, now=T0 + timedelta(hours=1), order=window.order)
    feedback_services.seller_rating_submit(window_id=window.pk, author=seller, stars=1, now=T0 + timedelta(hours=2))
    services.checks_sweep(now=T0)
    return Case.objects.get(kind=Case.Kind.RETALIATION)


def _decide(client, case, decision, **extra):
    return client.post(reverse("admin:trust_case_decide", args=[case.pk]), {"decision": decision, **extra})


def test_moderators_hold_the_right_by_permission():
    group = Group.objects.get(name="Moderators")
    assert group.permissions.filter(content_type__app_label="trust", codename="decide_case").exists()


def test_the_queue_lists_open_cases_filters_by_kind_and_shows_decided_on_request(
    client, moderator, offer_case, retaliation_case
):
    client.force_login(moderator)
    url = reverse("admin:trust_case_changelist")
    page = client.get(url).content.decode()
    assert f"/trust/case/{offer_case.pk}/change/" in page
    assert f"/trust/case/{retaliation_case.pk}/change/" in page
    page = client.get(url, {"kind__exact": "retaliation"}).content.decode()
    assert f"/trust/case/{offer_case.pk}/change/" not in page
    assert f"/trust/case/{retaliation_case.pk}/change/" in page
    _decide(client, offer_case, "dismiss")
    assert f"/trust/case/{offer_case.pk}/change/" not in client.get(url).content.decode()
    assert f"/trust/case/{offer_case.pk}/change/" in client.get(url, {"status": "dismissed"}).content.decode()
    assert f"/trust/case/{offer_case.pk}/change/" in client.get(url, {"status": "all"}).content.decode()


def test_the_case_page_shows_the_phrase_highlighted_the_parties_and_the_source(client, moderator, offer_case):
    client.force_login(moderator)
    page = client.get(reverse("admin:trust_case_change", args=[offer_case.pk])).content.decode()
    assert 'hi! <mark class="opinia-phrase">coupon for 5 stars</mark>, ok?' in page
    assert reverse("admin:messaging_message_change", args=[offer_case.source_id]) in page
    assert reverse("admin:portal_user_change", args=[offer_case.author_id]) in page
    assert reverse("admin:trust_case_decide", args=[offer_case.pk]) in page


def test_the_retaliation_page_shows_the_timeline(client, moderator, retaliation_case):
    client.force_login(moderator)
    page = client.get(reverse("admin:trust_case_change", args=[retaliation_case.pk])).content.decode()
    for text in ("Order completed", "Buyer opened dispute #", "Seller rated the buyer 1★"):
        assert text in page


def test_dismiss_is_logged_and_tells_nobody(client, moderator, offer_case):
    client.force_login(moderator)
    response = _decide(client, offer_case, "dismiss", note="A joke between friends.")
    assert response.status_code == 302
    offer_case.refresh_from_db()
    assert offer_case.status == Case.Status.DISMISSED
    decision = CaseDecision.objects.get(case=offer_case)
    assert (decision.moderator, decision.decision, decision.note) == (moderator, "dismiss", "A joke between friends.")
    assert LogEntry.objects.filter(
        object_id=str(offer_case.pk), change_message__startswith="Decision: dismiss"
    ).exists()
    assert not Notification.objects.filter(kind__startswith="trust_").exists()


def test_warn_notifies_the_author(client, moderator, offer_case, seller):
    client.force_login(moderator)
    _decide(client, offer_case, "warn")
    notification = Notification.objects.get(kind="trust_warning")
    assert notification.recipient == seller
    assert notification.params == {"case": offer_case.pk}


def test_remove_hides_the_message_through_the_messaging_service_and_notifies(client, moderator, offer_case, seller):
    client.force_login(moderator)
    _decide(client, offer_case, "remove")
    assert Message.objects.get(pk=offer_case.source_id).removed_at is not None
    assert Notification.objects.get(kind="trust_content_removed").recipient == seller
    assert Case.objects.get(pk=offer_case.pk).status == Case.Status.REMOVED


def test_a_retaliating_rating_is_removed_through_the_feedback_service(client, moderator, retaliation_case, seller):
    client.force_login(moderator)
    response = _decide(client, retaliation_case, "remove")
    assert response.status_code == 302
    assert SellerRating.objects.get(pk=retaliation_case.source_id).removed_at is not None
    assert Case.objects.get(pk=retaliation_case.pk).status == Case.Status.REMOVED
    assert CaseDecision.objects.get().decision == "remove"
    assert Notification.objects.get(kind="trust_content_removed").recipient == seller


def test_penalty_points_go_through_the_ledger_and_tell_the_store(client, moderator, retaliation_case, seller, store):
    client.force_login(moderator)
    _decide(client, retaliation_case, "penalise", points="3")
    entry = PenaltyEntry.objects.get(store=store)
    assert (entry.points, entry.reason, entry.dispute) == (3, PenaltyEntry.Reason.ABUSE, None)
    notification = Notification.objects.get(kind="penalty_added_abuse")
    assert notification.recipient == seller
    assert notification.params["case"] == retaliation_case.pk
    assert CaseDecision.objects.get().points == 3


def test_a_decided_case_cannot_be_decided_again(client, moderator, offer_case):
    client.force_login(moderator)
    _decide(client, offer_case, "warn")
    response = _decide(client, offer_case, "penalise")
    assert response.status_code == 200
    assert "Cannot move case" in response.content.decode()
    assert CaseDecision.objects.count() == 1
    assert not PenaltyEntry.objects.exists()


def test_staff_without_the_right_can_read_but_not_decide(client, offer_case):
    reader = UserFactory(email="reader@example.com", is_staff=True)
    reader.user_permissions.set(
        Permission.objects.filter(content_type__app_label="trust", codename__in=["view_case", "change_case"])
    )
    client.force_login(reader)
    page = client.get(reverse("admin:trust_case_change", args=[offer_case.pk])).content.decode()
    assert "coupon for 5 stars" in page
    assert reverse("admin:trust_case_decide", args=[offer_case.pk]) not in page
    assert _decide(client, offer_case, "dismiss").status_code == 403
    assert Case.objects.get(pk=offer_case.pk).status == Case.Status.OPEN


def test_the_right_given_directly_is_enough(client, offer_case):
    user = UserFactory(email="direct@example.com", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="trust", codename__in=["view_case", "change_case", "decide_case"]
        )
    )
    client.force_login(user)
    assert _decide(client, offer_case, "dismiss").status_code == 302
