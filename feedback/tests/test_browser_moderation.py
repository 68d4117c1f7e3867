"""Chromium: a moderator decides a report from the report's own page."""

from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.test import Client
from django.urls import reverse

from feedback import services
from feedback.models import ModerationDecision
from feedback.tests.test_review_lists import T, review_on
from portal.tests.browser import image_shown

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def moderator(transactional_db):
    """Transactional tests flush what the migrations made: grant the Moderators group again."""
    import importlib

    from django.apps import apps
    from django.contrib.auth.models import Group

    from portal.tests.factories import UserFactory

    importlib.import_module("feedback.migrations.0002_moderator_permissions").grant(apps, None)
    importlib.import_module("feedback.migrations.0006_staff_action_permissions").grant(apps, None)
    user = UserFactory(email="mod@example.com", is_staff=True)
    user.groups.add(Group.objects.get(name="Moderators"))
    return user


def test_moderator_reads_the_reported_words_and_photo_and_removes_the_review(
    browser_page, live_server, product, moderator, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    review = review_on(product, stars=1, photos=1, text="Call me at 600 100 200")
    report = services.review_report(
        review_id=review.pk, reporter=product.store.owner, reason="offensive", now=T + timedelta(minutes=5)
    )
    client = Client()
    client.force_login(moderator)
    page = browser_page
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page.goto(reverse("admin:feedback_reviewreport_change", args=[report.pk]))
    assert page.get_by_text("Call me at 600 100 200").is_visible()
    thumb = page.locator(".opinia-reported img.opinia-thumb")
    assert thumb.count() == 1
    assert image_shown(thumb)  # served to staff, not a 404
    assert page.get_by_role("button", name="Save").count() == 0
    page.get_by_label("Note for the log").fill("Phone number in the text")
    page.get_by_role("button", name="Remove review").click()
    page.get_by_text("Decision recorded: Remove.").wait_for()
    review.refresh_from_db()
    report.refresh_from_db()
    assert review.removed_at is not None
    assert report.status == "removed"
    assert ModerationDecision.objects.get(review=review).note == "Phone number in the text"
    assert LogEntry.objects.filter(object_id=str(review.pk)).exists()
