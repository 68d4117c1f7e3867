"""The sellers' weekly summary: Saturday 09:00 store time, once a week, to the owner and opted-in agents."""

import importlib
import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.apps import apps as django_apps
from django.contrib.auth.models import Group
from django.core import mail
from django.db import connection
from django.urls import reverse
from django.utils import translation

from messaging.models import Notification
from portal import services
from portal.models import Order, Store, StoreMember, WeeklySummary
from portal.tests.factories import StoreFactory, UserFactory, make_order
from portal.weekly_summary import (
    SUMMARY_SECTIONS,
    summary_text,
    weekly_summaries_sweep,
    weekly_summary_next_due,
)

# Wednesday 2 December 2026, noon UTC.
WEDNESDAY = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


def _store(owner, *, time_zone: str, at: datetime = WEDNESDAY, name: str = "Weekly Store") -> Store:
    with time_machine.travel(at, tick=False):
        return services.store_create(owner=owner, name=name, country="PL", time_zone=time_zone)


def _summaries(store: Store) -> list[WeeklySummary]:
    return list(WeeklySummary.objects.filter(store=store).order_by("pk"))


# --- The clock -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("time_zone", "due"),
    [
        # Saturday 5 December 2026, 09:00 on each wall clock.
        ("Asia/Shanghai", datetime(2026, 12, 5, 1, 0, tzinfo=UTC)),
        ("America/New_York", datetime(2026, 12, 5, 14, 0, tzinfo=UTC)),
    ],
)
def test_a_new_store_is_due_on_saturday_nine_and_sent_exactly_then(seller, time_zone, due):
    store = _store(seller, time_zone=time_zone)
    assert store.weekly_summary_due_at == due

    assert weekly_summaries_sweep(now=due - SECOND) == 0
    assert _summaries(store) == []
    assert weekly_summaries_sweep(now=due) == 1
    assert weekly_summaries_sweep(now=due) == 0  # twice: still once

    [summary] = _summaries(store)
    assert (summary.week.isoformat(), summary.due_at, summary.sent_at, summary.late) == ("2026-12-05", due, due, False)
    store.refresh_from_db()
    assert store.weekly_summary_due_at == due + timedelta(days=7)
    assert Notification.objects.filter(recipient=seller, kind="weekly_summary").count() == 1


@pytest.mark.parametrize(
    ("time_zone", "before", "after"),
    [
        # Europe/Warsaw moves to summer time on Sunday 29 March 2026 and back on Sunday 25 October.
        ("Europe/Warsaw", datetime(2026, 3, 28, 8, 0, tzinfo=UTC), datetime(2026, 4, 4, 7, 0, tzinfo=UTC)),
        ("Europe/Warsaw", datetime(2026, 10, 24, 7, 0, tzinfo=UTC), datetime(2026, 10, 31, 8, 0, tzinfo=UTC)),
        # America/New_York: Sunday 8 March and Sunday 1 November 2026.
        ("America/New_York", datetime(2026, 3, 7, 14, 0, tzinfo=UTC), datetime(2026, 3, 14, 13, 0, tzinfo=UTC)),
        ("America/New_York", datetime(2026, 10, 31, 13, 0, tzinfo=UTC), datetime(2026, 11, 7, 14, 0, tzinfo=UTC)),
    ],
)
def test_saturday_nine_stays_nine_across_a_daylight_saving_change(seller, time_zone, before, after):
    store = _store(seller, time_zone=time_zone, at=before - timedelta(days=3))
    assert store.weekly_summary_due_at == before
    assert weekly_summaries_sweep(now=before) == 1
    store.refresh_from_db()
    # Seven days later on the wall clock, an hour more or less in UTC.
    assert store.weekly_summary_due_at == after
    assert weekly_summaries_sweep(now=after - SECOND) == 0
    assert weekly_summaries_sweep(now=after) == 1
    assert [s.week.isoformat() for s in _summaries(store)] == [
        before.astimezone(store.tzinfo).date().isoformat(),
        after.astimezone(store.tzinfo).date().isoformat(),
    ]
    assert all(s.due_at.astimezone(store.tzinfo).hour == 9 for s in _summaries(store))


