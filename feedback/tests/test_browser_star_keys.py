"""Chromium: the star input is a radio group whose arrow keys follow the visual order (WAI-ARIA).

Right/Down chooses the next star to the right, Left/Up the previous one, and the lit stars are
always the chosen one and those before it.
"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from feedback.tests.conftest import complete_order
from feedback.tests.test_browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LIT = "rgb(226, 162, 0)"


def chosen(page, name: str) -> str | None:
    return page.evaluate(f"document.querySelector('input[name=\"{name}\"]:checked')?.value ?? null")


def lit_stars(page, name: str) -> int:
    return page.evaluate(
        f"""[...document.querySelectorAll('input[name="{name}"] + label')]
            .filter(l => getComputedStyle(l).color === '{LIT}').length"""
    )


def test_arrow_keys_follow_the_visual_order_of_the_stars(browser_page, live_server, buyer, store):
    order = complete_order(buyer, store, at=timezone.now() - timedelta(hours=2), items=1)
    item = order.items.get()
    name = f"stars_{item.pk}"
    page = browser_page
    log_in(page.context, buyer, live_server)
    page.goto(reverse("feedback:review_form", args=[order.pk]))

    labels = page.locator(f'input[name="{name}"] + label')
    xs = [labels.nth(i).bounding_box()["x"] for i in range(5)]
    values = page.evaluate(f"""[...document.querySelectorAll('input[name="{name}"]')].map(i => i.value)""")
    assert [v for _x, v in sorted(zip(xs, values, strict=True))] == ["1", "2", "3", "4", "5"]

    page.locator(f'input[name="{name}"][value="1"] + label').click()
    assert chosen(page, name) == "1"
    page.mouse.move(0, 0)  # hovering lights stars too; measure the choice alone
    assert lit_stars(page, name) == 1

    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert chosen(page, name) == "3"
    assert lit_stars(page, name) == 3
    page.keyboard.press("ArrowDown")
    assert chosen(page, name) == "4"
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowUp")
    assert chosen(page, name) == "2"
    assert lit_stars(page, name) == 2
