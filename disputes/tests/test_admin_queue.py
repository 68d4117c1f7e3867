"""The staff dispute queue: its store filter, its order, and its fit on a 1280 px screen."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from disputes.models import Dispute
from disputes.tests.helpers import DAY, dispute_in_state, open_dispute
from portal.tests.factories import StoreFactory, UserFactory

S = Dispute.Status


@pytest.fixture
def queue(buyer, seller, store, staff, now):
    """Four stores with disputes in different states, and one store without any."""
    stores = [store] + [StoreFactory(name=f"Store with a rather long name number {i}") for i in range(3)]
    StoreFactory(name="Quiet store without disputes")
    cases = {
        "overdue_late": dispute_in_state(
            status=S.ESCALATED, buyer=buyer, seller=seller, store=stores[0], staff=staff, now=now - 20 * DAY
        ),
        "overdue_early": dispute_in_state(
            status=S.ESCALATED, buyer=UserFactory(), seller=seller, store=stores[0], staff=staff, now=now - 30 * DAY
        ),
        "escalated_due": dispute_in_state(
            status=S.ESCALATED, buyer=UserFactory(), seller=seller, store=stores[1], staff=staff, now=now - 4 * DAY
        ),
        "awaiting_new": open_dispute(buyer=UserFactory(), store=stores[2], now=now - DAY),
        "awaiting_old": open_dispute(buyer=UserFactory(), store=stores[3], now=now - 2 * DAY),
    }
    Dispute.objects.filter(pk=cases["overdue_late"].pk).update(decision_due_at=now - DAY)
    Dispute.objects.filter(pk=cases["overdue_early"].pk).update(decision_due_at=now - 5 * DAY)
    Dispute.objects.filter(pk=cases["escalated_due"].pk).update(decision_due_at=now + 3 * DAY)
    return stores, cases


def _filter_store_names(html):
    import re

    panel = html[html.index('id="changelist-filter"') :]
    section = panel[panel.index("By store") :]
    section = section[: section.index("</ul>")]
    return re.findall(r'<a href="\?store=\d+"[^>]*>([^<]+)</a>', section)


def test_the_store_filter_lists_every_store_that_has_disputes(client, staff, queue):
    from html import unescape

    stores, _cases = queue
    client.force_login(staff)
    html = client.get(reverse("admin:disputes_dispute_changelist")).content.decode()
    names = [unescape(name).strip() for name in _filter_store_names(html)]
    assert sorted(names) == sorted(store.name for store in stores)
    # Choosing a store keeps it listed and filters the queue to its cases.
    html = client.get(reverse("admin:disputes_dispute_changelist") + f"?store={stores[3].pk}").content.decode()
    assert queue[1]["awaiting_old"].order.number in html
    assert queue[1]["awaiting_new"].order.number not in html


def test_the_store_filter_costs_the_same_with_more_stores(client, staff, queue, now):
    client.force_login(staff)
    url = reverse("admin:disputes_dispute_changelist")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for i in range(6):
        open_dispute(buyer=UserFactory(), store=StoreFactory(name=f"Extra {i}"), now=now)
    with CaptureQueriesContext(connection) as many:
        html = client.get(url).content.decode()
    assert len(many) == len(few)
    assert len(_filter_store_names(html)) == 10


def test_overdue_escalations_come_first_then_by_decision_due_date(client, staff, queue):
    _stores, cases = queue
    client.force_login(staff)
    html = client.get(reverse("admin:disputes_dispute_changelist")).content.decode()
    order = ["overdue_early", "overdue_late", "escalated_due", "awaiting_new", "awaiting_old"]
    positions = [html.index(f"/admin/disputes/dispute/{cases[name].pk}/change/") for name in order]
    assert positions == sorted(positions)
    # A filter keeps the same order inside it.
    html = client.get(reverse("admin:disputes_dispute_changelist") + "?status=escalated").content.decode()
    positions = [html.index(f"/admin/disputes/dispute/{cases[name].pk}/change/") for name in order[:3]]
    assert positions == sorted(positions)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("language", "labels"),
    [
        ("en", ("Status", "Opened", "Decision due")),
        ("pl", ("Status", "Otwarto", "Termin decyzji")),
    ],
)
def test_every_column_of_the_queue_is_visible_at_1280_px(browser_page, live_server, queue, staff, language, labels):
    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 900})
    staff.language = language
    staff.save(update_fields=["language"])
    client = Client()
    client.force_login(staff)
    page.context.add_cookies(
        [
            {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url},
            {"name": "django_language", "value": language, "url": live_server.url},
        ]
    )
    page.goto("/admin/disputes/dispute/")
    page.screenshot(path=f"/tmp/fbshots/queue-{language}.png", full_page=True)
    panel = page.locator("#changelist-filter").bounding_box()
    assert panel is not None
    for label in labels:
        header = page.locator("#result_list thead th", has_text=label).first.bounding_box()
        assert header is not None, label
        assert header["x"] + header["width"] <= panel["x"], f"{label} is under the filter panel"
        assert header["x"] + header["width"] <= 1280, f"{label} is off screen"
    # Nothing hides in a horizontally scrolled results box or off the page either.
    results = page.locator("#changelist-form .results")
    assert results.evaluate("box => box.scrollWidth <= box.clientWidth")
    assert not page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth")
