"""Chromium: a buyer writes with a photo from a product page; the seller sees it live and answers."""

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from messaging.models import Conversation
from messaging.tests.conftest import jpeg_bytes
from portal.tests.browser import image_shown

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


def test_buyer_and_seller_talk_live_with_a_photo(
    browser_page, live_server, buyer, seller, store, product, open_all_week
):
    buyer_page = browser_page
    seller_context = buyer_page.context.browser.new_context(base_url=live_server.url, locale="en-US")
    seller_context.set_default_timeout(15_000)
    seller_page = seller_context.new_page()
    try:
        log_in(buyer_page.context, buyer, live_server)
        log_in(seller_context, seller, live_server)

        # The seller keeps the store's inbox open.
        seller_page.goto(reverse("messaging:store_inbox", args=[store.slug]))
        seller_page.evaluate("window.__notReloaded = true")
        assert seller_page.locator(".inbox-row").count() == 0

        # The buyer writes from the product page, with a photo.
        buyer_page.goto(reverse("portal:product_page", args=[store.slug, product.slug]))
        buyer_page.locator("#seller_text").fill("Does it come in black?")
        buyer_page.locator("#seller_photos").set_input_files(
            [{"name": "cable.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes(size=(640, 480))}]
        )
        buyer_page.get_by_role("button", name="Send to the seller").click()
        buyer_page.wait_for_url(re.compile(r"/messages/c/\d+/"))
        conversation = Conversation.objects.get(buyer=buyer, store=store)
        buyer_thumb = buyer_page.locator("#thread img.thumb").first
        buyer_thumb.wait_for()
        assert image_shown(buyer_thumb)

        # The seller's inbox shows it without a reload (htmx polling).
        row = seller_page.locator(f'.inbox-row[data-conversation="{conversation.pk}"]')
        row.wait_for()
        assert "Does it come in black?" in row.inner_text()
        assert seller_page.evaluate("window.__notReloaded === true")

        # The seller opens the thread; the buyer adds a line; it appears live in the thread.
        row.get_by_role("link").click()
        seller_page.wait_for_url(f"**/messages/c/{conversation.pk}/")
        seller_thumb = seller_page.locator("#thread img.thumb").first
        seller_thumb.wait_for()
        assert image_shown(seller_thumb)
        seller_page.evaluate("window.__notReloaded = true")
        buyer_page.locator("#composer textarea").fill("Is there a warranty?")
        buyer_page.locator("#composer").get_by_role("button", name="Send", exact=True).click()
        seller_page.locator("#thread .msg", has_text="Is there a warranty?").wait_for()
        assert seller_page.evaluate("window.__notReloaded === true")

        # The buyer leaves the thread; the seller answers; the buyer's badge lights up.
        buyer_page.goto(reverse("portal:home"))
        seller_page.locator("#composer textarea").fill("Yes, black is in stock, and there is a 1-year warranty.")
        seller_page.locator("#composer").get_by_role("button", name="Send", exact=True).click()
        seller_page.locator("#thread .msg.mine", has_text="1-year warranty").wait_for()
        badge = buyer_page.locator("#nav-messages .badge")
        badge.wait_for()
        assert badge.get_attribute("data-unread") == "1"

        # The buyer opens the conversation and sees the answer, as the store, and the photo.
        buyer_page.locator("#nav-messages").click()
        buyer_page.locator(f'.inbox-row[data-conversation="{conversation.pk}"] a').click()
        answer = buyer_page.locator("#thread .msg", has_text="1-year warranty")
        answer.wait_for()
        assert store.name in answer.inner_text()
        assert seller.public_name not in answer.inner_text()
        thumb = buyer_page.locator("#thread img.thumb").first
        thumb.wait_for()
        assert image_shown(thumb)
        buyer_page.locator("#nav-messages:not(:has(.badge))").wait_for()
    finally:
        seller_context.close()
