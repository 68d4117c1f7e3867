"""Django admin for the core: lists work and stay cheap; order status is read-only."""

import pytest
from django.urls import reverse

from portal.models import Order
from portal.tests.factories import make_order


@pytest.fixture
def superuser(db):
    from portal.tests.factories import UserFactory

    return UserFactory(email="root@example.com", is_staff=True, is_superuser=True)


@pytest.mark.parametrize("model", ["user", "store", "product", "order", "photo"])
def test_changelists_load_and_search(client, superuser, store, buyer, model):
    make_order(buyer=buyer, store=store, status=Order.Status.SHIPPED)
    client.force_login(superuser)
    url = reverse(f"admin:portal_{model}_changelist")
    assert client.get(url).status_code == 200
    assert client.get(url, {"q": "example"}).status_code == 200


def test_order_list_query_count_does_not_grow_with_orders(
    client, superuser, store, buyer, django_assert_max_num_queries
):
    client.force_login(superuser)
    url = reverse("admin:portal_order_changelist")
    make_order(buyer=buyer, store=store)
    with django_assert_max_num_queries(20) as few:
        client.get(url)
    for _ in range(15):
        make_order(buyer=buyer, store=store)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)


def test_order_status_cannot_be_edited_in_the_admin(client, superuser, store, buyer):
    order = make_order(buyer=buyer, store=store, status=Order.Status.PAID)
    client.force_login(superuser)
    page = client.get(reverse("admin:portal_order_change", args=[order.pk])).content.decode()
    assert 'name="status"' not in page
