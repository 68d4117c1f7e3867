"""The store owner's webhook pages and the admin's marketplace endpoints."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from portal.tests.factories import UserFactory
from webhooks import services
from webhooks.models import DisabledReason, WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent

HOOK = "https://hooks.example.com/opinia"


@pytest.fixture
def endpoint(store, seller):
    return services.endpoint_create(
        store=store, actor=seller, url=HOOK, description="ERP", event_types=["order.completed"], now=timezone.now()
    )


def _urls(store, endpoint):
    return [
        ("get", reverse("webhooks:endpoint_list", args=[store.slug])),
        ("get", reverse("webhooks:endpoint_create", args=[store.slug])),
        ("get", reverse("webhooks:endpoint_detail", args=[store.slug, endpoint.pk])),
        ("post", reverse("webhooks:endpoint_set_active", args=[store.slug, endpoint.pk])),
        ("post", reverse("webhooks:endpoint_rotate", args=[store.slug, endpoint.pk])),
        ("post", reverse("webhooks:endpoint_test", args=[store.slug, endpoint.pk])),
    ]


def test_the_settings_page_links_the_webhooks_section(client, seller, store):
    client.force_login(seller)
    page = client.get(reverse("portal:store_settings", args=[store.slug])).content.decode()
    assert reverse("webhooks:endpoint_list", args=[store.slug]) in page


def test_owner_creates_an_endpoint_and_sees_the_secret_once(client, seller, store):
    client.force_login(seller)
    response = client.post(
        reverse("webhooks:endpoint_create", args=[store.slug]),
        {"url": HOOK, "description": "ERP", "event_types": ["order.completed", "review.published"]},
    )
    endpoint = WebhookEndpoint.objects.get()
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert endpoint.secret in response.content.decode()
    assert (endpoint.store, endpoint.created_by, endpoint.event_types) == (
        store,
        seller,
        ["order.completed", "review.published"],
    )
    detail = client.get(reverse("webhooks:endpoint_detail", args=[store.slug, endpoint.pk])).content.decode()
    assert endpoint.secret not in detail


def test_bad_input_keeps_what_was_typed(client, seller, store, settings):
    settings.OPINIA_WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    client.force_login(seller)
    response = client.post(
        reverse("webhooks:endpoint_create", args=[store.slug]),
        {"url": "http://127.0.0.1:8000/hook", "description": "Typed by hand", "event_types": []},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "private or local address" in page
    assert "Typed by hand" in page
    assert "http://127.0.0.1:8000/hook" in page
    assert not WebhookEndpoint.objects.exists()
    odd = client.post(
        reverse("webhooks:endpoint_create", args=[store.slug]),
        {"url": "ftp://x", "event_types": ["no.such.event"], "description": "x" * 500},
    )
    assert odd.status_code == 200
    assert not WebhookEndpoint.objects.exists()


def test_owner_edits_tests_rotates_disables_and_replays(client, seller, store, endpoint):
    client.force_login(seller)
    detail = reverse("webhooks:endpoint_detail", args=[store.slug, endpoint.pk])
    client.post(detail, {"url": HOOK + "/v2", "description": "ERP 2", "event_types": ["dispute.opened"]})
    endpoint.refresh_from_db()
    assert (endpoint.url, endpoint.event_types) == (HOOK + "/v2", ["dispute.opened"])
    client.post(reverse("webhooks:endpoint_test", args=[store.slug, endpoint.pk]))
    event = WebhookEvent.objects.get(type="webhook.test")
    delivery = WebhookDelivery.objects.get(event=event)
    assert delivery.endpoint == endpoint
    page = client.get(detail).content.decode()
    assert event.public_id in page
    old = endpoint.secret
    rotated = client.post(reverse("webhooks:endpoint_rotate", args=[store.slug, endpoint.pk]))
    endpoint.refresh_from_db()
    assert endpoint.secret != old
    assert endpoint.previous_secret == old
    assert endpoint.secret in rotated.content.decode()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=WebhookDelivery.Status.FAILED, attempts=13)
    client.post(reverse("webhooks:delivery_replay", args=[store.slug, endpoint.pk, delivery.pk]))
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (WebhookDelivery.Status.PENDING, 0)
    client.post(reverse("webhooks:endpoint_set_active", args=[store.slug, endpoint.pk]), {"active": "0"})
    endpoint.refresh_from_db()
    assert not endpoint.is_active
    client.post(reverse("webhooks:endpoint_set_active", args=[store.slug, endpoint.pk]), {"active": "1"})
    endpoint.refresh_from_db()
    assert endpoint.is_active


@pytest.mark.parametrize("who", ["agent", "other_seller", "buyer"])
def test_agents_and_other_users_get_404(client, request, store, endpoint, who):
    client.force_login(request.getfixturevalue(who))
    for method, url in _urls(store, endpoint):
        assert getattr(client, method)(url).status_code == 404, url
    endpoint.refresh_from_db()
    assert endpoint.is_active
    assert not WebhookEvent.objects.exists()


def test_another_stores_endpoint_is_a_404_for_an_owner(client, store, endpoint, other_seller):
    other_store = other_seller.owned_stores.get()
    client.force_login(other_seller)
    assert client.get(reverse("webhooks:endpoint_detail", args=[other_store.slug, endpoint.pk])).status_code == 404
    delivery_url = reverse("webhooks:delivery_replay", args=[store.slug, endpoint.pk, 999])
    assert client.post(delivery_url).status_code == 404


@pytest.fixture
def webhook_staff(db):
    user = UserFactory(email="ops@example.com", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="manage_endpoints"))
    return user


def test_staff_with_the_permission_add_a_marketplace_endpoint_and_see_its_secret_once(client, webhook_staff):
    client.force_login(webhook_staff)
    url = reverse("admin:webhooks_webhookendpoint_add_marketplace")
    assert client.get(url).status_code == 200
    response = client.post(url, {"url": HOOK, "description": "Marketplace", "event_types": ["order.completed"]})
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.store is None
    assert endpoint.secret in response.content.decode()
    change = client.get(reverse("admin:webhooks_webhookendpoint_change", args=[endpoint.pk])).content.decode()
    assert endpoint.secret not in change


def test_admin_actions_send_test_rotate_and_replay(client, webhook_staff):
    endpoint = services.endpoint_create(
        store=None, actor=None, url=HOOK, description="", event_types=[], now=timezone.now()
    )
    client.force_login(webhook_staff)
    changelist = reverse("admin:webhooks_webhookendpoint_changelist")
    client.post(changelist, {"action": "send_test_event", "_selected_action": [endpoint.pk]})
    delivery = WebhookDelivery.objects.get()
    old = endpoint.secret
    rotated = client.post(changelist, {"action": "rotate_secret", "_selected_action": [endpoint.pk]})
    endpoint.refresh_from_db()
    assert endpoint.secret != old
    assert endpoint.secret in rotated.content.decode()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=WebhookDelivery.Status.DELIVERED)
    client.post(
        reverse("admin:webhooks_webhookdelivery_changelist"), {"action": "replay", "_selected_action": [delivery.pk]}
    )
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.PENDING
    log = client.get(reverse("admin:webhooks_webhookdelivery_change", args=[delivery.pk]))
    assert log.status_code == 200


def test_staff_without_the_permission_cannot_manage_endpoints(client, db):
    user = UserFactory(email="mod@example.com", is_staff=True)
    client.force_login(user)
    assert client.get(reverse("admin:webhooks_webhookendpoint_changelist")).status_code == 403
    assert client.get(reverse("admin:webhooks_webhookendpoint_add_marketplace")).status_code == 404


def test_the_admin_change_form_checks_the_url_and_offers_event_types_as_choices(client, webhook_staff, settings):
    settings.OPINIA_WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    endpoint = services.endpoint_create(
        store=None, actor=None, url=HOOK, description="", event_types=[], now=timezone.now()
    )
    client.force_login(webhook_staff)
    url = reverse("admin:webhooks_webhookendpoint_change", args=[endpoint.pk])
    refused = client.post(url, {"url": "http://10.0.0.5/hook", "description": "typed", "event_types": "42"})
    assert refused.status_code == 200
    assert "private or local address" in refused.content.decode()
    client.post(url, {"url": HOOK + "/v2", "description": "d", "event_types": ["dispute.opened"]})
    endpoint.refresh_from_db()
    assert (endpoint.url, endpoint.event_types) == (HOOK + "/v2", ["dispute.opened"])


def test_the_delivery_log_and_the_disabled_reason_are_shown_in_the_readers_language(client, seller, store, endpoint):
    now = timezone.now()
    services.endpoint_send_test(endpoint_id=endpoint.pk, now=now)
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    WebhookAttempt.objects.create(
        delivery=delivery,
        attempted_at=now,
        response_status=500,
        error="HTTP 500",
        error_code="http_status",
        error_params={"status": 500},
    )
    services.endpoint_set_active(endpoint_id=endpoint.pk, active=False, reason=DisabledReason.OWNER, now=now)
    seller.language = "pl"
    seller.save()
    client.force_login(seller)
    url = reverse("webhooks:endpoint_detail", args=[store.slug, endpoint.pk])
    polish = client.get(url, HTTP_ACCEPT_LANGUAGE="pl").content.decode()
    assert "Odpowiedź miała kod HTTP 500, a nie 2xx." in polish
    assert "Wyłączony przez właściciela sklepu" in polish
    assert "HTTP 500, not 2xx" not in polish
    seller.language = "en"
    seller.save()
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "The answer was HTTP 500, not 2xx." in english
    assert "Disabled by the store owner" in english
