"""Every write in the disputes app, by concern.

- `disputes.services.disputes`: opening, offers, the thread, returns, the staff decision;
- `disputes.services.complaints`: the complaint desk (penalty appeals are complaints);
- `disputes.services.penalties`: the penalty ledger and store restrictions;
- `disputes.services.clocks`: what each dispute clock does when it fires (the sweeps call them).

The public services are re-exported here, so callers write `from disputes import services`
and `services.dispute_open(...)`. Lock order, everywhere: the dispute row first, then the
order row (see `disputes.services.disputes`).
"""

from disputes.services.clocks import (
    dispute_auto_escalate,
    dispute_decision_overdue,
    dispute_replacement_not_confirmed,
    dispute_return_not_confirmed,
    dispute_return_not_shipped,
    dispute_seller_timeout,
)
from disputes.services.complaints import (
    COMPLAINT_TRANSITIONS,
    complaint_answer,
    complaint_close,
    complaint_follow_up,
    complaint_from_message_report,
    complaint_rate,
    complaint_submit,
    complaint_take,
    penalty_appeal,
)
from disputes.services.custody import evidence_case_viewed, evidence_photo_served
from disputes.services.disputes import (
    ALLOWED_TRANSITIONS,
    REFUND_KINDS,
    TransitionNotAllowed,
    dispute_accept_offer,
    dispute_cancel,
    dispute_close,
    dispute_confirm_replacement,
    dispute_confirm_return,
    dispute_escalate,
    dispute_escalation_start,
    dispute_latest_offer,
    dispute_make_offer,
    dispute_message_remove_by_moderator,
    dispute_move,
    dispute_notify_resolved,
    dispute_open,
    dispute_opening_reasons,
    dispute_opening_refusal,
    dispute_post_message,
    dispute_replacement_close,
    dispute_replacement_start,
    dispute_resolve_by_staff,
    dispute_return_refund,
    dispute_return_start,
    dispute_ship_return,
    dispute_side,
)
from disputes.services.penalties import penalty_add, penalty_add_for_abuse, penalty_reason_for, penalty_reverse

__all__ = [
    "ALLOWED_TRANSITIONS",
    "COMPLAINT_TRANSITIONS",
    "REFUND_KINDS",
    "TransitionNotAllowed",
    "complaint_answer",
    "complaint_close",
    "complaint_follow_up",
    "complaint_from_message_report",
    "complaint_rate",
    "complaint_submit",
    "complaint_take",
    "dispute_accept_offer",
    "dispute_auto_escalate",
    "dispute_cancel",
    "dispute_close",
    "dispute_confirm_replacement",
    "dispute_confirm_return",
    "dispute_decision_overdue",
    "dispute_escalate",
    "dispute_escalation_start",
    "dispute_latest_offer",
    "dispute_make_offer",
    "dispute_message_remove_by_moderator",
    "dispute_move",
    "dispute_notify_resolved",
    "dispute_open",
    "dispute_opening_reasons",
    "dispute_opening_refusal",
    "dispute_post_message",
    "dispute_replacement_close",
    "dispute_replacement_not_confirmed",
    "dispute_replacement_start",
    "dispute_resolve_by_staff",
    "dispute_return_not_confirmed",
    "dispute_return_not_shipped",
    "dispute_return_refund",
    "dispute_return_start",
    "dispute_seller_timeout",
    "dispute_ship_return",
    "dispute_side",
    "evidence_case_viewed",
    "evidence_photo_served",
    "penalty_add",
    "penalty_add_for_abuse",
    "penalty_appeal",
    "penalty_reason_for",
    "penalty_reverse",
]
