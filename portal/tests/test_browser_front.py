"""Chromium, with and without JavaScript: confirming receipt asks once more, the language switch
applies on change, the header folds into a menu on a phone, order tables fit a phone."""

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from portal.models import Order
from portal.tests.factories import make_order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(context, user, live_server):
    client = Client()
    client.force_login(user)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )


@pytest.fixture
def shipped(buyer, store, product):
    return make_order(buyer=buyer, store=store, status=Order.Status.SHIPPED, products=[product])


@pytest.fixture
def no_script_page(browser_page, live_server):
    context = browser_page.context.browser.new_context(base_url=live_server.url, java_script_enabled=False)
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def test_confirm_receipt_asks_in_a_dialog(browser_page, live_server, buyer, shipped):
    page = browser_page
    log_in(page.context, buyer, live_server)
    page.goto(reverse("portal:order_detail", args=[shipped.pk]))
    page.get_by_role("link", name="Confirm receipt").click()
    dialog = page.get_by_role("dialog", name="Confirm receipt")
    assert dialog.is_visible()
    assert "cannot be undone" in dialog.inner_text()
    dialog.get_by_role("button", name="Not yet").click()
    expect(dialog).to_be_hidden()
    shipped.refresh_from_db()
    assert shipped.status == Order.Status.SHIPPED

    page.get_by_role("link", name="Confirm receipt").click()
    with page.expect_navigation():
        dialog.get_by_role("button", name="Yes, I received my order").click()
    shipped.refresh_from_db()
    assert shipped.status == Order.Status.COMPLETED


def test_confirm_receipt_asks_on_a_page_without_javascript(no_script_page, live_server, buyer, shipped):
    page = no_script_page
    log_in(page.context, buyer, live_server)
    page.goto(reverse("portal:order_detail", args=[shipped.pk]))
    page.get_by_role("link", name="Confirm receipt").click()
    page.wait_for_url(re.compile(r"/orders/\d+/confirm/$"))
    assert page.get_by_text("This starts the 45-day feedback window and cannot be undone.").is_visible()
    shipped.refresh_from_db()
    assert shipped.status == Order.Status.SHIPPED
    page.get_by_role("button", name="Yes, I received my order").click()
    page.wait_for_url(re.compile(r"/orders/\d+/$"))
    shipped.refresh_from_db()
    assert shipped.status == Order.Status.COMPLETED


def test_language_switch_applies_on_change(browser_page, live_server, buyer):
    page = browser_page
    log_in(page.context, buyer, live_server)
    page.goto(reverse("portal:order_list"))
    assert not page.locator(".lang-form button").is_visible()
    page.get_by_label("Language").select_option("ko")
    page.wait_for_selector("html[lang=ko]")
    assert page.url.endswith(reverse("portal:order_list"))
    buyer.refresh_from_db()
    assert buyer.language == "ko"


def test_language_switch_works_without_javascript(no_script_page, live_server, buyer):
    page = no_script_page
    log_in(page.context, buyer, live_server)
    page.goto(reverse("portal:order_list"))
    page.get_by_label("Language").select_option("pl")
    page.get_by_role("button", name="Change").click()
    page.wait_for_selector("html[lang=pl]")


def test_header_is_one_line_with_a_keyboard_menu_on_a_phone(browser_page, live_server, buyer, store):
    page = browser_page
    log_in(page.context, buyer, live_server)
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto("/")
    header = page.locator("header.topbar")
    assert header.bounding_box()["height"] < 64  # one line: the brand and the menu button
    orders_link = page.get_by_role("link", name="My orders", exact=True)
    assert not orders_link.is_visible()
    menu = page.locator("summary.nav-menu-button")
    expect(menu).to_have_attribute("aria-expanded", "false")
    menu.focus()
    page.keyboard.press("Enter")
    # The script follows the menu's `toggle` event, which fires after the key press returns.
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(orders_link).to_be_visible()
    page.keyboard.press("Enter")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(orders_link).to_be_hidden()

    # At a desktop width the links are on show and the button is not.
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto("/")
    assert page.get_by_role("link", name="My orders", exact=True).is_visible()
    assert not menu.is_visible()


def test_order_tables_fit_a_phone_without_scrolling_sideways(browser_page, live_server, buyer, store, product):
    orders = [
        make_order(buyer=buyer, store=store, status=status, products=[product])
        for status in (Order.Status.SHIPPED, Order.Status.COMPLETED, Order.Status.PAID)
    ]
    page = browser_page
    page.set_viewport_size({"width": 360, "height": 740})
    log_in(page.context, buyer, live_server)
    urls = ["/", reverse("portal:order_list"), reverse("portal:order_detail", args=[orders[0].pk])]
    clipped = {}
    for url in urls:
        page.goto(url)
        clipped[url] = page.evaluate(
            "[...document.querySelectorAll('.table-wrap')].filter(w => w.scrollWidth > w.clientWidth).length"
        )
        # every cell names its column
        assert (
            page.locator("table.stack td[data-label]")
            .first.evaluate("td => getComputedStyle(td, '::before').content")
            .strip('"')
        ), url
    page.context.clear_cookies()
    log_in(page.context, store.owner, live_server)
    url = reverse("portal:store_dashboard", args=[store.slug])
    page.goto(url)
    clipped[url] = page.evaluate(
        "[...document.querySelectorAll('.table-wrap')].filter(w => w.scrollWidth > w.clientWidth).length"
    )
    assert {url: n for url, n in clipped.items() if n} == {}