def test_next_due_is_strictly_after_and_on_a_saturday():
    saturday_nine = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
    assert weekly_summary_next_due(time_zone="UTC", after=saturday_nine - SECOND) == saturday_nine
    assert weekly_summary_next_due(time_zone="UTC", after=saturday_nine) == saturday_nine + timedelta(days=7)
    # Saturday 10:00 in Shanghai is still Saturday 02:00 UTC: next week there.
    assert weekly_summary_next_due(
        time_zone="Asia/Shanghai", after=datetime(2026, 12, 5, 2, 0, tzinfo=UTC)
    ) == datetime(2026, 12, 12, 1, 0, tzinfo=UTC)


def test_a_summary_missed_by_a_stopped_worker_is_sent_once_marked_late_and_the_clock_skips_ahead(seller):
    store = _store(seller, time_zone="Europe/Warsaw")
    due = store.weekly_summary_due_at
    assert due == datetime(2026, 12, 5, 8, 0, tzinfo=UTC)
    # The worker comes back on Tuesday 22 December: three Saturdays later.
    back = datetime(2026, 12, 22, 10, 0, tzinfo=UTC)
    assert weekly_summaries_sweep(now=back) == 1
    assert weekly_summaries_sweep(now=back + timedelta(minutes=1)) == 0
    [summary] = _summaries(store)
    assert summary.late is True
    assert summary.due_at == due
    store.refresh_from_db()
    assert store.weekly_summary_due_at == datetime(2026, 12, 26, 8, 0, tzinfo=UTC)
    [notification] = Notification.objects.filter(recipient=seller, kind="weekly_summary")
    with translation.override("en"):
        body = notification.body("en")
    assert body.startswith("Sent late: this summary was due on Saturday Dec 5, 2026, 09:00.")


def test_on_time_within_the_hour_is_not_late(seller):
    store = _store(seller, time_zone="UTC")
    due = store.weekly_summary_due_at
    weekly_summaries_sweep(now=due + timedelta(minutes=59))
    assert _summaries(store)[0].late is False


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_one_summary(seller):
    store = _store(seller, time_zone="Asia/Shanghai")
    due = store.weekly_summary_due_at
    start = threading.Barrier(2, timeout=10)
    results: list[int] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            start.wait()
            results.append(weekly_summaries_sweep(now=due))
        except BaseException as error:  # surfaced below: a thread's exception would vanish otherwise
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert sorted(results) == [0, 1]
    assert WeeklySummary.objects.filter(store=store).count() == 1
    assert Notification.objects.filter(recipient=seller, kind="weekly_summary").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_worker_finding_the_store_locked_skips_it_instead_of_waiting_or_sending(seller):
    store = _store(seller, time_zone="UTC")
    due = store.weekly_summary_due_at
    holding = threading.Event()
    release = threading.Event()

    def other_worker() -> None:
        from django.db import transaction

        try:
            with transaction.atomic():
                Store.objects.select_for_update().get(pk=store.pk)
                holding.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=other_worker)
    thread.start()
    assert holding.wait(10)
    try:
        assert weekly_summaries_sweep(now=due) == 0
    finally:
        release.set()
        thread.join(10)
    assert weekly_summaries_sweep(now=due) == 1


def test_a_second_summary_for_the_same_week_is_refused_by_the_constraint_and_the_clock_moves_on(seller):
    store = _store(seller, time_zone="UTC")
    due = store.weekly_summary_due_at
    weekly_summaries_sweep(now=due)
    # As if a stale clock pointed at the week already summed up.
    Store.objects.filter(pk=store.pk).update(weekly_summary_due_at=due)
    assert weekly_summaries_sweep(now=due + SECOND) == 0
    assert len(_summaries(store)) == 1
    store.refresh_from_db()
    assert store.weekly_summary_due_at == due + timedelta(days=7)


# --- Time zone changes -----------------------------------------------------------------------


def test_changing_the_time_zone_redates_the_summary(seller):
    store = _store(seller, time_zone="Asia/Shanghai")
    with time_machine.travel(WEDNESDAY, tick=False):
        services.store_update_settings(
            store=store, actor=seller, name=store.name, time_zone="America/New_York", auto_reply=""
        )
    store.refresh_from_db()
    assert store.weekly_summary_due_at == datetime(2026, 12, 5, 14, 0, tzinfo=UTC)


