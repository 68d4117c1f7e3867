"""What each event type is called in the pages where endpoints choose what they receive."""

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from portal.events import EVENT_TYPES

EVENT_TYPE_LABELS: dict[str, str | Promise] = {
    "order.completed": _("An order was completed"),
    "feedback.window_closed": _("A feedback window closed"),
    "review.published": _("A review was published (automatic ratings included)"),
    "review.reply_posted": _("The store replied to a review"),
    "review.removed": _("A moderator removed a review"),
    "review.additional_posted": _("A buyer added an additional review"),
    "review.revision_requested": _("The store asked for a revision of a review"),
    "review.revised": _("A buyer revised a review"),
    "dispute.opened": _("A dispute was opened"),
    "dispute.offer_made": _("An offer was made in a dispute"),
    "dispute.escalated": _("A dispute was escalated to the platform"),
    "dispute.resolved": _("A dispute was resolved"),
    "penalty.added": _("Penalty points were added"),
    "store.restricted": _("A store was restricted"),
    "store.restriction_lifted": _("A store's restriction was lifted"),
    "message.received": _("A message was received"),
    "complaint.answered": _("A complaint was answered"),
}
assert set(EVENT_TYPE_LABELS) == set(EVENT_TYPES), "every event type needs a label"


def event_type_choices() -> list[tuple[str, str | Promise]]:
    return [(event_type, f"{event_type} — {EVENT_TYPE_LABELS[event_type]}") for event_type in EVENT_TYPES]
