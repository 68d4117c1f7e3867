"""Every write of the message centre."""

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from messaging.models import Notification
from portal.models import User


def notification_send(
    *, user_id: int, kind: str, params: dict[str, Any], url: str = "", now: datetime | None = None
) -> Notification:
    """Store a notification and deliver it by e-mail (and SMS where it warrants one) after commit."""
    notification = Notification.objects.create(
        recipient_id=user_id, kind=kind, params=params, url=url, created_at=now or timezone.now()
    )
    notification_id = notification.pk

    def deliver() -> None:
        from messaging.tasks import deliver_notification

        deliver_notification.delay(notification_id)

    transaction.on_commit(deliver)
    return notification


def notifications_mark_read(*, user: User, notification_ids: list[int] | None = None, now: datetime) -> int:
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_ids is not None:
        unread = unread.filter(pk__in=notification_ids)
    return unread.update(read_at=now)
