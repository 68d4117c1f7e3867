"""The message centre's own notification kinds."""

from collections.abc import Mapping
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from portal.notify import NotificationKind, register_notification_kind, register_notification_topic


def _support_chat(params: Mapping[str, Any]) -> str:
    return reverse("messaging:thread", args=[int(params["number"])])


def _reported_thread(params: Mapping[str, Any]) -> str:
    return reverse("messaging:thread", args=[int(params["conversation_id"])])


def register_kinds() -> None:
    register_notification_topic("messages", _("Messages and support"))
    register_notification_kind(
        "support_chat_closed",
        NotificationKind(
            title=_("Your support chat #%(number)s was closed"),
            body=_("Our support team closed your chat. If you have a moment, rate how helpful it was."),
            link=_support_chat,
            topic="messages",
        ),
    )
    register_notification_kind(
        "message_report_upheld",
        NotificationKind(
            title=_("Your report #%(number)s was upheld"),
            body=_("Thank you. The message you reported broke the rules and was removed."),
            link=_reported_thread,
            topic="messages",
        ),
    )
    register_notification_kind(
        "message_report_dismissed",
        NotificationKind(
            title=_("Your report #%(number)s was reviewed"),
            body=_("Our moderators reviewed the message you reported and found that it did not break the rules."),
            link=_reported_thread,
            topic="messages",
        ),
    )
