"""The message centre's own notification kinds."""

from django.utils.translation import gettext_lazy as _

from portal.notify import NotificationKind, register_notification_kind


def register_kinds() -> None:
    register_notification_kind(
        "support_chat_closed",
        NotificationKind(
            title=_("Your support chat #%(number)s was closed"),
            body=_("Our support team closed your chat. If you have a moment, rate how helpful it was."),
        ),
    )
    register_notification_kind(
        "message_report_upheld",
        NotificationKind(
            title=_("Your report #%(number)s was upheld"),
            body=_("Thank you. The message you reported broke the rules and was removed."),
        ),
    )
    register_notification_kind(
        "message_report_dismissed",
        NotificationKind(
            title=_("Your report #%(number)s was reviewed"),
            body=_("Our moderators reviewed the message you reported and found that it did not break the rules."),
        ),
    )
