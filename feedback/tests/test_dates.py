"""Sentences that end in a date: "The feedback window closes on Apr 16, 2026, 09:00." and never "a.m.."."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils.html import strip_tags

from feedback.models import FeedbackWindow
from feedback.tests.conftest import T0, complete_order

ENGLISH_MONTHS = re.compile(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\b")


@pytest.fixture
def window(buyer, store):
    """Completed at 09:00 UTC, so the window closes at 09:00 (Django's English said "9 a.m.")."""
    order = complete_order(buyer, store, at=T0, items=1)
    return FeedbackWindow.objects.select_related("order").get(order=order)


def _pages(window, store):
    return [
        ("buyer", reverse("portal:order_detail", args=[window.order_id])),
        ("buyer", reverse("feedback:review_form", args=[window.order_id])),
        ("seller", reverse("feedback:seller_rate", args=[store.slug, window.order_id])),
    ]


@pytest.mark.parametrize("language", [code for code, _name in settings.LANGUAGES])
def test_no_double_full_stop_after_a_time(client, buyer, seller, store, window, language):
    for user in (buyer, seller):
        user.language = language
        user.save()
    people = {"buyer": buyer, "seller": seller}
    for who, url in _pages(window, store):
        client.force_login(people[who])
        with time_machine.travel(T0 + timedelta(hours=1), tick=False):
            response = client.get(url)
        assert response.status_code == 200, url
        text = " ".join(strip_tags(response.content.decode()).split())
        assert ".." not in text, (url, text[text.find("..") - 80 : text.find("..") + 5])
        if language == "en":
            assert "The feedback window closes on Apr 16, 2026, 09:00." in text, url
        else:
            assert not ENGLISH_MONTHS.search(text), (url, language)
            assert "a.m." not in text
