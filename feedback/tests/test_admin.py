from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from feedback import services
from feedback.models import FeedbackWindow, ItemReview, ModerationDecision
from feedback.tests.conftest import buyer_rates, complete_order, seller_rates
from portal.tests.factories import UserFactory


@pytest.fixture
def reported(buyer, seller, store, other_buyer):
    order = complete_order(buyer, store, at=timezone.now() - timedelta(days=1), items=1)
    window = FeedbackWindow.objects.select_related("order").get(order=order)
    buyer_rates(window, buyer, stars=1, text="Call me at +48 600 100 200", now=timezone.now())
    seller_rates(window, seller, now=timezone.now())
    review = ItemReview.objects.get(window=window)
    services.review_report(review_id=review.pk, reporter=seller, reason="offensive", now=timezone.now())
    return review


def test_moderators_group_has_the_feedback_permissions(db):
    group = Group.objects.get(name="Moderators")
    codenames = set(group.permissions.filter(content_type__app_label="feedback").values_list("codename", flat=True))
    assert {"view_itemreview", "change_itemreview", "view_reviewreport", "change_reviewreport"} <= codenames


def test_queue_lists_reported_reviews_for_moderators(client, staff, reported):
    client.force_login(staff)
    response = client.get(reverse("admin:feedback_itemreview_changelist") + "?reported=open")
    assert response.status_code == 200
    assert reported.product.title in response.content.decode()
    change = client.get(reverse("admin:feedback_itemreview_change", args=[reported.pk])).content.decode()
    assert reverse("admin:feedback_itemreview_moderate", args=[reported.pk, "remove"]) in change


def test_remove_through_the_admin_view_calls_the_service_and_logs(client, staff, reported):
    client.force_login(staff)
    url = reverse("admin:feedback_itemreview_moderate", args=[reported.pk, "remove"])
    assert client.get(url).status_code == 200
    response = client.post(url, {"note": "Personal data"})
    assert response.status_code == 302
    reported.refresh_from_db()
    assert reported.removed_at is not None
    assert ModerationDecision.objects.get(review=reported).note == "Personal data"
    entry = LogEntry.objects.get(object_id=str(reported.pk))
    assert "remove" in entry.change_message
    assert reported.reports.get().status == "removed"


def test_keep_through_the_admin_view(client, staff, reported):
    client.force_login(staff)
    client.post(reverse("admin:feedback_itemreview_moderate", args=[reported.pk, "keep"]), {"note": ""})
    reported.refresh_from_db()
    assert reported.removed_at is None
    assert reported.reports.get().status == "kept"


def test_staff_outside_moderators_cannot_decide(client, reported):
    support = UserFactory(is_staff=True)
    support.groups.add(Group.objects.get(name="Support agents"))
    client.force_login(support)
    url = reverse("admin:feedback_itemreview_moderate", args=[reported.pk, "remove"])
    assert client.post(url, {"note": "x"}).status_code == 403
    reported.refresh_from_db()
    assert reported.removed_at is None


@pytest.fixture
def reported_with_photo(buyer, seller, store, settings, tmp_path):
    from feedback.tests.test_photos import _photo
    from portal.models import Photo
    from portal.uploads import photo_process

    settings.MEDIA_ROOT = tmp_path
    order = complete_order(buyer, store, at=timezone.now() - timedelta(days=1), items=1)
    window = FeedbackWindow.objects.select_related("order").get(order=order)
    buyer_rates(window, buyer, stars=4, text="Call me at +48 600 100 200", photos=[_photo()], now=timezone.now())
    seller_rates(window, seller, now=timezone.now())
    photo_process(photo_id=Photo.objects.get().pk)
    review = ItemReview.objects.get(window=window)
    return services.review_report(review_id=review.pk, reporter=seller, reason="offensive", now=timezone.now())


def test_report_page_shows_the_reported_text_and_photos_and_offers_keep_and_remove(client, staff, reported_with_photo):
    report = reported_with_photo
    photo = report.review.photos.get()
    client.force_login(staff)
    response = client.get(reverse("admin:feedback_reviewreport_change", args=[report.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Call me at +48 600 100 200" in html
    assert report.review.product.title in html
    thumb = reverse("portal:photo_thumbnail", args=[photo.uuid])
    assert f'src="{thumb}"' in html
    assert client.get(thumb).status_code == 200  # the permission-checked view lets staff see it
    assert reverse("admin:feedback_itemreview_moderate", args=[report.review_id, "keep"]) in html
    assert reverse("admin:feedback_itemreview_moderate", args=[report.review_id, "remove"]) in html
    assert 'name="_save"' not in html  # nothing to "Save" on a report


@pytest.mark.parametrize(("decision", "status"), [("remove", "removed"), ("keep", "kept")])
def test_keep_and_remove_from_the_report_page_go_through_the_service_and_the_log(
    client, staff, reported_with_photo, decision, status
):
    report = reported_with_photo
    client.force_login(staff)
    response = client.post(
        reverse("admin:feedback_itemreview_moderate", args=[report.review_id, decision]),
        {"note": "Phone number", "report": str(report.pk)},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:feedback_reviewreport_changelist") + "?status__exact=open"
    report.refresh_from_db()
    assert report.status == status
    assert ModerationDecision.objects.get(review_id=report.review_id).decision == decision
    assert decision in LogEntry.objects.get(object_id=str(report.review_id)).change_message
    review = ItemReview.objects.get(pk=report.review_id)
    assert (review.removed_at is not None) == (decision == "remove")
    # Decided: the page shows the decision and offers no buttons any more.
    page = client.get(reverse("admin:feedback_reviewreport_change", args=[report.pk])).content.decode()
    assert "Phone number" in page
    assert reverse("admin:feedback_itemreview_moderate", args=[report.review_id, "remove"]) not in page


def test_report_page_offers_no_decision_to_staff_outside_moderators(client, reported_with_photo):
    from django.contrib.auth.models import Permission

    reader = UserFactory(is_staff=True)
    reader.user_permissions.add(Permission.objects.get(codename="view_reviewreport"))
    client.force_login(reader)
    html = client.get(reverse("admin:feedback_reviewreport_change", args=[reported_with_photo.pk])).content.decode()
    assert "Call me at +48 600 100 200" in html
    assert reverse("admin:feedback_itemreview_moderate", args=[reported_with_photo.review_id, "remove"]) not in html
