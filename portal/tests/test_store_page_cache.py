"""The store page's body is one cached part: every change to what it shows renews it at once.

Each test renders the page first (so the body is cached), changes the store the way the
product does (a service, the model's own save, the clock), and reads the page again.
"""

from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from django.urls import reverse

from portal import fragments, services
from portal.models import Product, WorkingHours
from portal.tests.factories import ProductFactory, StoreFactory

# 11:00 on a Monday in Shanghai (the store's zone, UTC+8).
MONDAY_MORNING = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)


def _page(client, store, **query):
    response = client.get(reverse("portal:store_page", args=[store.slug]), query)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def open_store(store):
    """Open 09:00–18:00 every weekday, store time."""
    for weekday in range(5):
        WorkingHours.objects.create(store=store, weekday=weekday, opens_at=time(9), closes_at=time(18))
    return store


def test_a_new_product_shows(client, store):
    assert "Solar lamp" not in _page(client, store)
    ProductFactory(store=store, title="Solar lamp")
    assert "Solar lamp" in _page(client, store)


def test_a_product_taken_off_sale_leaves(client, store, product):
    assert product.title in _page(client, store)
    product.is_active = False
    product.save(update_fields=["is_active"])
    assert product.title not in _page(client, store)


def test_a_product_moved_to_another_store_leaves_the_first(client, store, product):
    assert product.title in _page(client, store)
    other = StoreFactory(slug="elsewhere")
    product.store = other
    product.save(update_fields=["store"])
    services.product_listing_changed(product=product, changed=["store"])
    assert product.title not in _page(client, store)
    assert product.title in _page(client, other)


def test_a_renamed_store_shows_its_new_name(client, store, seller):
    assert "<h1>Bob&#x27;s Gadgets</h1>" in _page(client, store)
    services.store_update_settings(
        store=store, actor=seller, name="Bob's Lamps", time_zone=store.time_zone, auto_reply=""
    )
    html = _page(client, store)
    assert "<h1>Bob&#x27;s Lamps</h1>" in html
    assert "Bob&#x27;s Gadgets" not in html


def test_new_working_hours_show(client, store, seller):
    with time_machine.travel(MONDAY_MORNING, tick=False):
        assert "The store has not published its working hours." in _page(client, store)
        services.store_set_working_hours(
            store=store,
            actor=seller,
            intervals=[services.OpeningInterval(weekday=0, opens_at=time(10), closes_at=time(16))],
        )
        html = _page(client, store)
    assert "Monday: 10:00–16:00" in html
    assert "Open now" in html


def test_a_holiday_shows_and_leaves(client, open_store, seller):
    with time_machine.travel(MONDAY_MORNING, tick=False):
        assert "Open now" in _page(client, open_store)
        holiday = services.store_holiday_add(
            store=open_store, actor=seller, starts_on=date(2026, 3, 2), ends_on=date(2026, 3, 4)
        )
        assert "On holiday until" in _page(client, open_store)
        services.store_holiday_delete(store=open_store, actor=seller, holiday_id=holiday.pk)
        assert "Open now" in _page(client, open_store)


def test_the_busy_switch_shows(client, open_store, seller):
    with time_machine.travel(MONDAY_MORNING, tick=False):
        assert "very busy" not in _page(client, open_store)
        services.store_set_busy(store=open_store, actor=seller, busy=True, now=MONDAY_MORNING)
        assert "very busy" in _page(client, open_store)
        services.store_set_busy(store=open_store, actor=seller, busy=False, now=MONDAY_MORNING)
        assert "very busy" not in _page(client, open_store)


def test_the_store_closes_at_its_closing_time_to_the_second(client, open_store):
    closing = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # 18:00 in Shanghai
    with time_machine.travel(closing - timedelta(seconds=1), tick=False):
        assert "Open now" in _page(client, open_store)
    with time_machine.travel(closing, tick=False):
        html = _page(client, open_store)
    assert "Closed now" in html
    assert "Open now" not in html


def test_a_holiday_starts_at_the_store_midnight_to_the_second(client, open_store, seller):
    """The body cached a second before the store's midnight is not served at it."""
    services.store_holiday_add(store=open_store, actor=seller, starts_on=date(2026, 3, 3), ends_on=date(2026, 3, 4))
    midnight = datetime(2026, 3, 2, 16, 0, tzinfo=UTC)  # 00:00 on Tuesday 3 March in Shanghai
    with time_machine.travel(midnight - timedelta(seconds=1), tick=False):
        html = _page(client, open_store)
    assert "On holiday" not in html
    assert "Closed now" in html
    with time_machine.travel(midnight, tick=False):
        assert "On holiday until" in _page(client, open_store)


def test_the_store_local_time_moves_with_the_minute(client, store):
    with time_machine.travel(MONDAY_MORNING + timedelta(seconds=59), tick=False):
        assert "Local time at the store: Mon 11:00" in _page(client, store)
    with time_machine.travel(MONDAY_MORNING + timedelta(minutes=1), tick=False):
        assert "Local time at the store: Mon 11:01" in _page(client, store)


