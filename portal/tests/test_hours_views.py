"""Store settings for hours and holidays, the busy switch and the store page: bad input kept with
messages beside the fields, another store's holiday a 404."""

import re
from datetime import UTC, date, datetime, time

import time_machine
from django.urls import reverse

from portal.models import StoreHoliday, WorkingHours
from portal.tests.factories import StoreFactory


def week_data(**days):
    """The settings form with Monday–Sunday closed except `days` ({"2": {"opens_at": "09:00", ...}})."""
    data = {
        "store-name": "Bob's Gadgets",
        "store-time_zone": "Europe/Warsaw",
        "store-auto_reply": "",
        "store-busy_reply": "",
        "hours-TOTAL_FORMS": "7",
        "hours-INITIAL_FORMS": "7",
        "hours-MIN_NUM_FORMS": "7",
        "hours-MAX_NUM_FORMS": "7",
    }
    for day in range(7):
        data[f"hours-{day}-weekday"] = str(day)
        for field, value in days.get(str(day), {}).items():
            data[f"hours-{day}-{field}"] = value
        if str(day) in days:
            data[f"hours-{day}-is_open"] = "on"
    return data


def error_beside(html, field_id):
    """The error list printed right after the input `field_id` (the interval's own cell)."""
    found = re.search(rf'id="{field_id}"[^>]*>.*?<ul class="errorlist">(.*?)</ul>', html, flags=re.S)
    return found.group(1) if found else ""


def test_overnight_hours_and_a_lunch_break_are_saved_from_the_form(client, store, seller):
    client.force_login(seller)
    data = week_data(
        **{
            "0": {"opens_at": "07:00", "closes_at": "01:00"},
            "2": {"opens_at": "09:00", "closes_at": "13:00", "opens_at_2": "14:00", "closes_at_2": "18:00"},
        }
    )
    response = client.post(reverse("portal:store_settings", args=[store.slug]), data)
    assert response.status_code == 302
    assert list(store.working_hours.values_list("weekday", "opens_at", "closes_at")) == [
        (0, time(7), time(1)),
        (2, time(9), time(13)),
        (2, time(14), time(18)),
    ]
    page = client.get(reverse("portal:store_settings", args=[store.slug])).content.decode()
    assert 'name="hours-2-opens_at_2" value="14:00"' in page


def test_an_hour_past_24_is_refused_beside_the_field_and_kept(client, store, seller):
    client.force_login(seller)
    data = week_data(**{"2": {"opens_at": "09:00", "closes_at": "25:00"}})
    response = client.post(reverse("portal:store_settings", args=[store.slug]), data)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'value="25:00"' in html
    assert "Enter a time of day from 00:00 to 23:59" in error_beside(html, "id_hours-2-closes_at")
    assert not WorkingHours.objects.filter(store=store).exists()


def test_overlapping_intervals_of_one_day_are_refused_beside_the_later_one(client, store, seller):
    client.force_login(seller)
    data = week_data(
        **{"2": {"opens_at": "09:00", "closes_at": "13:00", "opens_at_2": "12:00", "closes_at_2": "18:00"}}
    )
    response = client.post(reverse("portal:store_settings", args=[store.slug]), data)
    html = response.content.decode()
    assert "This interval overlaps Wednesday" in error_beside(html, "id_hours-2-opens_at_2")
    assert 'value="12:00"' in html
    assert not WorkingHours.objects.filter(store=store).exists()


def test_an_empty_or_half_filled_interval_is_refused(client, store, seller):
    client.force_login(seller)
    data = week_data(**{"2": {"opens_at": "09:00", "closes_at": "09:00", "opens_at_2": "14:00"}})
    html = client.post(reverse("portal:store_settings", args=[store.slug]), data).content.decode()
    assert "must not open and close at the same time" in error_beside(html, "id_hours-2-closes_at")
    assert "Give the closing time of this interval." in error_beside(html, "id_hours-2-closes_at_2")


