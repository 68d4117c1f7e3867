"""Dates and times: the portal's own formats in every language, and a store's clock in its zone."""

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.template import Context, Template
from django.urls import reverse
from django.utils import formats, translation
from django.utils.formats import date_format

from portal.models import Order
from portal.tests.factories import make_order

MOMENT = datetime(2027, 1, 16, 1, 51, tzinfo=UTC)
FORMATS = ["DATE_FORMAT", "DATETIME_FORMAT", "SHORT_DATE_FORMAT", "SHORT_DATETIME_FORMAT", "TIME_FORMAT"]
ENGLISH_MONTHS = re.compile(
    r"\b(January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\b"
)
ENGLISH_TIME = re.compile(r"\b(a\.m\.|p\.m\.|AM|PM|noon|midnight)")


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Jan 16, 2027, 01:51"),
        ("pl", "16 stycznia 2027, 01:51"),
        ("zh-hans", "2027年1月16日 01:51"),
        ("ko", "2027년 1월 16일 01:51"),
        ("gu", "16 જાન્યુઆરી 2027, 01:51"),
    ],
)
def test_each_language_prints_a_moment_in_its_own_format(language, expected):
    with translation.override(language):
        assert date_format(MOMENT, "DATETIME_FORMAT") == expected
        # One style per page: the short formats that lists use read like the long ones.
        assert date_format(MOMENT, "SHORT_DATETIME_FORMAT") == expected
        assert date_format(MOMENT.date(), "SHORT_DATE_FORMAT") == date_format(MOMENT.date(), "DATE_FORMAT")


@pytest.mark.parametrize("language", ["pl", "zh-hans", "ko", "gu"])
@pytest.mark.parametrize("month", range(1, 13))
def test_no_english_month_or_time_of_day_outside_english(language, month):
    moment = datetime(2026, month, 3, 13, 5, tzinfo=UTC)
    with translation.override(language):
        for name in [*FORMATS, "YEAR_MONTH_FORMAT", "MONTH_DAY_FORMAT"]:
            text = date_format(moment, name)
            assert not ENGLISH_MONTHS.search(text), (name, text)
            assert not ENGLISH_TIME.search(text), (name, text)


@pytest.mark.parametrize("language", [code for code, _name in settings.LANGUAGES])
def test_no_format_ends_in_a_full_stop_or_drops_the_minutes(language):
    """A sentence puts its own full stop after a date ("closes on %(when)s."): never "a.m.."."""
    midnight = datetime(2027, 1, 16, 0, 0, tzinfo=UTC)
    with translation.override(language):
        for name in FORMATS:
            assert not formats.get_format(name).endswith("."), name
            assert not date_format(MOMENT, name).endswith("."), name
        # "P" printed "1 a.m." next to "1:55 a.m.": every time keeps its minutes.
        assert date_format(midnight, "TIME_FORMAT") == "00:00"


def test_gujarati_order_list_shows_gujarati_dates_in_the_buyers_zone(client, buyer, store):
    make_order(buyer=buyer, store=store, at=datetime(2026, 11, 22, 1, 48, tzinfo=UTC))
    buyer.language = "gu"
    buyer.time_zone = "Asia/Kolkata"
    buyer.save()
    client.force_login(buyer)
    html = client.get(reverse("portal:order_list")).content.decode()
    assert "22 નવેમ્બર 2026, 07:18" in html  # 01:48 UTC is 07:18 in Kolkata
    assert not ENGLISH_MONTHS.search(html)
    assert "a.m." not in html
    assert "11/22/2026" not in html


def test_store_page_shows_the_stores_clock_to_a_viewer_in_another_zone(client, buyer, store):
    """01:01 UTC is 02:01 in Warsaw and already 09:01 in Shanghai."""
    buyer.time_zone = "Europe/Warsaw"
    buyer.save()
    client.force_login(buyer)
    with time_machine.travel(datetime(2026, 11, 21, 1, 1, tzinfo=UTC), tick=False):
        html = client.get(reverse("portal:store_page", args=[store.slug])).content.decode()
    assert "Local time at the store: Sat 09:01 (Asia/Shanghai)" in html
    assert "02:01" not in html


def test_store_page_clock_shows_the_stores_weekday(client, store):
    """Friday evening in UTC is already Saturday morning at the store."""
    with time_machine.travel(datetime(2026, 11, 20, 20, 30, tzinfo=UTC), tick=False):
        html = client.get(reverse("portal:store_page", args=[store.slug])).content.decode()
    assert "Local time at the store: Sat 04:30 (Asia/Shanghai)" in html


def test_store_local_time_tag_and_filter_keep_the_stores_zone(store):
    template = Template(
        "{% load tz portal_dates %}{% timezone 'America/New_York' %}"
        "{% store_local_time store now %}|{{ now|in_store_zone:store|time }}|{{ now|time }}{% endtimezone %}"
    )
    with translation.override("ko"):
        text = template.render(Context({"store": store, "now": MOMENT}))
    assert text == "토 09:51|09:51|20:51"


def test_order_page_dates_follow_the_readers_language(client, buyer, store):
    order = make_order(buyer=buyer, store=store, status=Order.Status.SHIPPED, at=MOMENT)
    buyer.language = "pl"
    buyer.save()
    client.force_login(buyer)
    html = client.get(reverse("portal:order_detail", args=[order.pk])).content.decode()
    assert "16 stycznia 2027, 01:51" in html
    assert not ENGLISH_MONTHS.search(html)


def test_working_hours_read_in_the_locale_time_format(store):
    from datetime import time

    from portal.models import WorkingHours

    hours = WorkingHours.objects.create(store=store, weekday=6, opens_at=time(9), closes_at=time(18))
    with translation.override("gu"):
        assert str(hours) == "રવિવાર 09:00–18:00"


def test_font_stack_names_the_noto_families_after_the_system_fonts():
    css = (Path(settings.BASE_DIR) / "static" / "css" / "site.css").read_text(encoding="utf-8")
    stacks = re.findall(r"font-family:\s*([^;]+);", css)
    body = next(stack for stack in stacks if stack.startswith("system-ui"))
    families = [family.strip().strip('"') for family in body.split(",")]
    for family in ["Noto Sans CJK SC", "Noto Sans SC", "Noto Sans CJK KR", "Noto Sans KR", "Noto Sans Gujarati"]:
        assert family in families, family
        assert families.index("system-ui") < families.index(family)
    assert families[-1] == "sans-serif"
    korean = re.search(r"body:lang\(ko\) \{ font-family:\s*([^;]+);", css)
    assert korean is not None
    assert korean.group(1).index("Noto Sans CJK KR") < korean.group(1).index("Noto Sans CJK SC")
    assert "@font-face" not in css  # the fonts a system has, never a download
