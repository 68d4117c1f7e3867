"""Moderating reviews is a permission: a renamed group keeps it, a direct grant is enough, no grant is refused."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from feedback import services
from feedback.tests.test_admin import reported  # noqa: F401  (fixture)
from portal.tests.factories import UserFactory


def test_a_renamed_moderators_group_keeps_the_right_to_moderate(client, reported):  # noqa: F811
    group = Group.objects.get(name="Moderators")
    group.name = "Trust and safety"
    group.save()
    user = UserFactory(email="tns@example.com", is_staff=True)
    user.groups.add(group)
    client.force_login(user)
    url = reverse("admin:feedback_itemreview_moderate", args=[reported.pk, "remove"])
    assert client.post(url, {"note": "Personal data"}).status_code == 302
    reported.refresh_from_db()
    assert reported.removed_at is not None


def test_a_direct_grant_without_a_group_may_moderate(reported):  # noqa: F811
    user = UserFactory(email="direct@example.com", is_staff=True)
    user.user_permissions.add(Permission.objects.get(content_type__app_label="feedback", codename="moderate_review"))
    services.review_moderate(review_id=reported.pk, moderator=user, decision="remove", now=timezone.now())
    reported.refresh_from_db()
    assert reported.removed_at is not None


def test_staff_in_no_group_may_not_moderate(client, reported):  # noqa: F811
    user = UserFactory(email="nogroup@example.com", is_staff=True)
    with pytest.raises(PermissionDenied):
        services.review_moderate(review_id=reported.pk, moderator=user, decision="remove", now=timezone.now())
    client.force_login(user)
    url = reverse("admin:feedback_itemreview_moderate", args=[reported.pk, "remove"])
    assert client.post(url, {"note": "x"}).status_code == 403
    reported.refresh_from_db()
    assert reported.removed_at is None
