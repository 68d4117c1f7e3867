"""The notification kinds of disputes, complaints and penalties (texts rendered in the reader's language)."""

from django.utils.translation import gettext_lazy as _

from portal.notify import NotificationKind, register_notification_kind

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
    for name, kind in KINDS.items():
        register_notification_kind(name, kind)
