"""The home pages say what waits, per store and as a buyer, and "nothing" only when nothing does."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from disputes import services as dispute_services
from disputes import sweeps
from disputes.models import Dispute
from disputes.tests.helpers import DAY, dispute_in_state, open_dispute
from feedback.tests.conftest import T0, buyer_rates, complete_order, seller_rates
from messaging import services as messaging_services
from portal.models import Order
from portal.tests.factories import StoreFactory, UserFactory, make_order

NOW = T0 + 2 * DAY
NOTHING = "Nothing needs your attention right now."


def actions(html: str) -> dict[str, str]:
    """data-action key -> the line's text, whitespace collapsed, tags removed."""
    lines = re.findall(r'<li data-action="([a-z_]+)"[^>]*>(.*?)</li>', html, flags=re.S)
    return {key: " ".join(re.sub(r"<[^>]+>", "", text).split()) for key, text in lines}


def links(html: str) -> set[str]:
    return {href.replace("&amp;", "&") for href in re.findall(r'href="([^"]+)"', html)}


def get(client, user, url):
    client.force_login(user)
    with time_machine.travel(NOW, tick=False):
        response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def busy_store(store, seller):
    """Eight completed orders the seller has not rated, and two open disputes."""
    for n in range(8):
        complete_order(UserFactory(email=f"rated{n}@example.com"), store, at=T0, items=1)
    for n in range(2):
        open_dispute(buyer=UserFactory(email=f"disputer{n}@example.com"), store=store, now=NOW - timedelta(hours=1))
    return store


def test_seller_home_lists_open_disputes_and_buyers_to_rate(client, busy_store, seller):
    """Defect 9: with 2 open disputes and 8 buyers to rate the seller read "Nothing needs your attention"."""
    html = get(client, seller, reverse("portal:home"))
    assert NOTHING not in html
    found = actions(html)
    assert found["open_disputes"].startswith("2 open disputes")
    # The nearest deadline, worded as on the case page: the seller has 5 days less the hour gone.
    assert "The seller has 4 days 23 hours to respond." in found["open_disputes"]
    assert found["buyers_to_rate"].startswith("8 buyers to rate")
    assert "Next window closes:" in found["buyers_to_rate"]
    assert reverse("disputes:store", args=[busy_store.slug]) + "?open=1" in links(html)
    assert reverse("portal:store_dashboard", args=[busy_store.slug]) + "#fb-to-give" in links(html)
    assert busy_store.name.replace("'", "&#x27;") in html


def test_agent_sees_the_same_lines_and_a_stranger_none(client, busy_store, agent, other_seller):
    assert set(actions(get(client, agent, reverse("portal:home")))) == {"open_disputes", "buyers_to_rate"}
    html = get(client, other_seller, reverse("portal:home"))
    assert actions(html) == {}
    assert NOTHING in html
    assert busy_store.slug not in html


def test_every_kind_of_waiting_has_its_line_and_link(client, store, seller, buyer, other_buyer, staff):
    # A buyer's question nobody answered yet.
    messaging_services.conversation_start(buyer=buyer, store=store, text="Is it waterproof?", now=NOW - DAY)
    # A paid order to ship.
    paid = make_order(buyer=buyer, store=store, status=Order.Status.PAID, at=NOW - 2 * DAY)
    # A published review without a reply: both sides rated, so both are public at once.
    window = complete_order(other_buyer, store, at=T0, items=1).feedback_window
    buyer_rates(window, other_buyer, stars=2, text="Broke in a day.", now=T0 + timedelta(hours=1))
    seller_rates(window, seller, stars=5, now=T0 + timedelta(hours=2))
    # An escalated dispute (with the platform) and 12 live penalty points (an ignored refusal).
    dispute_in_state(
        status=Dispute.Status.ESCALATED, buyer=buyer, seller=seller, store=store, staff=staff, now=NOW - 4 * DAY
    )
    refused = make_order(buyer=other_buyer, store=store, status=Order.Status.PAID, at=NOW - 30 * DAY)
    ignored = dispute_services.dispute_open(
        order_id=refused.pk,
        buyer=other_buyer,
        reason=Dispute.Reason.REFUSED_TO_SHIP,
        requested_outcome=Dispute.Outcome.FULL_REFUND,
        description="Never shipped.",
        now=NOW - 20 * DAY,
    )
    sweeps.sweep_dispute_deadlines(now=ignored.seller_response_due_at)

    html = get(client, seller, reverse("portal:home"))
    found = actions(html)
    assert found["unanswered_conversations"].startswith("1 conversation waiting for an answer · Waiting since:")
    assert found["orders_to_ship"].startswith("2 paid orders to ship")  # `paid` and the refused one
    assert found["reviews_awaiting_reply"] == "1 review awaiting a reply"
    assert found["open_disputes"].startswith("1 open dispute")
    assert found["escalated_disputes"].startswith("1 dispute escalated to the platform")
    assert "The platform will decide within" in found["escalated_disputes"]
    assert found["penalty_points"] == "12 live penalty points · Restriction starts at 24 points."
    assert {
        reverse("messaging:store_inbox", args=[store.slug]),
        reverse("portal:store_orders_to_ship", args=[store.slug]),
        reverse("portal:store_dashboard", args=[store.slug]) + "#fb-awaiting",
        reverse("disputes:penalties", args=[store.slug]),
    } <= links(html)
    assert NOTHING not in html
    assert paid.status == Order.Status.PAID
    # The dashboard opens with the same lines.
    dashboard = get(client, seller, reverse("portal:store_dashboard", args=[store.slug]))
    assert actions(dashboard) == found


