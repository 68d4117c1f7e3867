"""Chromium at a phone's width, by keyboard: the open form and the case page with a ticking deadline."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from disputes.models import Dispute
from disputes.tests.helpers import open_dispute
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


def _fits(page) -> bool:
    """No sideways scrolling of the page (wide tables scroll inside their own .table-wrap)."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_open_form_and_case_page_on_a_phone_by_keyboard(browser_page, live_server, buyer, seller, store):
    page = browser_page
    page.set_viewport_size({"width": 360, "height": 740})
    order = make_order(buyer=buyer, store=store, status=Order.Status.SHIPPED, at=timezone.now() - timedelta(days=3))
    _login(page, live_server, buyer)

    page.goto(f"/disputes/open/{order.pk}/")
    assert _fits(page)
    amount = page.locator("[data-amount-field]")
    assert amount.is_hidden()
    # Keyboard only: the outcome radios are one group; arrows move the choice to "Partial refund".
    page.locator("input[name=requested_outcome]").first.focus()
    page.keyboard.press("Space")
    page.keyboard.press("ArrowDown")
    assert page.locator("input[name=requested_outcome][value=partial_refund]").is_checked()
    assert amount.is_visible()
    page.keyboard.press("Tab")
    page.keyboard.type("3.00")
    page.fill("textarea[name=description]", "Pink, not black.")
    page.get_by_role("button", name="Open the dispute").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/disputes/*/")
    dispute = Dispute.objects.get(order=order)
    assert (dispute.requested_outcome, str(dispute.requested_amount)) == ("partial_refund", "3.00")
    assert _fits(page)


def test_a_deadline_under_a_day_ticks_on_the_case_page(browser_page, live_server, buyer, seller, store):
    page = browser_page
    page.set_viewport_size({"width": 360, "height": 740})
    # Opened 4 days 22 hours ago: the seller has about 2 hours left.
    dispute = open_dispute(buyer=buyer, store=store, now=timezone.now() - timedelta(days=4, hours=22))
    _login(page, live_server, seller)
    page.goto(f"/disputes/{dispute.pk}/")
    clock = page.locator("[data-clock]").first
    text = clock.inner_text()
    assert re.fullmatch(r"The seller has 1 h 5\d min to respond\.", text), text
    assert _fits(page)


def _serious_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes)"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_every_dispute_page_fits_a_phone_without_serious_accessibility_violations(
    browser_page, live_server, buyer, seller, store, staff
):
    from disputes.services.complaints import complaint_submit

    page = browser_page
    page.set_viewport_size({"width": 360, "height": 740})
    dispute = open_dispute(buyer=buyer, store=store, now=timezone.now() - timedelta(days=1))
    order = make_order(buyer=buyer, store=store, status=Order.Status.SHIPPED, at=timezone.now() - timedelta(days=3))
    complaint = complaint_submit(author=buyer, subject="site", text="The language menu forgets me.", now=timezone.now())
    problems = {}
    _login(page, live_server, buyer)
    for url in (
        "/disputes/",
        f"/disputes/open/{order.pk}/",
        f"/disputes/{dispute.pk}/",
        "/disputes/complaints/",
        "/disputes/complaints/new/",
        f"/disputes/complaints/{complaint.pk}/",
    ):
        page.goto(url)
        assert _fits(page), url
        problems[url] = _serious_violations(page)
    _login(page, live_server, seller)
    for url in (
        f"/disputes/{dispute.pk}/",
        f"/disputes/store/{store.slug}/",
        f"/disputes/store/{store.slug}/penalties/",
    ):
        page.goto(url)
        assert _fits(page), url
        problems[url] = _serious_violations(page)
    assert {url: found for url, found in problems.items() if found} == {}
