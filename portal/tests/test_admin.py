"""Django admin for the core: lists work and stay cheap; order status is read-only."""

import pytest
from django.forms.models import model_to_dict
from django.urls import reverse

from portal.fragments import content_versions
from portal.models import Order
from portal.tests.factories import ProductFactory, make_order


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
    assert 'name="buyer"' not in page


def test_staff_record_an_order_through_the_service(client, superuser, store, buyer, product):
    from portal.models import OrderEvent

    client.force_login(superuser)
    data = {
        "number": "",
        "buyer": buyer.pk,
        "store": store.pk,
        "currency": "EUR",
        "items-TOTAL_FORMS": "1",
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "1000",
        "items-0-product": product.pk,
        "items-0-quantity": "3",
        "items-0-unit_price": "2.50",
    }
    response = client.post(reverse("admin:portal_order_add"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    order = Order.objects.get()
    assert (order.buyer, order.store, order.status, order.currency) == (buyer, store, "placed", "EUR")
    assert str(order.total) == "7.50"
    assert order.number.startswith("OP")
    assert list(OrderEvent.objects.filter(order=order).values_list("new_status", flat=True)) == ["placed"]


def test_admin_actions_move_orders_through_the_transition_table(client, superuser, store, buyer):
    placed = make_order(buyer=buyer, store=store)
    completed = make_order(buyer=buyer, store=store, status=Order.Status.COMPLETED)
    client.force_login(superuser)
    url = reverse("admin:portal_order_changelist")
    response = client.post(url, {"action": "mark_paid", "_selected_action": [placed.pk, completed.pk]}, follow=True)
    html = response.content.decode()
    assert "cannot go from Completed to Paid" in html
    placed.refresh_from_db()
    completed.refresh_from_db()
    assert (placed.status, completed.status) == ("paid", "completed")
    assert placed.events.latest("pk").actor == superuser


def test_recording_an_order_with_another_stores_product_is_refused_clearly(client, superuser, store, buyer):
    from portal.tests.factories import ProductFactory, StoreFactory

    foreign = ProductFactory(store=StoreFactory())
    client.force_login(superuser)
    data = {
        "number": "",
        "buyer": buyer.pk,
        "store": store.pk,
        "currency": "USD",
        "items-TOTAL_FORMS": "1",
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "1000",
        "items-0-product": foreign.pk,
        "items-0-quantity": "1",
        "items-0-unit_price": "1.00",
    }
    response = client.post(reverse("admin:portal_order_add"), data)
    assert response.status_code == 200
    assert f"Product {foreign.title} is not sold by this store." in response.content.decode()
    assert not Order.objects.exists()


def _order_post(*, buyer, store, product, quantity="1"):
    return {
        "number": "",
        "buyer": buyer.pk,
        "store": store.pk,
        "currency": "EUR",
        "items-TOTAL_FORMS": "1",
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "1000",
        "items-0-product": product.pk,
        "items-0-quantity": quantity,
        "items-0-unit_price": "2.50",
    }


def test_the_add_order_page_is_its_own_view_with_the_items(client, superuser):
    client.force_login(superuser)
    response = client.get(reverse("admin:portal_order_add"))
    assert response.status_code == 200
    assert response.templates[0].name == "admin/portal/order/record.html"
    html = response.content.decode()
    assert 'name="items-0-product"' in html
    assert 'name="items-TOTAL_FORMS"' in html


def test_recording_an_order_is_logged_with_its_items(client, superuser, store, buyer, product):
    from django.contrib.admin.models import ADDITION, LogEntry

    client.force_login(superuser)
    response = client.post(reverse("admin:portal_order_add"), _order_post(buyer=buyer, store=store, product=product))
    assert response.status_code == 302
    order = Order.objects.get()
    entry = LogEntry.objects.get(object_id=str(order.pk))
    assert (entry.action_flag, entry.user_id) == (ADDITION, superuser.pk)
    assert entry.get_change_message() == f"Added. Added order item “{order.items.get()}”."


def test_a_refusal_of_the_service_is_shown_next_to_the_items_with_what_was_typed(
    client, superuser, store, buyer, product, monkeypatch
):
    """What the items' own checks cannot see (a product withdrawn meanwhile, say) is refused by the service."""
    from django.core.exceptions import ValidationError

    from portal import services

    def refuse(**kwargs):
        raise ValidationError("This product was withdrawn a moment ago.")

    monkeypatch.setattr(services, "order_create", refuse)
    client.force_login(superuser)
    data = _order_post(buyer=buyer, store=store, product=product, quantity="3")
    response = client.post(reverse("admin:portal_order_add"), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<ul class="errorlist nonfield"><li>This product was withdrawn a moment ago.</li></ul>' in html
    assert 'name="items-0-quantity" value="3"' in html
    assert not Order.objects.exists()


def test_staff_without_the_add_permission_cannot_record_orders(client, store):
    from portal.tests.factories import UserFactory

    client.force_login(UserFactory(is_staff=True))
    assert client.get(reverse("admin:portal_order_add")).status_code == 403


def test_editing_a_products_title_in_the_admin_renews_the_cached_review_lists(client, superuser, store):
    product = ProductFactory(store=store, title="Old title")
    client.force_login(superuser)
    url = reverse("admin:portal_product_change", args=[product.pk])
    form = {k: v for k, v in model_to_dict(product).items() if v is not None and k != "created_at"}
    form |= {"created_at_0": "2026-01-05", "created_at_1": "10:00:00"}
    before = content_versions(topics=["feedback"], store_id=store.pk)
    assert client.post(url, {**form, "title": "Old title"}).status_code == 302
    assert content_versions(topics=["feedback"], store_id=store.pk) == before  # nothing shown changed
    assert client.post(url, {**form, "title": "New title"}).status_code == 302
    product.refresh_from_db()
    assert product.title == "New title"
    assert content_versions(topics=["feedback"], store_id=store.pk) != before
