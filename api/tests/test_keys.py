"""Keys: shown once, stored hashed, scoped, expiring, revocable; the owner's settings page and the admin."""

import hashlib
from datetime import timedelta

import pytest
import time_machine
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from api import services
from api.models import ApiKey
from api.tests.conftest import T0, ApiClient
from portal.tests.factories import UserFactory

PROBLEM = "application/problem+json"


def test_issued_key_is_stored_as_its_sha256_only(issued_integration):
    key = ApiKey.objects.get(pk=issued_integration.key.pk)
    assert issued_integration.secret.startswith(key.prefix + "_")
    assert key.prefix.startswith("opk_")
    assert len(key.prefix) == 12
    assert key.secret_hash == hashlib.sha256(issued_integration.secret.encode()).hexdigest()
    stored = [str(value) for value in ApiKey.objects.filter(pk=key.pk).values().get().values()]
    assert issued_integration.secret not in stored
    assert LogEntry.objects.filter(object_id=str(key.pk), action_flag=1).exists()


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Bearer nonsense", "Bearer opk_00000000_unknown", "Basic dXNlcjpwYXNz", "Token x"],
)
def test_missing_or_unknown_key_is_a_401_problem(db, header):
    client = Client()
    headers = {"Authorization": header} if header else {}
    response = client.get("/api/v1/orders", headers=headers)
    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM
    assert response.json()["type"] == "urn:opinia:problem:unauthenticated"
    assert response["WWW-Authenticate"] == "Bearer"


def test_a_key_with_a_wrong_secret_is_refused(issued_integration):
    tampered = issued_integration.secret[:-2] + ("AA" if not issued_integration.secret.endswith("AA") else "BB")
    assert ApiClient(tampered).get("/api/v1/orders").status_code == 401
    assert ApiClient(issued_integration.secret).get("/api/v1/orders").status_code == 200


def test_revoked_key_is_a_401(issued_integration, key_revoker):
    client = ApiClient(issued_integration.secret)
    assert client.get("/api/v1/orders").status_code == 200
    services.api_key_revoke(key_id=issued_integration.key.pk, actor=key_revoker, now=T0)
    response = client.get("/api/v1/orders")
    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM


def test_expired_key_is_a_401(staff):
    issued = services.api_key_issue(
        kind=ApiKey.Kind.INTEGRATION,
        name="Short",
        scopes=["orders:read"],
        actor=staff,
        now=T0,
        expires_at=T0 + timedelta(days=1),
    )
    client = ApiClient(issued.secret)
    with time_machine.travel(T0 + timedelta(hours=23), tick=False):
        assert client.get("/api/v1/orders").status_code == 200
    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        assert client.get("/api/v1/orders").status_code == 401


def test_missing_scope_is_a_403_problem(staff):
    issued = services.api_key_issue(
        kind=ApiKey.Kind.INTEGRATION, name="Reader", scopes=["orders:read"], actor=staff, now=T0
    )
    response = ApiClient(issued.secret).post("/api/v1/orders", {})
    assert response.status_code == 403
    assert response["Content-Type"] == PROBLEM
    assert "orders:write" in response.json()["detail"]


def test_a_store_key_cannot_use_integration_operations(store_client):
    assert store_client.get("/api/v1/orders").status_code == 403


def test_an_integration_key_cannot_use_store_operations(integration):
    assert integration.get("/api/v1/store").status_code == 403


def test_scopes_of_the_other_kind_are_refused(staff, store, seller):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.api_key_issue(kind="integration", name="x", scopes=["feedback:read"], actor=staff, now=T0)
    with pytest.raises(ValidationError):
        services.api_key_issue(kind="store", store=store, name="x", scopes=["orders:write"], actor=seller, now=T0)


def test_only_the_owner_issues_store_keys_and_only_staff_integration_keys(store, agent, buyer):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.api_key_issue(kind="store", store=store, name="x", scopes=["feedback:read"], actor=agent, now=T0)
    with pytest.raises(PermissionDenied):
        services.api_key_issue(kind="integration", name="x", scopes=["orders:read"], actor=buyer, now=T0)


def test_last_used_is_written_at_most_once_a_minute(issued_integration):
    client = ApiClient(issued_integration.secret)
    with time_machine.travel(T0, tick=False):
        client.get("/api/v1/orders")
    key = ApiKey.objects.get(pk=issued_integration.key.pk)
    assert key.last_used_at == T0
    with time_machine.travel(T0 + timedelta(seconds=59), tick=False):
        client.get("/api/v1/orders")
    assert ApiKey.objects.get(pk=key.pk).last_used_at == T0
    with time_machine.travel(T0 + timedelta(seconds=61), tick=False):
        client.get("/api/v1/orders")
    assert ApiKey.objects.get(pk=key.pk).last_used_at == T0 + timedelta(seconds=61)


# --- The owner's settings page ----------------------------------------------------------------


def test_owner_creates_a_store_key_shown_once(client, seller, store):
    client.force_login(seller)
    url = reverse("api:store_keys", args=[store.slug])
    response = client.post(url, {"name": "Helpdesk", "scopes": ["feedback:read", "messages:read"]})
    assert response.status_code == 200
    key = ApiKey.objects.get(store=store)
    assert key.kind == "store"
    assert key.scopes == ["feedback:read", "messages:read"]
    assert key.created_by == seller
    secret = response.context["issued"].secret
    assert secret.encode() in response.content
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]
    again = client.get(url)
    assert secret.encode() not in again.content
    assert key.prefix.encode() in again.content
    assert ApiClient(secret).get("/api/v1/store").json()["store_slug"] == store.slug