def test_moving_west_after_this_weeks_summary_does_not_send_it_twice(seller):
    store = _store(seller, time_zone="Europe/Warsaw")
    due = store.weekly_summary_due_at  # Saturday 08:00 UTC
    weekly_summaries_sweep(now=due)
    # Still Saturday morning: 09:00 in New York is yet to come, but this week is done.
    with time_machine.travel(due + timedelta(hours=1), tick=False):
        services.store_update_settings(
            store=store, actor=seller, name=store.name, time_zone="America/New_York", auto_reply=""
        )
    store.refresh_from_db()
    assert store.weekly_summary_due_at == datetime(2026, 12, 12, 14, 0, tzinfo=UTC)
    assert weekly_summaries_sweep(now=datetime(2026, 12, 5, 14, 0, tzinfo=UTC)) == 0


def test_the_data_migration_dates_the_stores_made_before_the_clock(seller):
    migration = importlib.import_module("portal.migrations.0016_weekly_summary_due_times")
    warsaw = StoreFactory(owner=seller, time_zone="Europe/Warsaw")
    new_york = StoreFactory(time_zone="America/New_York")
    assert warsaw.weekly_summary_due_at is None  # made without the store service, as before the column
    with time_machine.travel(WEDNESDAY, tick=False):
        migration.date_stores(django_apps, None)
    warsaw.refresh_from_db()
    new_york.refresh_from_db()
    assert warsaw.weekly_summary_due_at == datetime(2026, 12, 5, 8, 0, tzinfo=UTC)
    assert new_york.weekly_summary_due_at == datetime(2026, 12, 5, 14, 0, tzinfo=UTC)


# --- Recipients ------------------------------------------------------------------------------


def test_the_owner_always_receives_it_and_agents_only_when_they_opted_in(seller, store, agent, client):
    other_agent = UserFactory(email="quiet@example.com")
    StoreMember.objects.create(store=store, user=other_agent, role=StoreMember.Role.AGENT)
    client.force_login(agent)
    page = client.get(reverse("portal:profile"))
    assert "Send me the weekly summary of" in page.content.decode()
    response = client.post(reverse("portal:weekly_summary_preferences"), {"summary-stores": [str(store.pk)]})
    assert response.status_code == 302

    due = datetime(2026, 12, 5, 1, 0, tzinfo=UTC)
    Store.objects.filter(pk=store.pk).update(weekly_summary_due_at=due)
    assert weekly_summaries_sweep(now=due) == 1
    [summary] = _summaries(store)
    assert set(summary.recipients.values_list("pk", flat=True)) == {seller.pk, agent.pk}
    assert set(Notification.objects.filter(kind="weekly_summary").values_list("recipient_id", flat=True)) == {
        seller.pk,
        agent.pk,
    }

    # Opting out again: the next week, the owner only.
    client.post(reverse("portal:weekly_summary_preferences"), {})
    weekly_summaries_sweep(now=due + timedelta(days=7))
    assert set(_summaries(store)[-1].recipients.values_list("pk", flat=True)) == {seller.pk}


def test_a_store_the_user_is_not_an_agent_of_is_refused_and_changes_nothing(store, agent, other_seller, client):
    foreign = Store.objects.get(slug="erins-shop")
    client.force_login(agent)
    response = client.post(reverse("portal:weekly_summary_preferences"), {"summary-stores": [str(foreign.pk)]})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not StoreMember.objects.filter(user=agent, weekly_summary=True).exists()
    assert client.post(reverse("portal:weekly_summary_preferences"), {"summary-stores": ["x"]}).status_code == 400


def test_the_owner_sees_that_they_always_receive_it(seller, store, client):
    client.force_login(seller)
    page = client.get(reverse("portal:profile")).content.decode()
    assert "As the owner of Bob&#x27;s Gadgets, you always receive it." in page
    assert 'name="summary-stores"' not in page


# --- Content ---------------------------------------------------------------------------------


