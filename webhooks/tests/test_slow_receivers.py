"""A receiver that drips its answer cannot hold a sender thread past the attempt's deadline."""

import socket
import threading
import time
from datetime import timedelta

import pytest
import time_machine

from portal.events import publish
from webhooks import delivery, services
from webhooks.delivery import RETRY_DELAYS, webhooks_deliver_sweep
from webhooks.models import WebhookAttempt, WebhookDelivery
from webhooks.tests.conftest import ALL_TYPES, T0

DRIP_INTERVAL = 0.25
HEADERS = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 200\r\n\r\n"


class DripServer:
    """A real TCP receiver that answers one byte every DRIP_INTERVAL, in the headers or in the body."""

    def __init__(self, *, drip_headers: bool) -> None:
        self.drip_headers = drip_headers
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.listener.getsockname()[1]}/hook"

    def _serve(self) -> None:
        while not self.stopping.is_set():
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:  # the listener was closed
                return
            threading.Thread(target=self._drip, args=(client,), daemon=True).start()

    def _drip(self, client: socket.socket) -> None:
        with client:
            client.recv(65536)
            answer = HEADERS + b"x" * 200
            if not self.drip_headers:
                client.sendall(HEADERS)
                answer = b"x" * 200
            for byte in answer:
                if self.stopping.is_set():
                    return
                try:
                    client.sendall(bytes([byte]))
                except OSError:
                    return
                time.sleep(DRIP_INTERVAL)

    def stop(self) -> None:
        self.stopping.set()
        self.listener.close()


@pytest.fixture
def drip_server(request):
    server = DripServer(drip_headers=request.param)
    yield server
    server.stop()


@pytest.mark.parametrize("drip_server", [True, False], ids=["headers", "body"], indirect=True)
def test_a_dripping_receiver_times_out_at_the_deadline_and_the_other_endpoint_is_delivered(
    drip_server, store, seller, endpoint, receiver, settings
):
    settings.OPINIA_WEBHOOKS_ATTEMPT_SECONDS = 1
    slow = services.endpoint_create(
        store=store, actor=seller, url=drip_server.url, description="slow", event_types=ALL_TYPES, now=T0
    )
    publish(event_type="order.completed", store_id=store.pk, subject="order:1", payload={"order": {"id": 1}}, now=T0)
    started = time.monotonic()
    with time_machine.travel(T0, tick=False):
        assert webhooks_deliver_sweep(now=T0) == 2
    assert time.monotonic() - started < 4  # the drip would last over a minute
    assert len(receiver.received) == 1
    delivered = WebhookDelivery.objects.get(endpoint=endpoint)
    assert delivered.status == WebhookDelivery.Status.DELIVERED
    stalled = WebhookDelivery.objects.get(endpoint=slow)
    attempt = WebhookAttempt.objects.get(delivery=stalled)
    assert 900 <= attempt.duration_ms < 3000
    assert "within 1 s" in attempt.error
    assert (attempt.error_code, attempt.error_params) == ("timeout", {"seconds": "1"})
    if drip_server.drip_headers:
        # No status line in time: a failed attempt, retried with backoff.
        assert (attempt.response_status, attempt.succeeded) == (None, False)
        assert (stalled.status, stalled.attempts, stalled.next_attempt_at) == (
            WebhookDelivery.Status.PENDING,
            1,
            T0 + RETRY_DELAYS[0],
        )
    else:
        # The 2xx came in time and the receiver has the event; only the logged body is cut short.
        assert (attempt.response_status, attempt.succeeded) == (200, True)
        assert stalled.status == WebhookDelivery.Status.DELIVERED


def test_a_send_still_running_when_the_batch_wait_ends_is_recorded_as_a_timeout(
    store, seller, endpoint, receiver, settings, monkeypatch
):
    slow_server = DripServer(drip_headers=True)
    try:
        settings.OPINIA_WEBHOOKS_ATTEMPT_SECONDS = 5
        monkeypatch.setattr(delivery, "BATCH_WAIT_SECONDS", 1.0)
        slow = services.endpoint_create(
            store=store, actor=seller, url=slow_server.url, description="slow", event_types=ALL_TYPES, now=T0
        )
        publish(
            event_type="order.completed", store_id=store.pk, subject="order:1", payload={"order": {"id": 1}}, now=T0
        )
        started = time.monotonic()
        with time_machine.travel(T0, tick=False):
            assert webhooks_deliver_sweep(now=T0) == 2
        assert time.monotonic() - started < 3
        assert WebhookDelivery.objects.get(endpoint=endpoint).status == WebhookDelivery.Status.DELIVERED
        stalled = WebhookDelivery.objects.get(endpoint=slow)
        assert (stalled.status, stalled.attempts) == (WebhookDelivery.Status.PENDING, 1)
        assert stalled.claimed_until is None
        assert stalled.next_attempt_at == T0 + RETRY_DELAYS[0]
        assert not WebhookAttempt.objects.get(delivery=stalled).succeeded
    finally:
        slow_server.stop()
    assert timedelta(seconds=delivery.BATCH_WAIT_SECONDS) < delivery.CLAIM_TTL
