"""The seam between the services that write people's words and ratings and the trust checks.

The apps that hold texts (messages, replies, additional reviews, dispute threads) and the
ratings and reports a retaliation check reads may not import the trust app, which sits above
them. A service calls `integrity_check` inside its transaction, once per row written; the
listener the trust app registers writes a pending-check row in that same transaction, so a
committed text is always checked (by the worker, after commit) and a rolled-back one never.
Nothing here blocks or changes the write.

The review-report queue of the feedback app marks reports that trust noticed (a seller
reporting a review written by a buyer who disputed) through `annotate_review_reports`.
"""

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from django.db.models import QuerySet

# What a pending check may point at; the trust app knows how to read each.
SOURCES: tuple[str, ...] = (
    "message",
    "reply",
    "additional_review",
    "dispute_message",
    "seller_rating",
    "review_report",
)


class IntegrityListener(Protocol):
    def __call__(self, *, source: str, source_id: int, now: datetime) -> object: ...


INTEGRITY_LISTENERS: dict[str, IntegrityListener] = {}


def register_integrity_listener(name: str, listener: IntegrityListener) -> None:
    """Call `listener` for every text or rating written; registering a name again replaces it."""
    INTEGRITY_LISTENERS[name] = listener


def integrity_check(*, source: str, source_id: int, now: datetime) -> None:
    """Ask for `source` #`source_id` to be checked; call inside the transaction that wrote it."""
    if source not in SOURCES:
        raise ValueError(f"Unknown integrity source {source!r}")
    for listener in INTEGRITY_LISTENERS.values():
        listener(source=source, source_id=source_id, now=now)


# Annotates the review-report queue's queryset with a boolean `after_dispute` (see trust.admin).
ReportAnnotation = Callable[[QuerySet[Any]], QuerySet[Any]]
REPORT_ANNOTATIONS: list[ReportAnnotation] = []


def register_review_report_annotation(annotate: ReportAnnotation) -> None:
    if annotate not in REPORT_ANNOTATIONS:
        REPORT_ANNOTATIONS.append(annotate)


def annotate_review_reports(queryset: QuerySet[Any]) -> QuerySet[Any]:
    """The report queue's rows with every registered mark (one subquery each, no extra query)."""
    for annotate in REPORT_ANNOTATIONS:
        queryset = annotate(queryset)
    return queryset
