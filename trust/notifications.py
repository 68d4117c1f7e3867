"""The trust app's notification kinds: what the author of a text hears of a moderator's decision."""

from collections.abc import Mapping
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from portal.notify import NotificationKind, register_notification_kind, register_notification_topic


def _rules(params: Mapping[str, Any]) -> str:
    # The decision is about the rules on ratings: the author is led to the rules in force.
    return reverse("portal:rules")


def register() -> None:
    register_notification_topic("trust", _("Moderation decisions"))
    register_notification_kind(
        "trust_warning",
        NotificationKind(
            title=_("A warning from the moderators"),
            body=_(
                "The moderators reviewed case #%(case)s about something you wrote or a rating you gave. Offers tied "
                "to ratings, threats and retaliation against buyers break the rules; another case may cost "
                "penalty points."
            ),
            link=_rules,
            topic="trust",
        ),
    )
    register_notification_kind(
        "trust_content_removed",
        NotificationKind(
            title=_("The moderators removed your content"),
            body=_(
                "The moderators removed content of case #%(case)s because it broke the rules on ratings: no offer "
                "may be tied to a rating, and no one may be threatened."
            ),
            link=_rules,
            topic="trust",
        ),
    )