def test_a_holiday_ending_before_it_starts_is_refused_beside_the_field(client, store, seller):
    client.force_login(seller)
    response = client.post(
        reverse("portal:store_holiday_add", args=[store.slug]),
        {"holiday-starts_on": "2026-08-10", "holiday-ends_on": "2026-08-01", "holiday-auto_reply": "Gone fishing"},
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert re.search(r"The last day cannot be before the first day\..*?id=\"id_holiday-ends_on\"", html, flags=re.S)
    assert 'value="2026-08-01"' in html
    assert "Gone fishing" in html
    assert not StoreHoliday.objects.exists()


def test_a_holiday_is_added_and_removed_by_the_owner(client, store, seller):
    client.force_login(seller)
    with time_machine.travel(datetime(2026, 8, 1, tzinfo=UTC), tick=False):
        client.post(
            reverse("portal:store_holiday_add", args=[store.slug]),
            {"holiday-starts_on": "2026-08-10", "holiday-ends_on": "2026-08-20"},
        )
        holiday = StoreHoliday.objects.get(store=store)
        assert holiday.starts_on == date(2026, 8, 10)
        assert (
            "No holidays planned."
            not in client.get(reverse("portal:store_settings", args=[store.slug])).content.decode()
        )
    client.post(reverse("portal:store_holiday_delete", args=[store.slug, holiday.pk]))
    assert not StoreHoliday.objects.exists()


def test_another_stores_holiday_is_a_404(client, store, seller, other_seller, agent):
    theirs = StoreFactory(owner=other_seller, slug="elsewhere")
    holiday = StoreHoliday.objects.create(store=theirs, starts_on=date(2026, 8, 1), ends_on=date(2026, 8, 2))
    client.force_login(seller)
    # Their holiday's id under my store's address, and my address is not theirs.
    assert client.post(reverse("portal:store_holiday_delete", args=[store.slug, holiday.pk])).status_code == 404
    assert client.post(reverse("portal:store_holiday_delete", args=[theirs.slug, holiday.pk])).status_code == 404
    # An agent is not the owner: holidays are the owner's settings.
    client.force_login(agent)
    mine = StoreHoliday.objects.create(store=store, starts_on=date(2026, 8, 1), ends_on=date(2026, 8, 2))
    assert client.post(reverse("portal:store_holiday_delete", args=[store.slug, mine.pk])).status_code == 404
    assert StoreHoliday.objects.count() == 2


def test_the_busy_switch_and_the_store_page(client, store, agent, other_buyer):
    for day in range(7):
        WorkingHours.objects.create(store=store, weekday=day, opens_at=time(9), closes_at=time(18))
    now = datetime(2026, 1, 14, 3, tzinfo=UTC)  # 11:00 in Shanghai
    page = reverse("portal:store_page", args=[store.slug])
    with time_machine.travel(now, tick=False):
        assert "Open now" in client.get(page).content.decode()
        client.force_login(other_buyer)
        assert client.post(reverse("portal:store_busy", args=[store.slug]), {"busy": "on"}).status_code == 404
        client.force_login(agent)
        response = client.post(reverse("portal:store_busy", args=[store.slug]), {"busy": "on", "next": "/messages/"})
        assert response.status_code == 302
        assert response["Location"] == "/messages/"
        store.refresh_from_db()
        assert store.busy_until == datetime(2026, 1, 14, 10, tzinfo=UTC)  # 18:00 in Shanghai
        assert "very busy" in client.get(page).content.decode()
    with time_machine.travel(datetime(2026, 1, 14, 10, tzinfo=UTC), tick=False):
        html = client.get(page).content.decode()
        assert "very busy" not in html
        assert "Closed now" in html
        assert "Opens again" in html


def test_the_store_page_shows_a_holiday(client, store):
    StoreHoliday.objects.create(store=store, starts_on=date(2026, 1, 14), ends_on=date(2026, 1, 16))
    with time_machine.travel(datetime(2026, 1, 14, 3, tzinfo=UTC), tick=False):
        html = client.get(reverse("portal:store_page", args=[store.slug])).content.decode()
    assert "On holiday until" in html
