"""A store's week reads the same on its public page and beside a conversation: every day, closed ones too."""

import re
from datetime import UTC, datetime, time

import time_machine
from django.urls import reverse

from messaging import services as messaging_services
from portal.models import WorkingHours

SATURDAY_NOON_IN_SHANGHAI = datetime(2026, 2, 7, 4, 0, tzinfo=UTC)


def week_block(html: str) -> str:
    match = re.search(r'<ul class="plain week-hours">.*?</ul>', html, flags=re.S)
    assert match, "no week of working hours on the page"
    return match.group(0)


def days(block: str) -> list[str]:
    return [" ".join(re.sub(r"<[^>]+>", "", li).split()) for li in re.findall(r"<li[^>]*>(.*?)</li>", block, re.S)]


def test_store_page_lists_closed_days_like_the_thread(client, store, buyer):
    """Defect 10: the store page left Sunday out; the thread's panel said "Sunday: closed"."""
    for day in range(6):
        WorkingHours.objects.create(store=store, weekday=day, opens_at=time(9), closes_at=time(18))
    with time_machine.travel(SATURDAY_NOON_IN_SHANGHAI, tick=False):
        message, _created = messaging_services.conversation_start(
            buyer=buyer, store=store, text="Open on Sunday?", now=SATURDAY_NOON_IN_SHANGHAI
        )
        public = client.get(reverse("portal:store_page", args=[store.slug])).content.decode()
        client.force_login(buyer)
        thread = client.get(reverse("messaging:thread", args=[message.conversation_id])).content.decode()
    assert days(week_block(public)) == [
        "Monday: 09:00–18:00",
        "Tuesday: 09:00–18:00",
        "Wednesday: 09:00–18:00",
        "Thursday: 09:00–18:00",
        "Friday: 09:00–18:00",
        "Saturday: 09:00–18:00",
        "Sunday: closed",
    ]
    # One rendering for both: the same list, today marked in the store's own zone.
    assert week_block(public) == week_block(thread)
    assert '<li aria-current="date"><strong>Saturday: 09:00–18:00</strong></li>' in public


def test_store_page_week_is_translated(client, store):
    WorkingHours.objects.create(store=store, weekday=2, opens_at=time(10), closes_at=time(16))
    client.cookies["django_language"] = "pl"
    html = client.get(reverse("portal:store_page", args=[store.slug]), headers={"accept-language": "pl"})
    listed = days(week_block(html.content.decode()))
    assert len(listed) == 7
    assert listed[2] == "Środa: 10:00–16:00"
    assert listed[6] == "Niedziela: nieczynne"


def test_a_store_without_hours_says_so(client, store):
    html = client.get(reverse("portal:store_page", args=[store.slug])).content.decode()
    assert "The store has not published its working hours." in html
    assert "week-hours" not in html
