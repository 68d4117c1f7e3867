"""The store-settings services act for the owner only and leave a row on the store's admin history."""

from datetime import time

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from portal import services
from portal.models import Store, StoreMember, WorkingHours

WEEKDAYS = [services.OpeningInterval(weekday=day, opens_at=time(9), closes_at=time(17)) for day in range(5)]


def _history(store):
    return list(
        LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(Store), object_id=str(store.pk))
        .select_related("user")
        .order_by("pk")
    )


def test_settings_change_is_audited_once_per_real_change(store, seller):
    services.store_update_settings(
        store=store, actor=seller, name="Bob's Better Gadgets", time_zone="Asia/Shanghai", auto_reply=""
    )
    services.store_update_settings(
        store=store, actor=seller, name="Bob's Better Gadgets", time_zone="Asia/Shanghai", auto_reply=""
    )
    [entry] = _history(store)
    assert entry.user == seller
    assert entry.get_change_message() == "Changed Name."


def test_working_hours_change_is_audited(store, seller):
    services.store_set_working_hours(store=store, actor=seller, intervals=WEEKDAYS)
    services.store_set_working_hours(store=store, actor=seller, intervals=WEEKDAYS)
    [entry] = _history(store)
    assert entry.get_change_message() == "Changed Working hours."
    assert WorkingHours.objects.filter(store=store).count() == 5


def test_adding_and_removing_an_agent_is_audited(store, seller, other_buyer):
    member = services.store_add_agent(store=store, actor=seller, email=other_buyer.email)
    services.store_remove_agent(store=store, actor=seller, member_id=member.pk)
    added, removed = _history(store)
    assert added.get_change_message() == f"Added store member “{other_buyer.email}”."
    assert removed.get_change_message() == f"Deleted store member “{other_buyer.email}”."


@pytest.mark.parametrize("who", ["agent", "other_seller", "buyer"])
def test_only_the_owner_may_change_the_settings(request, store, who, other_buyer):
    actor = request.getfixturevalue(who)
    member = StoreMember.objects.create(store=store, user=other_buyer, role=StoreMember.Role.AGENT)
    calls = [
        lambda: services.store_update_settings(
            store=store, actor=actor, name="Hijacked", time_zone="UTC", auto_reply=""
        ),
        lambda: services.store_set_working_hours(store=store, actor=actor, intervals=WEEKDAYS),
        lambda: services.store_add_agent(store=store, actor=actor, email=actor.email),
        lambda: services.store_remove_agent(store=store, actor=actor, member_id=member.pk),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied):
            call()
    store.refresh_from_db()
    assert store.name == "Bob's Gadgets"
    assert not WorkingHours.objects.filter(store=store).exists()
    assert StoreMember.objects.filter(pk=member.pk).exists()
    assert _history(store) == []


def test_the_owner_reads_the_history_in_the_admin(client, store, seller):
    services.store_update_settings(
        store=store, actor=seller, name="Bob's Better Gadgets", time_zone="UTC", auto_reply=""
    )
    seller.is_staff = seller.is_superuser = True
    seller.save()
    client.force_login(seller)
    page = client.get(reverse("admin:portal_store_history", args=[store.pk])).content.decode()
    assert "Changed Name and Time zone." in page
