"""A complaint opened from an order: the order is preselected and its store named; nobody else's order shows."""

import pytest
from django.urls import reverse
from django.utils.html import escape

from disputes.models import Complaint
from disputes.tests.helpers import shipped_order


@pytest.fixture
def order(buyer, store, now):
    return shipped_order(buyer=buyer, store=store, at=now)


def test_order_page_links_to_a_complaint_about_that_order(client, buyer, store, order):
    client.force_login(buyer)
    page = client.get(reverse("portal:order_detail", args=[order.pk])).content.decode()
    link = reverse("disputes:complaint_new") + f"?subject=seller&amp;store={store.slug}&amp;order={order.pk}"
    assert link in page

    form_page = client.get(link.replace("&amp;", "&"))
    assert form_page.status_code == 200
    body = form_page.content.decode()
    assert f'<option value="{order.pk}" selected>' in body
    assert escape(f"About order {order.number} from the store {store.name}.") in body

    # Sent as it stands (the store field cleared): the complaint is about the order and its store.
    response = client.post(
        link.replace("&amp;", "&"),
        {"subject": "seller", "category": "fraud", "store": "", "order": str(order.pk), "text": "Fake tracking."},
    )
    assert response.status_code == 302
    complaint = Complaint.objects.get()
    assert (complaint.order, complaint.store) == (order, store)


def test_another_buyers_order_in_the_address_is_a_404_and_never_named(client, other_buyer, store, order):
    client.force_login(other_buyer)
    response = client.get(reverse("disputes:complaint_new"), {"subject": "seller", "order": order.pk})
    assert response.status_code == 404
    assert order.number not in response.content.decode()
    assert escape(store.name) not in response.content.decode()


@pytest.mark.parametrize("value", ["abc", "\x00", "-1", "0", "9" * 40, "1 OR 1=1"])
def test_a_malformed_order_id_is_ignored(client, buyer, order, value):
    client.force_login(buyer)
    response = client.get(reverse("disputes:complaint_new"), {"order": value})
    assert response.status_code == 200
    assert response.context["from_order"] is None
    assert f'<option value="{order.pk}" selected>' not in response.content.decode()
