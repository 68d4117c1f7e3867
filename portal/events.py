"""The seam between the services and the outgoing webhooks.

The core may not import the webhooks app, yet the changes it makes (an order completing) are
events the marketplace and the stores' tools want to hear about. A service calls `publish`
inside its transaction, once per change; the publishers registered here (the webhooks app's
outbox writer, from its `AppConfig.ready()`) write in that same transaction, so a rolled-back
change publishes nothing and a committed one is never lost.

Payloads carry ids, the store's slug, the order's number and ISO 8601 UTC times, never
sealed content: a review's text appears only from `review.published` on.
"""

from collections.abc import Collection, Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

# Every event a service publishes; `publish` refuses any other name, so a typo fails in tests.
EVENT_TYPES: tuple[str, ...] = (
    "order.completed",
    "feedback.window_closed",
    "review.published",
    "review.reply_posted",
    "review.removed",
    "review.additional_posted",
    "review.revision_requested",
    "review.revised",
    "dispute.opened",
    "dispute.offer_made",
    "dispute.escalated",
    "dispute.resolved",
    "penalty.added",
    "store.restricted",
    "store.restriction_lifted",
    "message.received",
    "complaint.answered",
)


class EventPublisher(Protocol):
    """Writes what it needs in the caller's transaction; never does network I/O."""

    def __call__(
        self, *, event_type: str, store_id: int | None, subject: str, payload: Mapping[str, Any], now: datetime
    ) -> object: ...


EVENT_PUBLISHERS: dict[str, EventPublisher] = {}


def register_event_publisher(name: str, publisher: EventPublisher) -> None:
    """Call `publisher` for every published event; registering a name again replaces it (apps load once)."""
    EVENT_PUBLISHERS[name] = publisher


class ListenerCheck(Protocol):
    """Of `store_ids`, the stores whose events of any of `event_types` the publisher would write."""

    def __call__(self, *, event_types: Collection[str], store_ids: Collection[int]) -> set[int]: ...


LISTENER_CHECKS: dict[str, ListenerCheck] = {}


def register_listener_check(name: str, check: ListenerCheck) -> None:
    """Let a batch ask publisher `name` once who listens, instead of publishing every event to find out."""
    LISTENER_CHECKS[name] = check


def stores_listening(*, event_types: Collection[str], store_ids: Collection[int]) -> set[int]:
    """The stores among `store_ids` whose events of `event_types` some publisher keeps.

    A sweep publishing for thousands of objects asks this once per batch and builds payloads
    only for those stores: with nobody subscribed, publishing costs one query per batch, not
    one per event. A publisher that registered no check is assumed to keep everything.
    """
    ids = set(store_ids)
    listening: set[int] = set()
    for name in EVENT_PUBLISHERS:
        check = LISTENER_CHECKS.get(name)
        if check is None:
            return ids
        listening |= check(event_types=event_types, store_ids=ids)
    return listening & ids


def publish(*, event_type: str, store_id: int | None, subject: str, payload: Mapping[str, Any], now: datetime) -> None:
    """Tell the registered publishers that `event_type` happened to `subject` (e.g. "order:12"); call inside the transaction.

    `subject` names the object the event is about: events of one subject reach each endpoint
    in the order they were published.
    """
    if event_type not in EVENT_TYPES:
        raise KeyError(f"Unknown event type {event_type!r}")
    for publisher in EVENT_PUBLISHERS.values():
        publisher(event_type=event_type, store_id=store_id, subject=subject, payload=payload, now=now)


def iso(moment: datetime | None) -> str | None:
    """An aware time as ISO 8601 in UTC with a `Z`, as every payload carries it."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def store_reference(store_id: int, slug: str) -> dict[str, Any]:
    return {"id": store_id, "slug": slug}


def order_reference(order: Any) -> dict[str, Any]:
    """The order as every payload names it: its id, the marketplace's number and its store."""
    return {"id": order.pk, "number": order.number, "store": store_reference(order.store_id, order.store.slug)}


def order_completed(*, order: Any, now: datetime) -> None:
    """Publish `order.completed` (inside `order_transition`'s transaction)."""
    publish(
        event_type="order.completed",
        store_id=order.store_id,
        subject=f"order:{order.pk}",
        payload={
            "order": order_reference(order),
            "completed_at": iso(order.completed_at),
            "completed_automatically": order.completed_automatically,
        },
        now=now,
    )