def test_store_key_form_keeps_input_on_error(client, seller, store):
    client.force_login(seller)
    response = client.post(reverse("api:store_keys", args=[store.slug]), {"name": "Helpdesk"})
    assert response.status_code == 200
    assert b'value="Helpdesk"' in response.content
    assert not ApiKey.objects.exists()


def test_agents_and_strangers_get_404_on_the_keys_page(client, agent, other_seller, store):
    for user in (agent, other_seller):
        client.force_login(user)
        assert client.get(reverse("api:store_keys", args=[store.slug])).status_code == 404
        assert client.post(reverse("api:store_keys", args=[store.slug]), {"name": "x"}).status_code == 404


def test_owner_revokes_a_store_key(client, seller, store, issued_store_key):
    client.force_login(seller)
    response = client.post(reverse("api:store_key_revoke", args=[store.slug, issued_store_key.key.pk]))
    assert response.status_code == 302
    assert ApiKey.objects.get(pk=issued_store_key.key.pk).revoked_at is not None
    assert ApiClient(issued_store_key.secret).get("/api/v1/store").status_code == 401


def test_another_owner_cannot_revoke_the_key(client, other_seller, store, issued_store_key):
    client.force_login(other_seller)
    other_store = other_seller.owned_stores.get()
    assert (
        client.post(reverse("api:store_key_revoke", args=[other_store.slug, issued_store_key.key.pk])).status_code
        == 404
    )
    assert ApiKey.objects.get(pk=issued_store_key.key.pk).revoked_at is None


def test_the_settings_page_links_the_keys_page(client, seller, store):
    client.force_login(seller)
    response = client.get(reverse("portal:store_settings", args=[store.slug]))
    assert reverse("api:store_keys", args=[store.slug]).encode() in response.content


# --- The admin --------------------------------------------------------------------------------


@pytest.fixture
def superuser(db):
    return UserFactory(email="root@example.com", is_staff=True, is_superuser=True)


def test_staff_issue_an_integration_key_in_the_admin_shown_once(client, superuser):
    client.force_login(superuser)
    url = reverse("admin:api_apikey_add")
    assert client.get(url).status_code == 200
    response = client.post(url, {"name": "Marketplace", "scopes": ["orders:read", "orders:write"]})
    assert response.status_code == 200
    secret = response.context["issued"].secret
    assert secret.encode() in response.content
    key = ApiKey.objects.get()
    assert key.kind == "integration"
    assert key.store is None
    change = client.get(reverse("admin:api_apikey_change", args=[key.pk]))
    assert change.status_code == 200
    assert secret.encode() not in change.content
    assert ApiClient(secret).get("/api/v1/orders").status_code == 200


def test_admin_revoke_action(client, superuser, issued_integration):
    client.force_login(superuser)
    response = client.post(
        reverse("admin:api_apikey_changelist"),
        {"action": "revoke_selected", "_selected_action": [issued_integration.key.pk]},
    )
    assert response.status_code == 302
    assert ApiKey.objects.get(pk=issued_integration.key.pk).revoked_at is not None


@pytest.fixture
def key_revoker(db):
    """Staff granted the revoke permission by name (no group holds it)."""
    user = UserFactory(email="revoker@example.com", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="revoke_apikey", content_type__app_label="api"))
    return user


def test_the_revoke_permission_belongs_to_no_group(db):
    assert not Group.objects.filter(permissions__codename="revoke_apikey").exists()


def test_staff_without_the_permission_cannot_revoke(client, staff, issued_integration, issued_store_key):
    staff.user_permissions.add(*Permission.objects.filter(codename__in=["view_apikey", "change_apikey"]))
    client.force_login(staff)
    changelist = client.get(reverse("admin:api_apikey_changelist"))
    assert changelist.status_code == 200
    assert b"revoke_selected" not in changelist.content
    client.post(
        reverse("admin:api_apikey_changelist"),
        {"action": "revoke_selected", "_selected_action": [issued_integration.key.pk, issued_store_key.key.pk]},
    )
    for issued in (issued_integration, issued_store_key):
        with pytest.raises(PermissionDenied):
            services.api_key_revoke(key_id=issued.key.pk, actor=staff, now=T0)
        with pytest.raises(PermissionDenied):
            services.api_key_revoke(key_id=issued.key.pk, actor=staff, now=T0, store=issued.key.store)
    assert not ApiKey.objects.filter(revoked_at__isnull=False).exists()


def test_staff_with_the_permission_revoke_both_kinds_in_the_admin(
    client, key_revoker, issued_integration, issued_store_key
):
    key_revoker.user_permissions.add(Permission.objects.get(codename="view_apikey"))
    client.force_login(key_revoker)
    changelist = client.get(reverse("admin:api_apikey_changelist"))
    assert b"revoke_selected" in changelist.content
    response = client.post(
        reverse("admin:api_apikey_changelist"),
        {"action": "revoke_selected", "_selected_action": [issued_integration.key.pk, issued_store_key.key.pk]},
        follow=True,
    )
    assert "2 keys revoked." in response.content.decode()
    assert ApiKey.objects.filter(revoked_at__isnull=False).count() == 2
    assert ApiClient(issued_store_key.secret).get("/api/v1/store").status_code == 401


def test_staff_with_the_permission_revoke_a_store_key_through_the_service(key_revoker, issued_store_key):
    key = services.api_key_revoke(key_id=issued_store_key.key.pk, actor=key_revoker, now=T0)
    assert key.revoked_at == T0
