"""axe-core in real Chromium over the core's pages: no serious or critical violations, usable at phone width."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from portal.models import Order
from portal.tests.factories import make_order

PASSWORD = "correct horse battery staple"


def serious_violations(page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes)"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def log_in(page, email):
    page.goto("/accounts/login/")
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_load_state("load")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_core_pages_have_no_serious_accessibility_violations(browser_page, buyer, store, product):
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(user=buyer, email=buyer.email, primary=True, verified=True)
    EmailAddress.objects.create(user=store.owner, email=store.owner.email, primary=True, verified=True)
    order = make_order(buyer=buyer, store=store, status=Order.Status.SHIPPED, products=[product])
    page = browser_page
    public = [
        "/",
        "/accounts/login/",
        "/accounts/signup/",
        f"/stores/{store.slug}/",
        f"/stores/{store.slug}/products/{product.slug}/",
    ]
    problems = {}
    for url in public:
        page.goto(url)
        problems[url] = serious_violations(page)
    log_in(page, buyer.email)
    for url in ["/", "/orders/", f"/orders/{order.pk}/", "/account/profile/"]:
        page.goto(url)
        problems[url] = serious_violations(page)
    page.context.clear_cookies()
    log_in(page, store.owner.email)
    for url in [
        f"/seller/{store.slug}/",
        f"/seller/{store.slug}/settings/",
        f"/seller/{store.slug}/orders/{order.pk}/",
    ]:
        page.goto(url)
        problems[url] = serious_violations(page)
    assert {url: found for url, found in problems.items() if found} == {}


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_pages_fit_a_phone_screen(browser_page, buyer, store, product):
    page = browser_page
    page.set_viewport_size({"width": 360, "height": 740})
    for url in ["/", f"/stores/{store.slug}/", f"/stores/{store.slug}/products/{product.slug}/", "/accounts/login/"]:
        page.goto(url)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, (url, overflow)
