"""Chromium: the score's charts, the store's standing and what waits pass axe and fit a phone."""

import os
from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone

from feedback.models import FeedbackWindow
from feedback.tests.conftest import buyer_rates, complete_order, seller_rates
from feedback.tests.test_browser import log_in
from portal.models import Order
from portal.tests.factories import ProductFactory, UserFactory, make_order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


WIDER_THAN_SCREEN = """Array.from(document.querySelectorAll('body *'))
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1).slice(0, 5)
  .map(e => e.tagName + '.' + e.className)"""


def serious_violations(page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes)"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_charts_standing_and_actions_pass_axe_and_fit_a_phone(browser_page, live_server, store, seller, buyer):
    now = timezone.now()
    for n, stars in enumerate((5, 4, 5, 2, 3, 5, 1, 5, 4, 5)):
        rater = UserFactory()
        order = complete_order(rater, store, at=now - timedelta(days=3 + 11 * n), items=1)
        window = FeedbackWindow.objects.select_related("order").get(order=order)
        at = now - timedelta(days=2 + 11 * n)
        buyer_rates(window, rater, stars=stars, now=at)
        seller_rates(window, seller, now=at + timedelta(hours=1))
    product = ProductFactory(store=store, slug="charted")
    order = make_order(buyer=buyer, store=store, status=Order.Status.PAID, products=[product])
    complete_order(UserFactory(), store, at=now - timedelta(days=1), items=1)  # a buyer to rate
    page = browser_page
    log_in(page.context, seller, live_server)
    seller_pages = ["/", f"/stores/{store.slug}/", f"/seller/{store.slug}/", f"/stores/{store.slug}/products/charted/"]
    problems = {}
    for url in seller_pages:
        page.goto(url)
        problems[url] = serious_violations(page)
    page.context.clear_cookies()
    log_in(page.context, buyer, live_server)
    page.goto(f"/orders/{order.pk}/")
    problems["order"] = serious_violations(page)
    assert {url: found for url, found in problems.items() if found} == {}

    page.context.clear_cookies()
    log_in(page.context, seller, live_server)
    shots = os.environ.get("OPINIA_SCREENSHOTS")
    for width in (1280, 360):
        page.set_viewport_size({"width": width, "height": 900})
        for url in seller_pages:
            page.goto(url)
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            wide = page.evaluate(WIDER_THAN_SCREEN) if overflow > 0 else []
            assert overflow <= 0, (url, width, overflow, wide)
            if shots:
                name = url.strip("/").replace("/", "_") or "home"
                page.screenshot(path=f"{shots}/{name}-{width}.png", full_page=True)
    page.goto(f"/stores/{store.slug}/")
    # Ten weeks with a rating; the week of the 3★ alone has no positive or negative, so no bar.
    assert page.locator("#chart-weeks svg[role=img] rect.chart-bar").count() == 9
    assert page.locator("#chart-stars svg[role=img] rect.chart-bar").count() == 5
