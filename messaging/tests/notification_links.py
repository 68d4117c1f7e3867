"""Shared check of every app's notification kinds: each one opens its object for its recipient."""

from collections.abc import Iterable

from django.test import Client
from django.urls import reverse

from messaging.models import Notification


def assert_notifications_open_their_objects(
    client: Client, *, kinds: Iterable[str], stranger, lists: Iterable[str] = ()
) -> list[Notification]:
    """Every notification of `kinds` (one at least of each) links to a page its recipient reaches.

    The link is computed from the kind and its parameters, never stored. A stranger gets 404
    on the same address, except the reader's own lists (`lists`) and staff pages in the admin.
    """
    kinds = set(kinds)
    own_lists = set(lists)
    notifications = list(Notification.objects.select_related("recipient").filter(kind__in=kinds).order_by("pk"))
    assert not kinds - {n.kind for n in notifications}, f"never sent: {sorted(kinds - {n.kind for n in notifications})}"
    for notification in notifications:
        link = notification.link()
        assert link, notification.kind
        assert not notification.url, notification.kind
        client.force_login(notification.recipient)
        response = client.get(link)
        assert response.status_code == 200, (notification.kind, link, response.status_code)
        opened = client.post(reverse("messaging:notification_read", args=[notification.pk]), {"open": "1"})
        assert opened["Location"] == link
        if link.startswith("/admin/") or link in own_lists:
            continue
        client.force_login(stranger)
        assert client.get(link).status_code == 404, (notification.kind, link)
    return notifications
