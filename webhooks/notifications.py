"""The notification an owner receives when an endpoint is disabled after its last retry."""

from collections.abc import Mapping
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from portal.notify import NotificationKind, register_notification_kind, register_notification_topic


def endpoint_link(params: Mapping[str, Any]) -> str:
    """The store's endpoint page, or the admin's page for a marketplace endpoint."""
    if params.get("store_slug"):
        return reverse("webhooks:endpoint_detail", args=[params["store_slug"], int(params["endpoint_id"])])
    return reverse("admin:webhooks_webhookendpoint_change", args=[int(params["endpoint_id"])])


def register_kinds() -> None:
    register_notification_topic("webhooks", _("Webhooks"))
    register_notification_kind(
        "webhook_endpoint_disabled",
        NotificationKind(
            title=_("Webhook endpoint disabled: %(url)s"),
            body=_(
                "Opinia could not deliver events to %(url)s after %(attempts)s attempts over about three days, "
                "so the endpoint was disabled. Fix the receiver, then enable the endpoint again: the events "
                "that were waiting will be sent."
            ),
            link=endpoint_link,
            topic="webhooks",
        ),
    )
