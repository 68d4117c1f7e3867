"""Reads of the webhooks app: a store owner's endpoints and their delivery log."""

from django.db.models import QuerySet
from django.http import Http404

from portal.models import Store
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

DELIVERY_LOG_SIZE = 50


def endpoints_for_store(*, store: Store) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(store=store).order_by("-created_at", "-id")


def endpoint_get_for_store(*, store: Store, endpoint_id: int) -> WebhookEndpoint:
    """The store's endpoint, or 404 (another store's endpoint, a marketplace endpoint, or none)."""
    endpoint = WebhookEndpoint.objects.filter(store=store, pk=endpoint_id).first()
    if endpoint is None:
        raise Http404("No such endpoint.")
    return endpoint


def delivery_get_for_endpoint(*, endpoint: WebhookEndpoint, delivery_id: int) -> WebhookDelivery:
    delivery = WebhookDelivery.objects.filter(endpoint=endpoint, pk=delivery_id).first()
    if delivery is None:
        raise Http404("No such delivery.")
    return delivery


def delivery_log(*, endpoint: WebhookEndpoint, limit: int = DELIVERY_LOG_SIZE) -> list[WebhookDelivery]:
    """The endpoint's latest deliveries, each with its latest attempt as `last_attempt` (two queries)."""
    deliveries = list(
        WebhookDelivery.objects.filter(endpoint=endpoint).select_related("event").order_by("-created_at", "-id")[:limit]
    )
    latest: dict[int, WebhookAttempt] = {}
    for attempt in WebhookAttempt.objects.filter(delivery__in=deliveries).order_by(
        "delivery_id", "-attempted_at", "-id"
    ):
        latest.setdefault(attempt.delivery_id, attempt)
    for delivery in deliveries:
        delivery.last_attempt = latest.get(delivery.pk)  # type: ignore[attr-defined]
    return deliveries
