"""Retaliation: a seller's low rating of a buyer who disputed or complained, and a store's report of
that buyer's review, reach the moderators with the timeline."""

from datetime import timedelta

import pytest
from django.urls import reverse

from disputes.models import Complaint
from disputes.services import complaint_submit
from disputes.tests.helpers import open_dispute
from feedback import services as feedback_services
from trust import services
from trust.models import Case

from .conftest import T0
from .helpers import completed_window, published_review

pytestmark = pytest.mark.django_db
HOUR = timedelta(hours=1)


def _disputed_window(buyer, store):
    window = completed_window(buyer, store, at=T0)
    dispute = open_dispute(buyer=buyer, store=store, now=T0 + HOUR, order=window.order)
    return window, dispute


@pytest.mark.parametrize(("stars", "flagged"), [(3, True), (4, False), (1, True)])
def test_a_low_rating_after_a_dispute_on_the_same_order_is_flagged_at_three_stars_not_four(
    stars, flagged, buyer, seller, store
):
    window, dispute = _disputed_window(buyer, store)
    feedback_services.seller_rating_submit(window_id=window.pk, author=seller, stars=stars, now=T0 + 2 * HOUR)
    services.checks_sweep(now=T0 + 2 * HOUR)
    case = Case.objects.filter(kind=Case.Kind.RETALIATION).first()
    assert (case is not None) is flagged
    if flagged:
        assert (case.store, case.author, case.counterpart) == (store, seller, buyer)
        kinds = [event["kind"] for event in case.facts["timeline"]]
        assert kinds == ["order_completed", "dispute_opened", "buyer_rated"]
        assert case.facts["timeline"][1]["id"] == dispute.pk


def test_the_rule_follows_the_setting(buyer, seller, store, settings):
    settings.OPINIA_TRUST_RETALIATION_MAX_STARS = 2
    window, _dispute = _disputed_window(buyer, store)
    feedback_services.seller_rating_submit(window_id=window.pk, author=seller, stars=3, now=T0 + 2 * HOUR)
    services.checks_sweep(now=T0 + 2 * HOUR)
    assert not Case.objects.exists()


def test_a_low_rating_without_dispute_or_complaint_is_not_flagged(buyer, seller, store):
    window = completed_window(buyer, store, at=T0)
    feedback_services.seller_rating_submit(window_id=window.pk, author=seller, stars=1, now=T0 + HOUR)
    services.checks_sweep(now=T0 + HOUR)
    assert not Case.objects.exists()


def test_a_dispute_on_another_order_does_not_count(buyer, seller, store):
    _disputed_window(buyer, store)
    window = completed_window(buyer, store, at=T0)
    feedback_services.seller_rating_submit(window_id=window.pk, author=seller, stars=2, now=T0 + 2 * HOUR)
    services.checks_sweep(now=T0 + 2 * HOUR)
    assert not Case.objects.exists()


def test_a_complaint_about_the_store_before_the_rating_is_flagged(buyer, seller, store):
    window = completed_window(buyer, store, at=T0)
    complaint = complaint_submit(
        author=buyer,
        subject=Complaint.Subject.SELLER,
        text="The seller insults me.",
        store=store,
        now=T0 + HOUR,
    )
    feedback_services.seller_rating_submit(window_id=window.pk, author=seller, stars=2, now=T0 + 2 * HOUR)
    services.checks_sweep(now=T0 + 2 * HOUR)
    case = Case.objects.get(kind=Case.Kind.RETALIATION)
    assert [e["kind"] for e in case.facts["timeline"]] == ["order_completed", "complaint_filed", "buyer_rated"]
    assert case.facts["timeline"][1]["id"] == complaint.pk


def test_a_sellers_report_of_a_disputing_buyers_review_is_marked_in_the_report_queue(
    client, staff, buyer, other_buyer, seller, store
):
    review = published_review(buyer, seller, store, at=T0)
    open_dispute(buyer=buyer, store=store, now=T0 + 3 * HOUR, order=review.window.order)
    report = feedback_services.review_report(
        review_id=review.pk, reporter=seller, reason="extortion", now=T0 + 4 * HOUR
    )
    other = feedback_services.review_report(
        review_id=review.pk, reporter=other_buyer, reason="unrelated", now=T0 + 4 * HOUR
    )
    services.checks_sweep(now=T0 + 4 * HOUR)
    case = Case.objects.get(kind=Case.Kind.REPORT_AFTER_DISPUTE)
    assert (case.source_id, case.author, case.counterpart) == (report.pk, seller, buyer)
    assert Case.objects.count() == 1  # another buyer's report is not a store's retaliation

    client.force_login(staff)
    page = client.get(reverse("admin:feedback_reviewreport_changelist")).content.decode()
    rows = {line for line in page.split("<tr") if f"/reviewreport/{report.pk}/change/" in line}
    assert rows
    assert all('alt="True"' in row for row in rows)
    other_rows = {line for line in page.split("<tr") if f"/reviewreport/{other.pk}/change/" in line}
    assert other_rows
    assert all('alt="False"' in row for row in other_rows)