def test_core_sections_late_shipments_and_handling_limit(seller, store, buyer, settings):
    settings.OPINIA_HANDLING_DAYS = 7
    now = datetime(2026, 12, 5, 1, 0, tzinfo=UTC)
    late = make_order(buyer=buyer, store=store, status=Order.Status.SHIPPED, at=now - timedelta(days=20))
    Order.objects.filter(pk=late.pk).update(delivery_by_at=now - timedelta(days=1))
    on_time = make_order(buyer=buyer, store=store, status=Order.Status.SHIPPED, at=now - timedelta(days=20))
    Order.objects.filter(pk=on_time.pk).update(delivery_by_at=now + timedelta(days=1))
    over = make_order(buyer=buyer, store=store, status=Order.Status.PAID, at=now - timedelta(days=9))  # paid 8 days ago
    near = make_order(buyer=buyer, store=store, status=Order.Status.PAID, at=now - timedelta(days=7))  # paid 6 days ago
    make_order(buyer=buyer, store=store, status=Order.Status.PAID, at=now - timedelta(days=2))  # paid yesterday

    Store.objects.filter(pk=store.pk).update(weekly_summary_due_at=now)
    weekly_summaries_sweep(now=now)
    [summary] = _summaries(store)
    assert summary.contents["late_shipments"]["count"] == 1
    assert [i["number"] for i in summary.contents["late_shipments"]["items"]] == [late.number]
    assert summary.contents["handling_limit"]["over"] == 1
    assert summary.contents["handling_limit"]["near"] == 1
    assert [i["number"] for i in summary.contents["handling_limit"]["items"]] == [over.number, near.number]
    [notification] = Notification.objects.filter(recipient=seller, kind="weekly_summary")
    body = notification.body("en")
    assert "1 shipped order is past its promised delivery date." in body
    assert f"Order {late.number}: promised by" in body
    assert "1 paid order is over the handling limit. 1 paid order reaches the handling limit within 2 days." in body
    assert "All clear" not in body


@pytest.mark.parametrize(("paid_before", "over"), [(timedelta(days=7), 0), (timedelta(days=7) + SECOND, 1)])
def test_an_order_is_over_the_handling_limit_exactly_when_the_desk_calls_it_overdue(
    seller, store, buyer, settings, paid_before, over
):
    """At payment + handling days the order is still on time, one second later it is over (the desk's rule)."""
    from portal.selectors import order_is_overdue

    settings.OPINIA_HANDLING_DAYS = 7
    now = datetime(2026, 12, 5, 1, 0, tzinfo=UTC)
    order = make_order(buyer=buyer, store=store, status=Order.Status.PAID, at=now - paid_before)
    Order.objects.filter(pk=order.pk).update(paid_at=now - paid_before)
    order.refresh_from_db()
    assert order_is_overdue(order, now) is bool(over)

    Store.objects.filter(pk=store.pk).update(weekly_summary_due_at=now)
    weekly_summaries_sweep(now=now)
    [summary] = _summaries(store)
    assert (summary.contents["handling_limit"]["over"], summary.contents["handling_limit"]["near"]) == (over, 1 - over)


def test_the_handling_limit_is_the_one_in_force_at_payment(seller, store, buyer, settings):
    """Rules changed after payment (handling days 7 -> 3) do not move an order's limit, as on the desk."""
    from portal import rules
    from portal.models import RuleSet

    settings.OPINIA_HANDLING_DAYS = 7
    now = datetime(2026, 12, 5, 1, 0, tzinfo=UTC)
    order = make_order(buyer=buyer, store=store, status=Order.Status.PAID, at=now - timedelta(days=5))
    Order.objects.filter(pk=order.pk).update(paid_at=now - timedelta(days=5))
    RuleSet.objects.create(
        version=RuleSet.objects.order_by("-version").values_list("version", flat=True).first() + 1,
        effective_from=now - timedelta(days=1),
        values={"handling_days": 3},
        created_at=now - timedelta(days=2),
    )
    rules.forget()

    Store.objects.filter(pk=store.pk).update(weekly_summary_due_at=now)
    weekly_summaries_sweep(now=now)
    [summary] = _summaries(store)
    # Paid 5 days ago under 7 handling days: 2 days left, so "near", not "over".
    assert (summary.contents["handling_limit"]["over"], summary.contents["handling_limit"]["near"]) == (0, 1)
    assert summary.contents["handling_limit"]["items"][0]["limit"] == (now + timedelta(days=2)).isoformat()