def test_the_store_own_people_and_visitors_each_get_their_own_body(client, store, agent, buyer):
    message_link = reverse("messaging:start", args=[store.slug])
    client.force_login(agent)
    assert message_link not in _page(client, store)
    client.logout()
    assert message_link in _page(client, store)
    client.force_login(buyer)
    assert message_link in _page(client, store)
    client.force_login(agent)
    assert message_link not in _page(client, store)


def test_the_sorts_and_positions_each_get_their_own_body(client, store):
    assert 'value="lowest" selected' not in _page(client, store)
    assert 'value="lowest" selected' in _page(client, store, sort="lowest")
    assert 'value="lowest" selected' not in _page(client, store)


# --- Parts within parts ------------------------------------------------------------------------


def _counting_build(value, valid_until=None):
    calls = []

    def build():
        calls.append(1)
        return value, valid_until

    return build, calls


def test_an_enclosing_part_holds_only_as_long_as_the_parts_inside(store):
    start = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
    inner_build, inner_calls = _counting_build("inner", start + timedelta(seconds=30))

    def outer():
        return fragments.cached(
            name="test.outer",
            topics=["feedback", "responses"],
            store_id=store.pk,
            build=lambda: (
                "outer:"
                + fragments.cached(name="test.inner", topics=["responses"], store_id=store.pk, build=inner_build),
                start + timedelta(hours=1),
            ),
        )

    with time_machine.travel(start, tick=False):
        assert outer() == "outer:inner"
    with time_machine.travel(start + timedelta(seconds=29), tick=False):
        assert outer() == "outer:inner"
    assert len(inner_calls) == 1
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        assert outer() == "outer:inner"
    assert len(inner_calls) == 2  # the outer part was rebuilt at the inner part's moment


def test_a_moment_told_in_the_build_bounds_the_part(store):
    start = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
    calls = []

    def build():
        calls.append(1)
        fragments.holds_until(start + timedelta(seconds=5))
        return "part", None

    for offset, expected_builds in ((0, 1), (4, 1), (5, 2)):
        with time_machine.travel(start + timedelta(seconds=offset), tick=False):
            fragments.cached(name="test.told", topics=["feedback"], store_id=store.pk, build=build)
        assert len(calls) == expected_builds


def test_an_inner_part_on_a_topic_the_enclosing_part_lacks_is_refused(store):
    def build():
        inner = fragments.cached(name="test.inner", topics=["penalties"], store_id=store.pk, build=lambda: ("x", None))
        return inner, None

    with pytest.raises(ValueError, match="penalties"):
        fragments.cached(name="test.outer", topics=["feedback"], store_id=store.pk, build=build)


def test_a_bulk_write_renews_through_its_service(client, store, seller):
    """The working hours are written in bulk (no save signal): the service renews the body itself."""
    with time_machine.travel(MONDAY_MORNING, tick=False):
        _page(client, store)
        services.store_set_working_hours(
            store=store,
            actor=seller,
            intervals=[services.OpeningInterval(weekday=day, opens_at=time(8), closes_at=time(12)) for day in range(7)],
        )
        assert "Sunday: 08:00–12:00" in _page(client, store)
    assert Product.objects.filter(store=store).count() == 0


def test_a_scheduled_lower_restriction_limit_shows_the_banner_when_it_takes_effect(client, store, product):
    """The body is kept per version of the rules and holds until the next scheduled one takes effect."""
    from django.contrib.auth.models import Permission

    from disputes.models import PenaltyEntry
    from portal import rules
    from portal.tests.factories import UserFactory

    published_at = datetime(2026, 3, 2, 3, 0, 20, tzinfo=UTC)
    effective = published_at + timedelta(seconds=15)  # within the minute the body holds to
    PenaltyEntry.objects.create(
        store=store,
        reason="refused_not_cooperating",
        points=12,
        created_at=published_at - timedelta(days=1),
        expires_at=published_at + timedelta(days=364),
    )
    publisher = UserFactory(is_staff=True)
    publisher.user_permissions.add(Permission.objects.get(content_type__app_label="portal", codename="publish_rules"))
    banner = "is restricted by the platform"
    pages = (
        reverse("portal:store_page", args=[store.slug]),
        reverse("portal:product_page", args=[store.slug, product.slug]),
    )
    with time_machine.travel(published_at, tick=False):
        for url in pages:
            assert banner not in client.get(url).content.decode()
        values = rules.latest_version().values()
        values["penalty_restriction_points"] = 12
        services.rules_publish(
            actor=publisher, effective_from=effective, values=values, note="Stricter", now=published_at
        )
    with time_machine.travel(effective - timedelta(seconds=1), tick=False):
        for url in pages:
            assert banner not in client.get(url).content.decode()
    with time_machine.travel(effective, tick=False):
        for url in pages:
            assert banner in client.get(url).content.decode()
