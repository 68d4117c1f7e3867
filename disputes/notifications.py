"""The notification kinds of disputes, complaints and penalties (texts rendered in the reader's language)."""

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from portal.notify import NotificationKind, register_notification_kind, register_notification_topic


def _case(params: Mapping[str, Any]) -> str:
    return reverse("disputes:detail", args=[int(params["id"])])


def _case_in_admin(params: Mapping[str, Any]) -> str:
    return reverse("admin:disputes_dispute_change", args=[int(params["id"])])


def _penalties(params: Mapping[str, Any]) -> str:
    return reverse("disputes:penalties", args=[params["store_slug"]])


def _complaint(params: Mapping[str, Any]) -> str:
    return reverse("disputes:complaint_detail", args=[int(params["id"])])


def _complaint_in_admin(params: Mapping[str, Any]) -> str:
    return reverse("admin:disputes_complaint_change", args=[int(params["id"])])


TOPICS = {
    "disputes": _("Disputes"),
    "penalties": _("Penalty points"),
    "complaints": _("Complaints"),
}

# What each kind opens, and under which topic the Notifications tab files it.
LINKS = {
    "dispute_opened": (_case, "disputes"),
    "dispute_offer": (_case, "disputes"),
    "dispute_message": (_case, "disputes"),
    "dispute_escalated": (_case, "disputes"),
    "dispute_return_awaited": (_case, "disputes"),
    "dispute_return_shipped": (_case, "disputes"),
    "dispute_replacement_offered": (_case, "disputes"),
    "dispute_replacement_awaited": (_case, "disputes"),
    "dispute_replacement_received": (_case, "disputes"),
    "dispute_replacement_taken_as_received": (_case, "disputes"),
    "dispute_resolved": (_case, "disputes"),
    "dispute_decided": (_case, "disputes"),
    "dispute_decided_rejected": (_case, "disputes"),
    "dispute_cancelled": (_case, "disputes"),
    "dispute_decision_overdue": (_case_in_admin, "disputes"),
    "penalty_added": (_penalties, "penalties"),
    "penalty_added_abuse": (_penalties, "penalties"),
    "store_restricted": (_penalties, "penalties"),
    "store_restriction_lifted": (_penalties, "penalties"),
    "complaint_answered": (_complaint, "complaints"),
    "complaint_overdue": (_complaint_in_admin, "complaints"),
}

