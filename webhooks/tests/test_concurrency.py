"""PostgreSQL only: two delivery workers at once attempt each delivery exactly once."""

import threading
from collections import Counter

import pytest
import time_machine
from django.db import connection

from portal.events import publish
from webhooks.delivery import webhooks_deliver_sweep
from webhooks.models import WebhookAttempt, WebhookDelivery
from webhooks.tests.conftest import T0

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs SKIP LOCKED"),
]


def test_two_workers_sweeping_at_once_attempt_each_delivery_once(store, endpoint, receiver):
    for number in range(120):
        publish(event_type="order.completed", store_id=store.pk, subject=f"order:{number}", payload={}, now=T0)
    barrier = threading.Barrier(2)
    errors: list[Exception] = []

    def worker():
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            webhooks_deliver_sweep(now=T0, batch_size=10)
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            thread_connection.close()

    with time_machine.travel(T0, tick=False):
        threads = [threading.Thread(target=worker) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    counts = Counter(event["id"] for event in receiver.received)
    assert len(counts) == 120
    assert set(counts.values()) == {1}
    assert WebhookAttempt.objects.count() == 120
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {WebhookDelivery.Status.DELIVERED}
