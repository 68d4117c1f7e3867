"""In real Chromium: sign up, confirm the e-mail from the outbox, log in, see the orders, switch to Polish."""

import re

import pytest
from django.core import mail
from django.utils import translation

from portal.models import Order, User
from portal.tests.factories import StoreFactory, make_order


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_sign_up_confirm_log_in_see_orders_and_switch_to_polish(browser_page, live_server):
    page = browser_page
    page.goto("/accounts/signup/")
    page.locator("input[name=email]").fill("newbuyer@example.com")
    page.get_by_label("Display name").fill("Nora New")
    page.locator("input[name=password1]").fill("a-long-enough passphrase 42")
    page.locator("input[name=password2]").fill("a-long-enough passphrase 42")
    page.get_by_role("button", name="Sign Up").click()
    page.wait_for_url(re.compile("/accounts/confirm-email/"))
    assert "Verify Your Email Address" in page.content()

    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.outbox[0].body)
    assert link, mail.outbox[0].body
    page.goto(link.group(0))
    page.get_by_role("button", name="Confirm").click()

    page.goto("/accounts/login/")
    page.locator("input[name=login]").fill("newbuyer@example.com")
    page.locator("input[name=password]").fill("a-long-enough passphrase 42")
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(f"{live_server.url}/")

    user = User.objects.get(email="newbuyer@example.com")
    order = make_order(buyer=user, store=StoreFactory(), status=Order.Status.SHIPPED)
    page.get_by_role("link", name="My orders", exact=True).click()
    page.wait_for_url(re.compile("/orders/"))
    assert order.number in page.content()

    # The switch applies on change: its button is only for browsers without JavaScript.
    assert not page.get_by_role("button", name="Change").is_visible()
    page.get_by_label("Language").select_option("pl")
    page.wait_for_load_state("load")
    page.wait_for_selector("html[lang=pl]")
    with translation.override("pl"):
        polish_heading = translation.gettext("My orders")
    assert polish_heading != "My orders", "the Polish catalogue is not compiled"
    assert page.get_by_role("heading", name=polish_heading).is_visible()
    user.refresh_from_db()
    assert user.language == "pl"

    # Remembered on the user: a fresh browser session after logging in again is Polish too.
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.locator("input[name=login]").fill("newbuyer@example.com")
    page.locator("input[name=password]").fill("a-long-enough passphrase 42")
    page.locator("form[action*=login] button[type=submit]").click()
    page.wait_for_selector("html[lang=pl]")
