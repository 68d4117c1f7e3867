"""Chromium: the whole life of a dispute across buyer, seller and a dispute resolver."""

import io
import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from PIL import Image

from disputes.models import Dispute, PenaltyEntry
from portal.models import Order
from portal.tests.factories import make_order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page, live_server, user):
    client = Client()
    client.force_login(user)
    page.context.clear_cookies()
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "magenta").save(buffer, "JPEG")
    return buffer.getvalue()


def test_dispute_from_opening_to_penalty(browser_page, live_server, buyer, seller, store, staff):
    page = browser_page
    page.on("dialog", lambda dialog: dialog.accept())
    order = make_order(buyer=buyer, store=store, status=Order.Status.SHIPPED, at=timezone.now() - timedelta(days=3))

    # The buyer opens a dispute with a photo from the order page.
    _login(page, live_server, buyer)
    page.goto(f"/orders/{order.pk}/")
    page.get_by_role("link", name="Open a dispute").click()
    page.get_by_label("What went wrong?").select_option("not_as_described")
    page.get_by_label("Full refund").check()
    page.get_by_label("Describe the problem").fill("Ordered black, received pink.")
    page.get_by_label("Photos of the problem").set_input_files(
        [{"name": "pink.jpg", "mimeType": "image/jpeg", "buffer": _jpeg()}]
    )
    page.get_by_role("button", name="Open the dispute").click()
    page.get_by_text("Your dispute is open.").wait_for()
    assert page.locator(".clocks").get_by_text(re.compile("The seller has")).is_visible()
    assert page.locator("img.thumb").count() == 1
    dispute = Dispute.objects.get(order=order)

    # The seller counter-offers a partial refund.
    _login(page, live_server, seller)
    page.goto(f"/seller/{store.slug}/")
    page.get_by_role("link", name=re.compile(rf"#{dispute.pk}")).first.click()
    page.get_by_label(re.compile(r"^Offer:?$")).select_option("partial_refund")
    page.get_by_label(re.compile(r"^Amount:?$")).fill("5.00")
    page.get_by_label("Explain your offer").fill("The colour is in the listing photos.")
    page.get_by_role("button", name="Send offer").click()
    page.get_by_text("Your offer was sent.").wait_for()
    assert page.get_by_text("Negotiating").first.is_visible()

    with time_machine.travel(timezone.now() + timedelta(days=3, hours=1), tick=True):
        # From day 3 the buyer escalates to the platform.
        _login(page, live_server, buyer)
        page.goto(f"/disputes/{dispute.pk}/")
        assert page.get_by_text("The other side offers: Partial refund, 5.00").is_visible()
        page.get_by_label("Why should the platform decide?").fill("The listing said black.")
        page.get_by_role("button", name="Escalate to the platform").click()
        page.get_by_text("The platform will now decide the case.").wait_for()

        # A dispute resolver decides in the admin.
        _login(page, live_server, staff)
        page.goto(f"/admin/disputes/dispute/{dispute.pk}/change/")
        assert page.get_by_text("Ordered black, received pink.").first.is_visible()
        page.get_by_role("link", name="Resolve").click()
        page.get_by_label("Full refund").check()
        page.get_by_label("Seller").check()
        page.get_by_label("Note to both parties").fill("The listing shows black only.")
        page.get_by_role("button", name="Decide").click()
        page.get_by_text(re.compile(r"is resolved: Full refund")).wait_for()

        # The seller sees the penalty on the dashboard.
        _login(page, live_server, seller)
        page.goto(f"/seller/{store.slug}/")
        assert page.get_by_text("Penalty points: 2").is_visible()
        assert page.get_by_text("Item not as described").is_visible()

    dispute.refresh_from_db()
    assert (dispute.status, dispute.resolution, dispute.responsibility) == ("resolved", "full_refund", "seller")
    assert PenaltyEntry.objects.filter(dispute=dispute, points=2).count() == 1
