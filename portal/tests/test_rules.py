"""The rules as versioned data: clocks copy the version in force when they start, exact at its
effective date; a stored version wins over the settings; staff publish versions, never edit them."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from disputes import services as dispute_services
from disputes.models import Complaint, Dispute
from feedback.models import FeedbackWindow
from portal import rules, services
from portal.models import Order, RuleSet
from portal.rules import RULES, rules_at, rules_of_version, rules_version_at
from portal.tests.factories import SHIPPING, UserFactory, make_order

T0 = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)  # staff publish
T1 = T0 + timedelta(days=10)  # the new version takes effect
SECOND = timedelta(seconds=1)


def _values(**changes):
    values = rules.latest_version().values()
    values.update(changes)
    return values


def _publish(actor, *, effective_from=T1, now=T0, note="Shorter windows", **changes):
    with time_machine.travel(now, tick=False):
        return services.rules_publish(
            actor=actor, effective_from=effective_from, values=_values(**changes), note=note, now=now
        )


@pytest.fixture
def publisher(db):
    user = UserFactory(email="rules@example.com", is_staff=True)
    user.user_permissions.add(Permission.objects.get(content_type__app_label="portal", codename="publish_rules"))
    return user


@pytest.fixture
def version_2(publisher):
    """Version 2, published at T0, in force from T1: a 7-day feedback window, 20-day guarantee, 2-day answers."""
    return _publish(
        publisher,
        feedback_window_days=7,
        feedback_reminder_days=2,
        auto_confirm_days=20,
        auto_confirm_reminder_days=3,
        seller_response_days=2,
        complaint_response_hours=12,
    )


# --- Reading -------------------------------------------------------------------------------


def test_without_a_stored_version_the_settings_are_version_1(db, settings):
    RuleSet.objects.all().delete()
    rules.forget()
    settings.OPINIA_FEEDBACK_WINDOW_DAYS = 33
    settings.OPINIA_PENALTY_POINTS = {**settings.OPINIA_PENALTY_POINTS, "refused_to_ship": 4}
    found = rules_at(T0)
    assert found.version == 1
    assert found.feedback_window_days == 33
    assert found.penalty_points("refused_to_ship") == 4
    assert rules_version_at(T0) == 1


def test_the_migration_stores_version_1_with_no_values_of_its_own(db, settings):
    first = RuleSet.objects.get(version=1)
    assert first.values == {}
    settings.OPINIA_AUTO_CONFIRM_DAYS = 61  # version 1 reads the settings, so tests may override them
    assert rules_at(T0).auto_confirm_days == 61


def test_a_stored_version_is_used_over_the_settings(version_2, settings):
    settings.OPINIA_FEEDBACK_WINDOW_DAYS = 45
    assert rules_at(T1).feedback_window_days == 7
    assert rules_at(T1).version == 2
    assert rules_at(T1 - SECOND).feedback_window_days == 45
    assert rules_at(T1 - SECOND).version == 1


def test_a_rule_missing_from_a_stored_version_reads_its_setting(db, settings):
    RuleSet.objects.create(
        version=2, effective_from=T0, values={"feedback_window_days": 9}, created_at=T0 - timedelta(days=1)
    )
    rules.forget()
    settings.OPINIA_REPORT_DAYS = 21
    found = rules_at(T0)
    assert (found.version, found.feedback_window_days, found.report_days) == (2, 9, 21)
    assert found.from_settings("report_days")
    assert not found.from_settings("feedback_window_days")


def test_unknown_rule_names_are_not_attributes(db):
    with pytest.raises(AttributeError):
        _ = rules_at(T0).no_such_rule


def test_the_list_of_versions_is_read_once_per_process_while_fresh(version_2, django_assert_num_queries):
    rules.forget()
    with django_assert_num_queries(1):
        for minute in range(2000):
            rules_at(T0 + timedelta(minutes=minute))
    with django_assert_num_queries(0):
        assert rules_of_version(2) is not None
        assert rules_version_at(T1) == 2


def test_publishing_drops_the_list_at_once(publisher):
    assert rules_version_at(T1) == 1  # read and kept
    _publish(publisher, feedback_window_days=8)
    assert rules_version_at(T1) == 2


def test_a_sweep_reads_the_rules_once_for_its_whole_batch(version_2, buyer, store):
    """Forty orders shipped before the change are confirmed by one sweep run: one read of the versions."""
    orders = [
        make_order(buyer=buyer, store=store, status=Order.Status.SHIPPED, at=T0 - timedelta(days=70)) for _ in range(40)
    ]
    rules.forget()
    with CaptureQueriesContext(connection) as queries, time_machine.travel(T1, tick=False):
        assert services.orders_auto_confirm_sweep(now=T1) == 40
    reads = [q["sql"] for q in queries.captured_queries if "portal_ruleset" in q["sql"]]
    assert len(reads) == 1
    # Completed at T1: judged by version 2, whose 7-day feedback window each copied.
    windows = FeedbackWindow.objects.filter(order__in=orders)
    assert {(w.rules_version, w.closes_at) for w in windows} == {(2, T1 + timedelta(days=7))}


# --- Clocks at the boundary ------------------------------------------------------------------


@pytest.mark.parametrize(("completed_at", "version", "window_days"), [(T1 - SECOND, 1, 45), (T1, 2, 7)])
def test_feedback_window_copies_the_version_in_force_at_completion(
    version_2, buyer, store, settings, completed_at, version, window_days
):
    settings.OPINIA_FEEDBACK_WINDOW_DAYS = 45
    settings.OPINIA_FEEDBACK_REMINDER_DAYS = 5
    order = make_order(buyer=buyer, store=store, status=Order.Status.SHIPPED, at=completed_at - timedelta(days=3))
    with time_machine.travel(completed_at, tick=False):
        services.order_confirm_receipt(order_id=order.pk, buyer=buyer, now=completed_at)
    order.refresh_from_db()
    window = FeedbackWindow.objects.get(order=order)
    assert order.rules_version == window.rules_version == version
    assert window.closes_at == completed_at + timedelta(days=window_days)
    assert window.reminder_due_at == window.closes_at - timedelta(days={1: 5, 2: 2}[version])


def test_a_window_opened_before_the_change_keeps_its_clock_after_it(version_2, buyer, store, settings):
    """Started a second before the change: the sweep closes it on the old rules' day, not the new one's."""
    settings.OPINIA_FEEDBACK_WINDOW_DAYS = 45
    from feedback import services as feedback_services

    order = make_order(buyer=buyer, store=store, status=Order.Status.SHIPPED, at=T1 - timedelta(days=3))
    with time_machine.travel(T1 - SECOND, tick=False):
        services.order_confirm_receipt(order_id=order.pk, buyer=buyer, now=T1 - SECOND)
    closes = T1 - SECOND + timedelta(days=45)
    with time_machine.travel(T1 + timedelta(days=7), tick=False):
        assert feedback_services.feedback_windows_close_sweep(now=T1 + timedelta(days=7)) == 0
    with time_machine.travel(closes - SECOND, tick=False):
        assert feedback_services.feedback_windows_close_sweep(now=closes - SECOND) == 0
    with time_machine.travel(closes, tick=False):
        assert feedback_services.feedback_windows_close_sweep(now=closes) == 1
        assert feedback_services.feedback_windows_close_sweep(now=closes) == 0  # twice: nothing more


@pytest.mark.parametrize(("shipped_at", "version", "days"), [(T1 - SECOND, 1, 60), (T1, 2, 20)])
def test_automatic_confirmation_copies_the_version_in_force_at_shipment(
    version_2, buyer, store, settings, shipped_at, version, days
):
    settings.OPINIA_AUTO_CONFIRM_DAYS = 60
    order = make_order(buyer=buyer, store=store, status=Order.Status.PAID, at=shipped_at - timedelta(days=2))
    with time_machine.travel(shipped_at, tick=False):
        services.order_ship(order_id=order.pk, actor=None, now=shipped_at, **SHIPPING)
    order.refresh_from_db()
    assert order.rules_version == version
    assert order.auto_confirm_due_at == shipped_at + timedelta(days=days)


@pytest.mark.parametrize(("opened_at", "version", "days"), [(T1 - SECOND, 1, 5), (T1, 2, 2)])
def test_dispute_clocks_copy_the_version_in_force_at_opening(
    version_2, buyer, store, settings, opened_at, version, days
):
    settings.OPINIA_SELLER_RESPONSE_DAYS = 5
    order = make_order(buyer=buyer, store=store, status=Order.Status.SHIPPED, at=opened_at - timedelta(days=3))
    with time_machine.travel(opened_at, tick=False):
        dispute = dispute_services.dispute_open(
            order_id=order.pk,
            buyer=buyer,
            reason=Dispute.Reason.NOT_AS_DESCRIBED,
            requested_outcome=Dispute.Outcome.FULL_REFUND,
            requested_amount=None,
            description="Wrong colour.",
            photos=[],
            now=opened_at,
        )
    assert dispute.rules_version == version
    assert dispute.seller_response_due_at == opened_at + timedelta(days=days)


@pytest.mark.parametrize(("sent_at", "version", "hours"), [(T1 - SECOND, 1, 48), (T1, 2, 12)])
def test_complaint_answer_clock_copies_the_version_in_force_when_sent(
    version_2, buyer, settings, sent_at, version, hours
):
    settings.OPINIA_COMPLAINT_RESPONSE_HOURS = 48
    with time_machine.travel(sent_at, tick=False):
        complaint = dispute_services.complaint_submit(
            author=buyer, subject=Complaint.Subject.SITE, text="The page is slow.", now=sent_at
        )
    assert complaint.rules_version == version
    assert complaint.first_response_due_at == sent_at + timedelta(hours=hours)


def test_buyer_protection_is_the_one_of_the_orders_version(publisher, buyer, store, settings):
    """Completed under 15 days of protection; a later version with 30 days does not reopen it."""
    settings.OPINIA_PROTECTION_DAYS = 15
    order = make_order(buyer=buyer, store=store, status=Order.Status.COMPLETED, at=T0 - timedelta(days=3))
    _publish(publisher, effective_from=T0 + SECOND, protection_days=30)
    day_20 = order.completed_at + timedelta(days=20)
    assert dispute_services.dispute_opening_reasons(order=order, now=day_20) == []


# --- Publishing ------------------------------------------------------------------------------


def test_publishing_adds_a_version_and_logs_it(version_2, publisher):
    stored = RuleSet.objects.get(version=2)
    assert (stored.effective_from, stored.created_by, stored.created_at, stored.note) == (
        T1,
        publisher,
        T0,
        "Shorter windows",
    )
    assert stored.values["feedback_window_days"] == 7
    assert set(stored.values) == set(RULES)
    entry = LogEntry.objects.get(object_id=str(stored.pk))
    assert entry.action_flag == ADDITION
    assert entry.user == publisher
    assert "Feedback window" in entry.get_change_message()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"feedback_window_days": 0}, "feedback_window_days", "Enter at least 1."),
        ({"automatic_rating_stars": 6}, "automatic_rating_stars", "Enter at most 5."),
        ({"report_days": "thirty"}, "report_days", "Enter a whole number."),
        ({"report_days": 2.5}, "report_days", "Enter a whole number."),
        ({"report_days": True}, "report_days", "Enter a whole number."),
        ({"report_days": None}, "report_days", "Enter a value."),
        ({"feedback_reminder_days": 50}, "feedback_reminder_days", "Must be less than Feedback window (45)."),
    ],
)
def test_bad_values_are_refused(publisher, changes, field, message):
    with pytest.raises(ValidationError) as refused:
        _publish(publisher, **changes)
    assert refused.value.message_dict[field] == [message]
    assert not RuleSet.objects.filter(version=2).exists()


def test_a_past_effective_date_is_refused(publisher):
    with pytest.raises(ValidationError) as refused:
        _publish(publisher, effective_from=T0 - SECOND)
    assert "effective_from" in refused.value.message_dict
    assert not RuleSet.objects.filter(version=2).exists()


def test_a_version_cannot_take_effect_before_a_scheduled_one(version_2, publisher):
    with pytest.raises(ValidationError) as refused:
        _publish(publisher, effective_from=T1 - SECOND, now=T0 + SECOND)
    assert "effective_from" in refused.value.message_dict
    # The same moment is allowed: the later version replaces the scheduled one from then.
    third = _publish(publisher, effective_from=T1, now=T0 + SECOND, feedback_window_days=9)
    assert rules_at(T1).version == third.version == 3
    assert rules_at(T1).feedback_window_days == 9


def test_history_is_never_edited(version_2, publisher):
    before = list(RuleSet.objects.order_by("version").values())
    _publish(publisher, effective_from=T1 + timedelta(days=1), now=T0 + SECOND, feedback_window_days=9)
    after = list(RuleSet.objects.order_by("version").values())
    assert after[: len(before)] == before
    assert [row["version"] for row in after] == [1, 2, 3]


# --- The admin -------------------------------------------------------------------------------


ADD_URL = "/admin/portal/ruleset/add/"


def _form(**changes):
    data = {"takes_effect": "now", "effective_from_0": "", "effective_from_1": "", "note": "Test"}
    data.update({name: str(value) for name, value in rules.latest_version().values().items()})
    data.update({name: str(value) for name, value in changes.items()})
    return data


def test_the_add_page_needs_the_permission(client, staff):
    client.force_login(staff)
    assert client.get(ADD_URL).status_code == 403
    assert client.post(ADD_URL, _form(feedback_window_days=7)).status_code == 403
    assert not RuleSet.objects.filter(version=2).exists()
    # Staff read the versions.
    assert client.get("/admin/portal/ruleset/").status_code == 200


def test_the_add_page_is_prefilled_from_the_latest_version(client, version_2, publisher):
    client.force_login(publisher)
    response = client.get(ADD_URL)
    assert response.status_code == 200
    assert response.context["form"].initial["feedback_window_days"] == 7


def test_the_add_page_publishes_now(client, publisher, settings):
    client.force_login(publisher)
    response = client.post(ADD_URL, _form(feedback_window_days=30))
    assert response.status_code == 302
    stored = RuleSet.objects.get(version=2)
    assert stored.values["feedback_window_days"] == 30
    assert stored.created_by == publisher
    assert LogEntry.objects.filter(object_id=str(stored.pk), action_flag=ADDITION).exists()
    assert rules.rules_now().feedback_window_days == 30


def test_the_add_page_publishes_for_later(client, publisher):
    client.force_login(publisher)
    with time_machine.travel(T0, tick=False):
        data = _form(feedback_window_days=30, takes_effect="later")
        data.update({"effective_from_0": "2026-05-14", "effective_from_1": "10:00:00"})
        assert client.post(ADD_URL, data).status_code == 302
    assert RuleSet.objects.get(version=2).effective_from == T1


@pytest.mark.parametrize(
    ("changes", "field", "typed"),
    [
        ({"feedback_window_days": "0"}, "feedback_window_days", "0"),
        ({"report_days": "thirty"}, "report_days", "thirty"),
        (
            {"takes_effect": "later", "effective_from_0": "2026-05-03", "effective_from_1": "10:00:00"},
            "effective_from",
            "2026-05-03",
        ),
        ({"takes_effect": "later"}, "effective_from", ""),
    ],
)
def test_the_add_page_refuses_bad_input_beside_the_field_and_keeps_it(client, publisher, changes, field, typed):
    client.force_login(publisher)
    data = _form(report_days=29)
    data.update(changes)
    with time_machine.travel(T0, tick=False):
        response = client.post(ADD_URL, data)
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors[field]
    html = response.content.decode()
    assert f'class="form-row errors field-{field}"' in html
    if typed:
        assert f'value="{typed}"' in html
    if field != "report_days":
        assert 'value="29"' in html  # the rest of what was typed is kept
    assert not RuleSet.objects.filter(version=2).exists()


def test_existing_versions_are_read_only_in_the_admin(client, version_2, publisher):
    publisher.is_superuser = True
    publisher.save()
    client.force_login(publisher)
    stored = RuleSet.objects.get(version=2)
    page = client.get(f"/admin/portal/ruleset/{stored.pk}/change/")
    assert page.status_code == 200
    assert "Feedback window" in page.content.decode()
    client.post(f"/admin/portal/ruleset/{stored.pk}/change/", {"note": "edited", "effective_from": "2030-01-01"})
    assert client.post(f"/admin/portal/ruleset/{stored.pk}/delete/", {"post": "yes"}).status_code == 403
    stored.refresh_from_db()
    assert (stored.note, stored.effective_from) == ("Shorter windows", T1)


# --- The public page -------------------------------------------------------------------------


def test_order_pages_link_to_the_version_the_order_is_judged_by(client, publisher, buyer, seller, store):
    order = make_order(buyer=buyer, store=store, status=Order.Status.COMPLETED, at=T0 - timedelta(days=5))
    assert order.rules_version == 1
    _publish(publisher, effective_from=T0 + SECOND, feedback_window_days=7)
    link = reverse("portal:rules_version", args=[1])
    client.force_login(buyer)
    assert f'href="{link}"' in client.get(reverse("portal:order_detail", args=[order.pk])).content.decode()
    client.force_login(seller)
    seller_page = client.get(reverse("portal:store_order_detail", args=[store.slug, order.pk])).content.decode()
    assert f'href="{link}"' in seller_page


def test_the_rules_page_shows_the_versions_values_and_a_newer_version(client, publisher, settings):
    settings.OPINIA_FEEDBACK_WINDOW_DAYS = 45
    _publish(publisher, effective_from=T0 + SECOND, feedback_window_days=7, note="A shorter window")
    with time_machine.travel(T1, tick=False):
        first = client.get(reverse("portal:rules_version", args=[1])).content.decode()
        second = client.get(reverse("portal:rules_version", args=[2])).content.decode()
    assert "Feedback window" in first
    assert "45 days" in first
    assert "A newer version (2) has been in force since" in first
    assert "7 days" in second
    assert "A shorter window" in second
    assert "A newer version" not in second
    assert client.get(reverse("portal:rules_version", args=[99])).status_code == 404


def test_the_rules_page_announces_a_scheduled_version(client, version_2):
    with time_machine.travel(T0 + SECOND, tick=False):
        page = client.get(reverse("portal:rules")).content.decode()
    assert "Marketplace rules, version 1" in page
    assert "A newer version (2) takes effect on" in page


@pytest.mark.parametrize("language", ["pl", "zh-hans", "ko", "gu"])
def test_every_rule_reads_in_each_language(language, db):
    with translation.override("en"):
        english = {name: (str(d.label), str(d.help_text), d.display(3)) for name, d in RULES.items()}
    with translation.override(language):
        for name, definition in RULES.items():
            label, help_text, value = english[name]
            assert str(definition.label) != label, (language, name)
            assert str(definition.help_text) != help_text, (language, name)
            assert definition.display(3) != value, (language, name)


def test_every_rule_has_a_setting_and_its_default_fits_its_limits(db):
    for definition in RULES.values():
        assert definition.minimum <= definition.default() <= definition.maximum, definition.name


def test_penalty_points_copy_the_version_in_force(publisher, buyer, store):
    _publish(publisher, effective_from=T0 + SECOND, penalty_points_not_as_described=5)
    order = make_order(buyer=buyer, store=store, status=Order.Status.SHIPPED, at=T1 - timedelta(days=3))
    dispute = dispute_services.dispute_open(
        order_id=order.pk,
        buyer=buyer,
        reason=Dispute.Reason.NOT_AS_DESCRIBED,
        requested_outcome=Dispute.Outcome.FULL_REFUND,
        requested_amount=None,
        description="Wrong colour.",
        photos=[],
        now=T1,
    )
    from disputes.services.penalties import penalty_add

    entry = penalty_add(dispute=dispute, now=T1)
    assert entry is not None
    assert entry.points == 5


def test_cached_public_parts_that_read_the_rules_hold_only_until_the_next_version(version_2, store):
    from feedback.selectors import store_score_changes_at
    from messaging.selectors import store_response_stats_changes_at

    an_hour_before = T1 - timedelta(hours=1)  # the UTC day ends later than T1
    assert store_score_changes_at(store=store, now=an_hour_before) == T1
    assert store_response_stats_changes_at(store=store, now=an_hour_before) == T1
    assert store_response_stats_changes_at(store=store, now=T1) is None
