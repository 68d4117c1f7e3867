"""A sweep publishing for many windows asks once who listens (`portal.events.stores_listening`).

Without it, the close sweep ran one endpoint query per window and per review it published
(0.07× the raw SQL rate on 100,000 windows); now a batch costs one query when nobody listens,
and only the stores someone subscribed to get events.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from feedback import services as feedback
from feedback.models import FeedbackWindow
from feedback.tests.conftest import complete_order
from portal.events import EVENT_TYPES, stores_listening
from portal.tests.factories import StoreFactory, UserFactory
from webhooks import services
from webhooks.models import WebhookEvent

pytestmark = pytest.mark.django_db


def _windows_due(stores, now, per_store=3):
    for store in stores:
        for _ in range(per_store):
            complete_order(UserFactory(), store, at=now, items=1)
    return FeedbackWindow.objects.order_by("closes_at").last().closes_at


def _endpoint(store, event_types):
    return services.endpoint_create(
        store=store,
        actor=store.owner if store else None,
        url="https://hooks.example.com/opinia",
        description="",
        event_types=event_types,
        now=timezone.now(),
    )


def test_with_nobody_listening_the_close_sweep_publishes_for_a_batch_in_one_query():
    now = timezone.now().replace(microsecond=0)
    stores = [StoreFactory() for _ in range(3)]
    closes_at = _windows_due(stores, now)
    with CaptureQueriesContext(connection) as queries:
        feedback.feedback_windows_close_sweep(now=closes_at)
    endpoint_queries = [q["sql"] for q in queries.captured_queries if "webhooks_webhookendpoint" in q["sql"]]
    assert len(endpoint_queries) == 1
    assert not WebhookEvent.objects.exists()


def test_only_the_stores_someone_subscribed_to_get_events():
    now = timezone.now().replace(microsecond=0)
    heard, unheard, other_type = StoreFactory(), StoreFactory(), StoreFactory()
    _endpoint(heard, ["feedback.window_closed"])
    _endpoint(other_type, ["message.received"])
    closes_at = _windows_due([heard, unheard, other_type], now, per_store=2)
    assert stores_listening(
        event_types=["feedback.window_closed"], store_ids=[heard.pk, unheard.pk, other_type.pk]
    ) == {heard.pk}
    feedback.feedback_windows_close_sweep(now=closes_at)
    closed = WebhookEvent.objects.filter(type="feedback.window_closed")
    assert set(closed.values_list("store_id", flat=True)) == {heard.pk}
    assert closed.count() == 2


def test_a_marketplace_endpoint_listens_to_every_store():
    marketplace = _endpoint(None, list(EVENT_TYPES))
    stores = [StoreFactory(), StoreFactory()]
    assert stores_listening(event_types=["review.published"], store_ids=[s.pk for s in stores]) == {
        s.pk for s in stores
    }
    services.endpoint_set_active(endpoint_id=marketplace.pk, active=False, now=timezone.now())
    # Disabled endpoints still collect their events, to be sent when enabled again.
    assert stores_listening(event_types=["review.published"], store_ids=[stores[0].pk]) == {stores[0].pk}