def test_a_member_of_two_stores_sees_each_store_on_its_own(client, busy_store, seller):
    quiet = StoreFactory(owner=seller, name="Quiet Corner", slug="quiet-corner")
    html = get(client, seller, reverse("portal:seller_home"))
    assert reverse("portal:store_dashboard", args=[quiet.slug]) in links(html)
    assert "Nothing waits in this store right now." in html
    assert actions(html)["open_disputes"].startswith("2 open disputes")
    # One store only: its dashboard, which opens with the same list.
    quiet.members.all().delete()
    client.force_login(seller)
    assert client.get(reverse("portal:seller_home"))["Location"] == reverse(
        "portal:store_dashboard", args=[busy_store.slug]
    )


def test_store_member_with_nothing_waiting_is_told_so(client, store, seller):
    html = get(client, seller, reverse("portal:home"))
    assert NOTHING in html
    dashboard = get(client, seller, reverse("portal:store_dashboard", args=[store.slug]))
    assert "Nothing waits in this store right now." in dashboard


def test_buyer_home_counts_orders_to_rate_and_disputes_waiting(client, buyer, store, seller, staff):
    """The buyer's home read "Nothing needs your attention" above its own list of orders to rate."""
    complete_order(buyer, store, at=T0, items=1)
    html = get(client, buyer, reverse("portal:home"))
    assert NOTHING not in html
    assert actions(html)["orders_to_rate"].startswith("1 order to rate · Next window closes:")
    assert reverse("feedback:my_feedback") in links(html)
    # The seller's counter-offer waits for the buyer's answer; the buyer's own offer hands the move back.
    dispute = dispute_in_state(
        status=Dispute.Status.NEGOTIATING, buyer=buyer, seller=seller, store=store, staff=staff, now=NOW - DAY
    )
    assert actions(get(client, buyer, reverse("portal:home")))["disputes_awaiting_buyer"].startswith(
        "1 dispute waiting for you"
    )
    dispute_services.dispute_make_offer(
        dispute_id=dispute.pk,
        actor=buyer,
        kind=Dispute.Outcome.PARTIAL_REFUND,
        amount=Decimal("8.00"),
        now=NOW - timedelta(hours=1),
    )
    assert "disputes_awaiting_buyer" not in actions(get(client, buyer, reverse("portal:home")))


def test_a_return_to_ship_waits_for_the_buyer(client, buyer, store, seller, staff):
    dispute_in_state(
        status=Dispute.Status.AWAITING_RETURN, buyer=buyer, seller=seller, store=store, staff=staff, now=NOW - DAY
    )
    line = actions(get(client, buyer, reverse("portal:home")))["disputes_awaiting_buyer"]
    assert "to ship the item back." in line


def test_home_queries_do_not_grow_with_what_waits(client, busy_store, seller, django_assert_num_queries):
    client.force_login(seller)
    with CaptureQueriesContext(connection) as first, time_machine.travel(NOW, tick=False):
        client.get(reverse("portal:home"))
    for n in range(6):
        complete_order(UserFactory(email=f"more{n}@example.com"), busy_store, at=T0, items=1)
        open_dispute(buyer=UserFactory(email=f"more-d{n}@example.com"), store=busy_store, now=NOW - DAY)
    with django_assert_num_queries(len(first)), time_machine.travel(NOW, tick=False):
        html = client.get(reverse("portal:home")).content.decode()
    assert actions(html)["open_disputes"].startswith("8 open disputes")
    assert actions(html)["buyers_to_rate"].startswith("14 buyers to rate")


@pytest.mark.parametrize("language", ["pl", "zh-hans", "ko", "gu"])
def test_the_lines_read_in_the_users_language(client, busy_store, seller, language):
    seller.language = language
    seller.save()
    client.cookies["django_language"] = language
    html = get(client, seller, reverse("portal:home"))
    found = actions(html)
    assert set(found) == {"open_disputes", "buyers_to_rate"}
    for english in (
        "open disputes",
        "buyers to rate",
        "Next window closes",
        "The seller has",
        "What needs your attention",
    ):
        assert english not in html, (language, english)
    assert "2" in found["open_disputes"]
    assert "8" in found["buyers_to_rate"]
