"""The disputes app's timeline note kinds: what the system writes on a case's timeline."""

from django.utils.translation import gettext_lazy as _

from disputes.models import Dispute
from portal.timeline import NoteKind, register_note_kind


def register_note_kinds() -> None:
    register_note_kind(
        # An offer as it reads on the timeline: "Partial refund 8.00 USD".
        "dispute_offer",
        NoteKind(
            text=_("%(outcome)s %(amount)s %(currency)s"), amounts=("amount",), choices={"outcome": Dispute.Outcome}
        ),
    )
    register_note_kind(
        "dispute_offer_accepted",
        NoteKind(
            text=_("%(kind)s of %(amount)s %(currency)s accepted."),
            amounts=("amount",),
            choices={"kind": Dispute.Outcome},
        ),
    )
    register_note_kind(
        "dispute_seller_timeout",
        NoteKind(text=_("The seller did not respond within %(days)s days: the buyer's request is granted.")),
    )
    register_note_kind(
        "dispute_auto_escalated",
        NoteKind(text=_("Not resolved within %(days)s days: escalated to the platform automatically.")),
    )
    register_note_kind(
        "dispute_return_not_shipped",
        NoteKind(text=_("The buyer did not ship the return within %(days)s days: the case closes for the seller.")),
    )
    register_note_kind(
        "dispute_replacement_offer",
        NoteKind(text=_("Replacement offered: %(carrier)s, tracking number %(tracking)s.")),
    )
    register_note_kind(
        "dispute_replacement_accepted",
        NoteKind(
            text=_(
                "Replacement accepted (%(carrier)s, tracking number %(tracking)s): the buyer confirms its arrival "
                "or reports it missing within %(days)s days."
            )
        ),
    )
    register_note_kind(
        "dispute_replacement_taken_as_received",
        NoteKind(
            text=_(
                "The buyer neither confirmed the replacement nor reported it missing within %(days)s days: "
                "it is taken as received."
            )
        ),
    )
    register_note_kind(
        "dispute_decision_overdue", NoteKind(text=_("The decision is overdue; the dispute resolvers were reminded."))
    )