KINDS: dict[str, NotificationKind] = {
    "dispute_opened": NotificationKind(
        title=_("Dispute #%(id)s opened on order %(number)s"),
        body=_(
            "The buyer opened a dispute on order %(number)s. Accept the request or make a counter-offer within "
            "%(days)s days; otherwise the buyer's request is granted automatically."
        ),
        sms=True,
    ),
    "dispute_offer": NotificationKind(
        title=_("New offer in dispute #%(id)s"),
        body=_("A new offer of %(amount)s %(currency)s was made in the dispute on order %(number)s."),
    ),
    "dispute_message": NotificationKind(
        title=_("New message in dispute #%(id)s"),
        body=_("There is a new message in the dispute on order %(number)s."),
    ),
    "dispute_escalated": NotificationKind(
        title=_("Dispute #%(id)s was escalated to the platform"),
        body=_("The dispute on order %(number)s is now with the platform, which decides within %(days)s days."),
        sms=True,
    ),
    "dispute_return_awaited": NotificationKind(
        title=_("Dispute #%(id)s: the item is to be returned"),
        body=_("The return of order %(number)s was agreed. The buyer ships it back with a tracking number."),
    ),
    "dispute_return_shipped": NotificationKind(
        title=_("Dispute #%(id)s: the return was shipped"),
        body=_("The buyer shipped the return of order %(number)s (tracking number %(tracking)s)."),
    ),
    "dispute_replacement_offered": NotificationKind(
        title=_("Dispute #%(id)s: the seller offers a replacement"),
        body=_(
            "The seller offers to send order %(number)s again (%(carrier)s, tracking number %(tracking)s). "
            "Accept it on the dispute page, or keep negotiating."
        ),
    ),
    "dispute_replacement_awaited": NotificationKind(
        title=_("Dispute #%(id)s: a replacement is on its way"),
        body=_(
            "The replacement of order %(number)s was agreed (%(carrier)s, tracking number %(tracking)s). "
            "The buyer confirms its arrival, or reports it missing, within %(days)s days; after that it is "
            "taken as received."
        ),
    ),
    "dispute_replacement_received": NotificationKind(
        title=_("Dispute #%(id)s is resolved: the replacement arrived"),
        body=_("The buyer confirmed the replacement of order %(number)s arrived. The case is closed, with no refund."),
        sms=True,
    ),
    "dispute_replacement_taken_as_received": NotificationKind(
        title=_("Dispute #%(id)s is resolved: the replacement is taken as received"),
        body=_(
            "The buyer did not confirm the replacement of order %(number)s (tracking number %(tracking)s) or "
            "report it missing in time, so it is taken as received. The case is closed, with no refund."
        ),
        sms=True,
    ),
    "dispute_resolved": NotificationKind(
        title=_("Dispute #%(id)s is resolved"),
        body=_("The dispute on order %(number)s is resolved. Refund to the buyer: %(refund)s %(currency)s."),
        sms=True,
    ),
    "dispute_decided": NotificationKind(
        title=_("The platform decided dispute #%(id)s"),
        body=_(
            "The platform decided the dispute on order %(number)s: a refund of %(refund)s %(currency)s to the "
            "buyer. Note from the platform: %(note)s"
        ),
        sms=True,
    ),
    "dispute_decided_rejected": NotificationKind(
        title=_("The platform decided dispute #%(id)s"),
        body=_(
            "The platform decided the dispute on order %(number)s: the request is rejected, no refund. "
            "Note from the platform: %(note)s"
        ),
        sms=True,
    ),
    "dispute_cancelled": NotificationKind(
        title=_("Dispute #%(id)s was cancelled"),
        body=_("The buyer cancelled the dispute on order %(number)s."),
    ),
    "dispute_decision_overdue": NotificationKind(
        title=_("Escalated dispute #%(id)s is overdue"),
        body=_("Escalated dispute #%(id)s (order %(number)s) is past its decision deadline. Please decide it."),
    ),
    "penalty_added": NotificationKind(
        title=_("Your store received %(points)s penalty points"),
        body=_(
            "Dispute #%(id)s was decided against your store, which adds %(points)s penalty points. "
            "You may appeal once within %(days)s days."
        ),
        sms=True,
    ),
    "penalty_added_abuse": NotificationKind(
        title=_("Your store received %(points)s penalty points"),
        body=_(
            "The moderators decided case #%(case)s against your store (offers tied to ratings, threats or "
            "retaliation), which adds %(points)s penalty points. You may appeal once within %(days)s days."
        ),
        sms=True,
    ),
    "store_restricted": NotificationKind(
        title=_("Your store is restricted"),
        body=_(
            "Your store has %(points)s live penalty points (the limit is %(threshold)s) and is restricted. "
            "The restriction is lifted when expiring points bring it below the limit."
        ),
        sms=True,
    ),
    "store_restriction_lifted": NotificationKind(
        title=_("The restriction of your store is lifted"),
        body=_(
            "Your store now has %(points)s live penalty points, below the limit of %(threshold)s: it is no longer restricted."
        ),
        sms=True,
    ),
    "complaint_answered": NotificationKind(
        title=_("Your complaint #%(id)s was answered"),
        body=_("The platform answered your complaint #%(id)s. You can read the answer and rate it."),
    ),
    "complaint_overdue": NotificationKind(
        title=_("Complaint #%(id)s has waited %(hours)s hours"),
        body=_("Complaint #%(id)s has had no answer for %(hours)s hours. Please answer it."),
    ),
}


def register_kinds() -> None:
    for name, label in TOPICS.items():
        register_notification_topic(name, label)
    for name, kind in KINDS.items():
        link, topic = LINKS[name]
        register_notification_kind(name, replace(kind, link=link, topic=topic))
