"""Chromium: a review photo still being processed shows a placeholder that turns into its thumbnail."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from feedback.models import FeedbackWindow
from feedback.tests.conftest import buyer_rates, complete_order
from feedback.tests.test_photos import _photo
from portal.models import Photo
from portal.uploads import photo_process

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_placeholder_swaps_in_the_thumbnail_once_the_worker_is_done(
    browser_page, live_server, buyer, store, settings, tmp_path, monkeypatch
):
    settings.MEDIA_ROOT = tmp_path
    # The worker has not run yet: keep the photo in processing.
    monkeypatch.setattr("portal.uploads._enqueue_processing", lambda photo_id: None)
    order = complete_order(buyer, store, at=timezone.now() - timedelta(hours=1), items=1)
    window = FeedbackWindow.objects.select_related("order").get(order=order)
    buyer_rates(window, buyer, stars=5, text="Lovely", photos=[_photo()], now=timezone.now())
    photo = Photo.objects.get()
    assert photo.status == Photo.Status.PROCESSING
    client = Client()
    client.force_login(buyer)
    page = browser_page
    failed: list[str] = []
    page.on("response", lambda response: failed.append(response.url) if response.status >= 400 else None)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page.goto(reverse("feedback:review_form", args=[order.pk]))
    assert page.get_by_text("Photo processing…").is_visible()
    assert page.locator("img.thumb").count() == 0
    photo_process(photo_id=photo.pk)
    page.wait_for_function(
        "() => { const img = document.querySelector('img.thumb'); return img && img.complete && img.naturalWidth > 0; }",
        timeout=10_000,
    )
    assert page.get_by_text("Photo processing…").count() == 0
    assert not [url for url in failed if "/photos/" in url]