def test_a_week_with_nothing_is_all_clear_and_empty_sections_are_left_out(seller, store):
    now = datetime(2026, 12, 5, 1, 0, tzinfo=UTC)
    Store.objects.filter(pk=store.pk).update(weekly_summary_due_at=now)
    weekly_summaries_sweep(now=now)
    [summary] = _summaries(store)
    assert summary.contents == {}
    body = Notification.objects.get(recipient=seller, kind="weekly_summary").body("en")
    assert body.startswith("All clear: nothing needs your attention this week.")
    assert "(Asia/Shanghai)" in body


def test_every_section_is_registered():
    assert set(SUMMARY_SECTIONS) == {
        "late_shipments",
        "handling_limit",
        "open_disputes",
        "unanswered",
        "reviews_awaiting_reply",
        "buyers_to_rate",
        "score_change",
    }


# --- Language --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "title", "all_clear"),
    [
        ("pl", "Podsumowanie tygodnia", "Wszystko w porządku"),
        ("zh-hans", "每周摘要", "一切正常"),
        ("ko", "주간 요약", "모두 정상"),
        ("gu", "સાપ્તાહિક સારાંશ", "બધું બરાબર"),
    ],
)
def test_the_email_is_in_the_recipients_language(
    seller, store, language, title, all_clear, django_capture_on_commit_callbacks
):
    seller.language = language
    seller.save(update_fields=["language"])
    now = datetime(2026, 12, 5, 1, 0, tzinfo=UTC)
    Store.objects.filter(pk=store.pk).update(weekly_summary_due_at=now)
    with django_capture_on_commit_callbacks(execute=True):
        weekly_summaries_sweep(now=now)
    [email] = mail.outbox
    assert email.to == [seller.email]
    assert title in email.subject
    assert "Bob's Gadgets" in email.subject
    assert all_clear in email.body
    assert "/seller/bobs-gadgets/" in email.body


def test_the_notification_opens_the_store_dashboard_for_its_reader(seller, store, client):
    now = datetime(2026, 12, 5, 1, 0, tzinfo=UTC)
    Store.objects.filter(pk=store.pk).update(weekly_summary_due_at=now)
    weekly_summaries_sweep(now=now)
    notification = Notification.objects.get(recipient=seller, kind="weekly_summary")
    assert notification.link() == reverse("portal:store_dashboard", args=[store.slug])
    client.force_login(seller)
    page = client.get(reverse("messaging:notifications")).content.decode()
    assert "Weekly summary for Bob&#x27;s Gadgets" in page
    assert "All clear: nothing needs your attention this week.<br>" in page


def test_a_malformed_summary_row_reads_as_the_one_line_text(seller):
    notification = Notification.objects.create(
        recipient=seller,
        kind="weekly_summary",
        params={"store": "X", "sections": "broken", "time_zone": "Nowhere/Zone"},
        created_at=WEDNESDAY,
    )
    assert notification.body("en") == "What needs attention in X this week."


# --- Staff -----------------------------------------------------------------------------------


def test_staff_read_the_summaries_sent_and_their_text_but_change_nothing(seller, store, client, staff):
    now = datetime(2026, 12, 5, 1, 0, tzinfo=UTC)
    Store.objects.filter(pk=store.pk).update(weekly_summary_due_at=now + timedelta(hours=2))
    weekly_summaries_sweep(now=now + timedelta(hours=2))
    summary = _summaries(store)[0]
    support = UserFactory(email="support@example.com", is_staff=True)
    support.groups.set(Group.objects.filter(name="Support agents"))
    client.force_login(support)
    assert client.get(reverse("admin:portal_weeklysummary_changelist")).status_code == 200
    page = client.get(reverse("admin:portal_weeklysummary_change", args=[summary.pk])).content.decode()
    assert "seller@example.com" in page
    assert "All clear: nothing needs your attention this week." in page
    assert 'name="_save"' not in page
    assert client.post(reverse("admin:portal_weeklysummary_delete", args=[summary.pk])).status_code == 403
    outsider = UserFactory(email="outsider@example.com", is_staff=True)
    client.force_login(outsider)
    assert client.get(reverse("admin:portal_weeklysummary_changelist")).status_code == 403


def test_summary_text_renders_in_the_active_language():
    params = {"store": "S", "time_zone": "UTC", "late": False, "sections": {}}
    with translation.override("pl"):
        assert summary_text(params).startswith("Wszystko w porządku")
