"""A dispute thread message removed by moderators: the parties see a placeholder, staff the text."""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from disputes import services
from disputes.models import DisputeMessage
from portal.tests.factories import UserFactory

from .helpers import open_dispute

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_a_removed_thread_message_is_replaced_for_the_parties_and_kept_for_staff(client, buyer, seller, store):
    dispute = open_dispute(buyer=buyer, store=store, now=T0)
    message = services.dispute_post_message(
        dispute_id=dispute.pk, actor=seller, text="Drop the case or else", now=T0 + timedelta(hours=1)
    )
    staff = UserFactory(email="resolver@example.com", is_staff=True, is_superuser=True)
    assert services.dispute_message_remove_by_moderator(
        message_id=message.pk, moderator=staff, now=T0 + timedelta(hours=2)
    )
    assert not services.dispute_message_remove_by_moderator(
        message_id=message.pk, moderator=staff, now=T0 + timedelta(hours=3)
    )
    stored = DisputeMessage.objects.get(pk=message.pk)
    assert (stored.text, stored.removed_at) == ("Drop the case or else", T0 + timedelta(hours=2))
    assert LogEntry.objects.filter(object_id=str(message.pk), user=staff).count() == 1
    client.force_login(buyer)
    page = client.get(reverse("disputes:detail", args=[dispute.pk])).content.decode()
    assert "Drop the case or else" not in page
    assert "Removed by moderation" in page
    client.force_login(staff)
    admin_page = client.get(reverse("admin:disputes_dispute_change", args=[dispute.pk])).content.decode()
    assert "Drop the case or else" in admin_page
