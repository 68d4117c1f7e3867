"""Chromium: the buyer rates with a photo and sees it sealed; the seller rates the buyer; both are
published on the product page; the seller replies."""

import io
import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from feedback.models import ItemReview
from feedback.tests.conftest import complete_order
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


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (400, 300), (30, 120, 200)).save(buffer, "JPEG")
    return buffer.getvalue()


def test_buyer_rates_with_a_photo_seller_rates_both_published_seller_replies(
    browser_page, live_server, buyer, seller, store, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    order = complete_order(buyer, store, at=timezone.now() - timedelta(hours=2), items=1)
    item = order.items.get()
    product_url = reverse("portal:product_page", args=[store.slug, item.product.slug])
    page = browser_page
    log_in(page.context, buyer, live_server)

    # The buyer opens the order and follows the panel's link.
    page.goto(reverse("portal:order_detail", args=[order.pk]))
    page.get_by_role("link", name="Rate this order").click()
    page.wait_for_url(re.compile(r"/feedback/orders/\d+/review/"))
    group = page.get_by_role("group", name=re.compile("Your rating"))
    assert group.count() == 1
    page.locator(f"label[for=id_stars_{item.pk}_3]").click()  # 4 stars
    assert page.locator(f"#id_stars_{item.pk}_3").is_checked()
    # The detailed ratings are keyboard-usable radios: focus one and press Space.
    page.locator("#id_communication_4").focus()
    page.keyboard.press("Space")
    assert page.locator("#id_communication_4").is_checked()
    page.locator(f"#id_text_{item.pk}").fill("Sturdy cable, charges fast.")
    page.locator(f"#id_photos_{item.pk}").set_input_files(
        [{"name": "cable.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}]
    )
    page.locator(f"#preview-{item.pk} img").wait_for()  # preview before sending
    page.get_by_role("button", name="Send feedback").click()
    page.wait_for_url(re.compile(r"/feedback/orders/\d+/review/$"))
    assert page.get_by_text("Sealed").first.is_visible()
    thumb = page.locator("img.thumb").first
    thumb.wait_for()
    assert image_shown(thumb)

    # Nobody else sees it yet.
    anonymous = Client()
    assert "Sturdy cable" not in anonymous.get(product_url).content.decode()

    # The seller sees only that the buyer has rated, and rates the buyer.
    page.context.clear_cookies()
    log_in(page.context, seller, live_server)
    page.goto(reverse("feedback:seller_rate", args=[store.slug, order.pk]))
    assert page.get_by_text("The buyer has rated this order.").is_visible()
    assert "Sturdy cable" not in page.content()
    page.locator("label[for=id_stars_4]").click()
    page.get_by_role("button", name="Rate the buyer").click()
    page.get_by_text("Sturdy cable, charges fast.").wait_for()

    # Both published: the product page shows the review and its photo to everyone.
    html = anonymous.get(product_url).content.decode()
    assert "Sturdy cable, charges fast." in html
    page.goto(product_url)
    public_thumb = page.locator("#reviews img.thumb").first
    public_thumb.scroll_into_view_if_needed()  # lazy-loaded below the fold
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=public_thumb.element_handle())

    # The seller replies from the dashboard's "awaiting reply" panel.
    page.goto(reverse("portal:store_dashboard", args=[store.slug]))
    page.get_by_role("link", name=item.product.title).first.click()
    page.wait_for_url(re.compile(r"/reply/$"))
    page.get_by_label("Your public reply").fill("Thank you, enjoy it!")
    page.get_by_role("button", name="Publish reply").click()
    page.wait_for_url(re.compile(r"/seller/"))
    page.goto(product_url)
    page.get_by_text("Thank you, enjoy it!").wait_for()
    assert ItemReview.objects.get(order_item=item).has_reply
