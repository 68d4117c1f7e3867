"""Every write of the webhooks app: the outbox writer, endpoints and their secrets, replays."""

import base64
import secrets
import uuid
from collections.abc import Collection, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Q

from portal.events import EVENT_TYPES, iso
from portal.models import Store, User
from webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent

# How long the old secret still signs after a rotation, for receivers to switch over.
SECRET_ROTATION_OVERLAP = timedelta(hours=24)
# Sent only by *Send test event*, to the one endpoint it was asked for.
TEST_EVENT_TYPE = "webhook.test"


def secret_generate() -> str:
    """A new signing secret in the Standard Webhooks format: "whsec_" and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def event_public_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


def _next_sequence(subject: str) -> int:
    """Give `subject` its next sequence number.

    The upsert locks the subject's counter row until the caller's transaction ends, so two
    transactions publishing about the same object take numbers in the order they commit.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO webhooks_webhooksubject (subject, last_sequence) VALUES (%s, 1) "
            "ON CONFLICT (subject) DO UPDATE SET last_sequence = webhooks_webhooksubject.last_sequence + 1 "
            "RETURNING last_sequence",
            [subject],
        )
        row = cursor.fetchone()
    assert row is not None
    return int(row[0])


def _subscribed_endpoints(*, event_type: str, store_id: int | None) -> list[WebhookEndpoint]:
    """Every endpoint that wants the event, disabled ones included: their deliveries wait (the sweep
    claims only active endpoints' deliveries) and are sent when the endpoint is enabled again."""
    owners = Q(store__isnull=True) | Q(store_id=store_id) if store_id is not None else Q(store__isnull=True)
    return [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(owners).only("pk", "event_types")
        if event_type in endpoint.event_types
    ]


def stores_with_endpoints(*, event_types: Collection[str], store_ids: Collection[int]) -> set[int]:
    """Of `store_ids`, those an endpoint (the marketplace's or the store's own, disabled ones
    included, as `_subscribed_endpoints`) wants any of `event_types` for; one query."""
    wanted = set(event_types)
    listening: set[int] = set()
    endpoints = WebhookEndpoint.objects.filter(Q(store__isnull=True) | Q(store_id__in=list(store_ids)))
    for store_id, types in endpoints.values_list("store_id", "event_types"):
        if wanted.isdisjoint(types):
            continue
        if store_id is None:
            return set(store_ids)
        listening.add(store_id)
    return listening


def event_record(
    *,
    event_type: str,
    store_id: int | None,
    subject: str,
    payload: Mapping[str, Any],
    now: datetime,
    endpoints: Iterable[WebhookEndpoint] | None = None,
) -> WebhookEvent | None:
    """Write an event and one pending delivery per subscribed endpoint, in the caller's transaction.

    The outbox writer registered with `portal.events`: no endpoint subscribed means no row at
    all. `endpoints` names them explicitly (the test event goes to one endpoint only).
    """
    targets = (
        list(endpoints) if endpoints is not None else _subscribed_endpoints(event_type=event_type, store_id=store_id)
    )
    if not targets:
        return None
    with transaction.atomic():
        sequence = _next_sequence(subject)
        event = WebhookEvent.objects.create(
            public_id=event_public_id(),
            type=event_type,
            store_id=store_id,
            subject=subject,
            sequence=sequence,
            payload=dict(payload),
            created_at=now,
        )
        WebhookDelivery.objects.bulk_create(
            WebhookDelivery(
                event=event,
                endpoint=endpoint,
                subject=subject,
                sequence=sequence,
                next_attempt_at=now,
                created_at=now,
            )
            for endpoint in targets
        )
    return event


def _clean_event_types(event_types: Iterable[str]) -> list[str]:
    return [event_type for event_type in EVENT_TYPES if event_type in set(event_types)]


def endpoint_create(
    *, store: Store | None, actor: User | None, url: str, description: str, event_types: Iterable[str], now: datetime
) -> WebhookEndpoint:
    """Register an endpoint for `store` (None: the marketplace's) with a new secret; the caller shows it once."""
    return WebhookEndpoint.objects.create(
        store=store,
        url=url,
        description=description,
        event_types=_clean_event_types(event_types),
        secret=secret_generate(),
        created_by=actor,
        created_at=now,
    )


def endpoint_update(*, endpoint_id: int, url: str, description: str, event_types: Iterable[str]) -> WebhookEndpoint:
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint_id)
        endpoint.url = url
        endpoint.description = description
        endpoint.event_types = _clean_event_types(event_types)
        endpoint.save(update_fields=["url", "description", "event_types"])
    return endpoint


def endpoint_set_active(*, endpoint_id: int, active: bool, reason: str = "", now: datetime) -> WebhookEndpoint:
    """Disable an endpoint (its pending deliveries wait) or enable it again (they resume, due now).

    Enabling also queues again the deliveries that ran out of retries (the one that disabled
    the endpoint): the owner was told that what was waiting is sent on enabling.
    """
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint_id)
        if endpoint.is_active == active:
            return endpoint
        endpoint.is_active = active
        endpoint.disabled_at = None if active else now
        endpoint.disabled_reason = "" if active else reason[:200]
        endpoint.save(update_fields=["is_active", "disabled_at", "disabled_reason"])
        if active:
            # A delivery waiting hours for its next retry is sent at once; its count starts again.
            WebhookDelivery.objects.filter(
                endpoint=endpoint, status__in=[WebhookDelivery.Status.PENDING, WebhookDelivery.Status.FAILED]
            ).update(
                status=WebhookDelivery.Status.PENDING,
                next_attempt_at=now,
                attempts=0,
                claimed_until=None,
                claim_token=None,
            )
    return endpoint


def endpoint_rotate_secret(*, endpoint_id: int, now: datetime) -> tuple[WebhookEndpoint, str]:
    """Give the endpoint a new secret; the old one keeps signing for SECRET_ROTATION_OVERLAP. Returns the new secret."""
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint_id)
        new_secret = secret_generate()
        endpoint.previous_secret = endpoint.secret
        endpoint.previous_secret_expires_at = now + SECRET_ROTATION_OVERLAP
        endpoint.secret = new_secret
        endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at"])
    return endpoint, new_secret


def endpoint_send_test(*, endpoint_id: int, now: datetime) -> WebhookEvent:
    """Queue a `webhook.test` event to this endpoint only (even one not subscribed to anything)."""
    endpoint = WebhookEndpoint.objects.get(pk=endpoint_id)
    event = event_record(
        event_type=TEST_EVENT_TYPE,
        store_id=endpoint.store_id,
        subject=f"test:{endpoint.pk}",
        payload={"endpoint_id": endpoint.pk, "sent_at": iso(now)},
        now=now,
        endpoints=[endpoint],
    )
    assert event is not None
    return event


def delivery_replay(*, delivery_id: int, now: datetime) -> WebhookDelivery:
    """Queue a delivery again, due now, with a fresh retry schedule; the event id stays the same."""
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery_id)
        delivery.status = WebhookDelivery.Status.PENDING
        delivery.attempts = 0
        delivery.next_attempt_at = now
        delivery.claimed_until = None
        delivery.claim_token = None
        delivery.save(update_fields=["status", "attempts", "next_attempt_at", "claimed_until", "claim_token"])
    return delivery
