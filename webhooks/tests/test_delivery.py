"""Delivery to a real local receiver: signatures, retries at their boundaries, disabling, rotation, replay, crashes."""

from datetime import timedelta

import pytest
import time_machine
from django.db import transaction

from messaging.models import Notification
from portal.events import publish
from webhooks import delivery, services
from webhooks.delivery import MAX_ATTEMPTS, RETRY_DELAYS, deliveries_claim, webhooks_deliver_sweep
from webhooks.forms import EndpointForm
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent
from webhooks.tests.conftest import T0


def _publish(store, *, subject="order:1", event_type="order.completed", now=T0, payload=None):
    publish(event_type=event_type, store_id=store.pk, subject=subject, payload=payload or {"order": {"id": 1}}, now=now)


def _sweep_at(moment):
    with time_machine.travel(moment, tick=False):
        return webhooks_deliver_sweep(now=moment)


def test_an_event_is_delivered_signed_with_a_stable_id(store, endpoint, receiver):
    _publish(store)
    event = WebhookEvent.objects.get()
    assert _sweep_at(T0) == 1
    assert receiver.rejected == 0
    assert receiver.received == [
        {
            "id": event.public_id,
            "type": "order.completed",
            "timestamp": "2026-03-02T09:00:00Z",
            "subject": "order:1",
            "sequence": 1,
            "data": {"order": {"id": 1}},
        }
    ]
    assert receiver.headers[0]["webhook-id"] == event.public_id
    assert receiver.headers[0]["webhook-timestamp"] == str(int(T0.timestamp()))
    row = WebhookDelivery.objects.get()
    assert (row.status, row.attempts, row.delivered_at) == (WebhookDelivery.Status.DELIVERED, 1, T0)
    attempt = WebhookAttempt.objects.get()
    assert (attempt.response_status, attempt.response_body, attempt.succeeded) == (200, "ok", True)
    assert _sweep_at(T0 + timedelta(hours=1)) == 0  # delivered once


def test_an_endpoint_of_another_store_or_another_type_gets_nothing(store, endpoint, other_seller):
    other_store = other_seller.owned_stores.get()
    _publish(other_store)
    _publish(store, event_type="dispute.opened", subject="dispute:1")
    assert not WebhookEvent.objects.exists()  # nobody subscribed: no row at all


def test_a_marketplace_endpoint_hears_every_store(store, other_seller, receiver):
    market = services.endpoint_create(
        store=None, actor=None, url=receiver.url, description="", event_types=["order.completed"], now=T0
    )
    receiver.secrets.append(market.secret)
    _publish(store, subject="order:1")
    _publish(other_seller.owned_stores.get(), subject="order:2")
    assert _sweep_at(T0) == 2
    assert sorted(event["subject"] for event in receiver.received) == ["order:1", "order:2"]


def test_a_rolled_back_transaction_leaves_no_event_and_sends_nothing(store, endpoint, receiver):
    def change_that_fails():
        with transaction.atomic():
            _publish(store)
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        change_that_fails()
    assert not WebhookEvent.objects.exists()
    assert not WebhookDelivery.objects.exists()
    assert _sweep_at(T0 + timedelta(minutes=1)) == 0
    assert receiver.received == []


def test_retries_follow_the_backoff_to_the_second_then_the_endpoint_is_disabled_and_the_owner_told(
    store, seller, endpoint, receiver
):
    receiver.statuses = [500] * MAX_ATTEMPTS
    _publish(store)
    moment = T0
    assert _sweep_at(moment) == 1
    for number, wait in enumerate(RETRY_DELAYS, start=2):
        due = moment + wait
        assert _sweep_at(due - timedelta(seconds=1)) == 0, f"attempt {number} came early"
        assert _sweep_at(due) == 1, f"attempt {number} did not come on time"
        moment = due
    row = WebhookDelivery.objects.get()
    assert (row.status, row.attempts) == (WebhookDelivery.Status.FAILED, MAX_ATTEMPTS)
    assert len(receiver.received) == MAX_ATTEMPTS
    assert moment - T0 > timedelta(days=2, hours=19)  # about three days of retries
    endpoint.refresh_from_db()
    assert not endpoint.is_active
    assert endpoint.disabled_at == moment
    note = Notification.objects.get(recipient=seller, kind="webhook_endpoint_disabled")
    assert note.params["url"] == endpoint.url
    # Nothing more is sent to a disabled endpoint.
    _publish(store, subject="order:2", now=moment)
    assert _sweep_at(moment + timedelta(days=1)) == 0


def test_a_redirect_is_not_followed_and_counts_as_a_failure(store, endpoint, httpserver):
    httpserver.clear_all_handlers()
    httpserver.expect_request("/hook", method="POST").respond_with_data(
        "", status=302, headers={"Location": httpserver.url_for("/elsewhere")}
    )
    httpserver.expect_request("/elsewhere").respond_with_data("should not be reached")
    _publish(store)
    assert _sweep_at(T0) == 1
    row = WebhookDelivery.objects.get()
    assert (row.status, row.next_attempt_at) == (WebhookDelivery.Status.PENDING, T0 + RETRY_DELAYS[0])
    attempt = WebhookAttempt.objects.get()
    assert attempt.response_status == 302
    assert attempt.error.startswith("redirect not followed")
    assert (attempt.error_code, attempt.error_params) == ("redirect", {"location": httpserver.url_for("/elsewhere")})
    assert [request.path for request, _ in httpserver.log] == ["/hook"]


def test_a_private_target_is_refused_without_the_setting(store, endpoint, receiver, settings):
    settings.OPINIA_WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    _publish(store)
    assert _sweep_at(T0) == 1
    assert receiver.received == []
    attempt = WebhookAttempt.objects.get()
    assert attempt.response_status is None
    assert "private or reserved address" in attempt.error
    assert (attempt.error_code, attempt.error_params["host"]) == ("private_address", "localhost")
    assert WebhookDelivery.objects.get().status == WebhookDelivery.Status.PENDING


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "169.254.169.254", "::1", "fe80::1", "::ffff:10.0.0.1"])
def test_private_loopback_and_link_local_addresses_are_refused(address, settings, monkeypatch):
    settings.OPINIA_WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    monkeypatch.setattr(delivery.socket, "getaddrinfo", lambda *a, **k: [(0, 0, 0, "", (address, 443))])
    with pytest.raises(delivery.TargetRefused):
        delivery.resolve_target("hooks.example.com", 443)


INTERNAL_IPV4_IN_IPV6 = [
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
    "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
    "64:ff9b:1::a9fe:a9fe",  # local-use NAT64
    "::a9fe:a9fe",  # IPv4-compatible
    "::ffff:0:a9fe:a9fe",  # IPv4-translated
    "::ffff:0:7f00:1",
]


@pytest.mark.parametrize("address", INTERNAL_IPV4_IN_IPV6)
def test_ipv6_forms_of_an_internal_ipv4_are_refused_by_delivery_and_by_the_form(address, settings, monkeypatch):
    settings.OPINIA_WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    monkeypatch.setattr(delivery.socket, "getaddrinfo", lambda *a, **k: [(0, 0, 0, "", (address, 443))])
    with pytest.raises(delivery.TargetRefused):
        delivery.resolve_target("hooks.example.com", 443)
    form = EndpointForm({"url": f"https://[{address}]/hook", "event_types": ["order.completed"]})
    assert not form.is_valid()
    assert "url" in form.errors


@pytest.mark.parametrize("address", ["64:ff9b::808:808", "2606:4700::1111", "93.184.216.34"])
def test_public_addresses_including_nat64_of_a_public_ipv4_are_allowed(address, settings, monkeypatch):
    settings.OPINIA_WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    monkeypatch.setattr(delivery.socket, "getaddrinfo", lambda *a, **k: [(0, 0, 0, "", (address, 443))])
    assert delivery.resolve_target("hooks.example.com", 443) == address


def test_a_name_with_one_private_address_among_public_ones_is_refused(settings, monkeypatch):
    settings.OPINIA_WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    infos = [(0, 0, 0, "", ("93.184.216.34", 443)), (0, 0, 0, "", ("192.168.0.5", 443))]
    monkeypatch.setattr(delivery.socket, "getaddrinfo", lambda *a, **k: infos)
    with pytest.raises(delivery.TargetRefused):
        delivery.resolve_target("hooks.example.com", 443)


def test_the_response_body_is_read_only_up_to_the_cap(store, endpoint, httpserver):
    httpserver.clear_all_handlers()
    httpserver.expect_request("/hook", method="POST").respond_with_data("x" * 100_000, status=200)
    _publish(store)
    assert _sweep_at(T0) == 1
    assert len(WebhookAttempt.objects.get().response_body) == delivery.RESPONSE_BODY_CAP


def test_rotation_signs_with_both_secrets_during_the_overlap_then_only_the_new_one(store, endpoint, receiver):
    old_secret = endpoint.secret
    endpoint, new_secret = services.endpoint_rotate_secret(endpoint_id=endpoint.pk, now=T0)
    receiver.secrets[:] = [old_secret]  # a receiver that has not switched yet
    _publish(store, subject="order:1")
    assert _sweep_at(T0 + timedelta(hours=23)) == 1
    receiver.secrets[:] = [new_secret]  # one that has
    _publish(store, subject="order:2")
    assert _sweep_at(T0 + timedelta(hours=23, minutes=59)) == 1
    assert receiver.rejected == 0
    assert len(receiver.received) == 2
    assert len(receiver.headers[0]["webhook-signature"].split(" ")) == 2
    # After the overlap only the new secret signs: the old receiver refuses it.
    receiver.secrets[:] = [old_secret]
    _publish(store, subject="order:3")
    assert _sweep_at(T0 + timedelta(hours=24)) == 1
    assert receiver.rejected == 1
    receiver.secrets[:] = [new_secret]
    assert _sweep_at(T0 + timedelta(hours=24, seconds=5)) == 1
    assert receiver.received[-1]["subject"] == "order:3"
    assert len(receiver.headers[-1]["webhook-signature"].split(" ")) == 1


def test_replay_sends_the_same_event_id_again(store, endpoint, receiver):
    _publish(store)
    _sweep_at(T0)
    row = WebhookDelivery.objects.get()
    services.delivery_replay(delivery_id=row.pk, now=T0 + timedelta(hours=1))
    assert _sweep_at(T0 + timedelta(hours=1)) == 1
    assert [event["id"] for event in receiver.received] == [row.event.public_id] * 2
    assert receiver.headers[0]["webhook-id"] == receiver.headers[1]["webhook-id"]
    assert WebhookAttempt.objects.filter(delivery=row).count() == 2


def test_a_worker_killed_after_claiming_leaves_the_delivery_to_the_next_sweep_after_the_claim_lapses(
    store, endpoint, receiver
):
    _publish(store)
    with time_machine.travel(T0, tick=False):
        claimed = deliveries_claim(now=T0, limit=10)  # then the worker dies: no POST, no outcome
    assert len(claimed) == 1
    lapse = T0 + delivery.CLAIM_TTL
    assert _sweep_at(lapse - timedelta(seconds=1)) == 0
    assert _sweep_at(lapse) == 1
    assert len(receiver.received) == 1
    assert WebhookDelivery.objects.get().status == WebhookDelivery.Status.DELIVERED


def test_a_late_outcome_of_a_lost_claim_changes_nothing(store, endpoint, receiver):
    _publish(store)
    with time_machine.travel(T0, tick=False):
        stale = deliveries_claim(now=T0, limit=10)[0]
    _sweep_at(T0 + delivery.CLAIM_TTL)  # another worker delivered it
    late = delivery.Outcome(T0, 500, 5, "", "HTTP 500")
    assert delivery.delivery_record(outgoing=stale, outcome=late) is None
    assert WebhookDelivery.objects.get().status == WebhookDelivery.Status.DELIVERED


def test_events_of_one_object_arrive_in_order_a_later_one_waits_for_an_earlier_retry(store, endpoint, receiver):
    receiver.statuses = [500]
    _publish(store, subject="order:1", payload={"n": 1})
    _publish(store, subject="order:1", payload={"n": 2})
    assert _sweep_at(T0) == 1  # #1 (fails); #2 waits behind it
    _publish(store, subject="order:9", payload={"n": 3}, now=T0)
    assert _sweep_at(T0 + timedelta(seconds=1)) == 1  # another object is not held up
    assert _sweep_at(T0 + RETRY_DELAYS[0] - timedelta(seconds=1)) == 0  # #2 still waits behind #1
    assert _sweep_at(T0 + RETRY_DELAYS[0]) == 1  # the retry of #1, delivered
    assert _sweep_at(T0 + RETRY_DELAYS[0]) == 1  # then #2
    assert [event["data"]["n"] for event in receiver.received] == [1, 3, 1, 2]
    assert [event["sequence"] for event in receiver.received if event["subject"] == "order:1"] == [1, 1, 2]


def test_send_test_event_goes_to_that_endpoint_only(store, endpoint, receiver, seller):
    other = services.endpoint_create(
        store=store, actor=seller, url=receiver.url, description="", event_types=["order.completed"], now=T0
    )
    services.endpoint_send_test(endpoint_id=endpoint.pk, now=T0)
    assert list(WebhookDelivery.objects.values_list("endpoint_id", flat=True)) == [endpoint.pk]
    assert _sweep_at(T0) == 1
    assert receiver.received[0]["type"] == "webhook.test"
    assert other.deliveries.count() == 0


def test_enabling_a_disabled_endpoint_resumes_what_was_waiting(store, endpoint, receiver):
    services.endpoint_set_active(endpoint_id=endpoint.pk, active=False, reason="paused", now=T0)
    _publish(store)  # a disabled endpoint's deliveries wait: nothing is sent
    assert _sweep_at(T0) == 0
    assert receiver.received == []
    services.endpoint_set_active(endpoint_id=endpoint.pk, active=True, now=T0)
    _publish(store, subject="order:2")
    assert _sweep_at(T0) == 2
    assert sorted(event["subject"] for event in receiver.received) == ["order:1", "order:2"]
    assert WebhookEndpoint.objects.get().disabled_at is None


def test_the_delivery_that_ran_out_of_retries_is_sent_again_when_the_endpoint_is_enabled(store, endpoint, receiver):
    receiver.statuses = [500] * MAX_ATTEMPTS
    _publish(store)
    moment = T0
    _sweep_at(moment)
    for wait in RETRY_DELAYS:
        moment += wait
        _sweep_at(moment)
    assert WebhookDelivery.objects.get().status == WebhookDelivery.Status.FAILED
    _publish(store, subject="order:1", now=moment)  # the same object's next event, while disabled
    assert _sweep_at(moment + timedelta(hours=1)) == 0
    services.endpoint_set_active(endpoint_id=endpoint.pk, active=True, now=moment + timedelta(hours=2))
    assert _sweep_at(moment + timedelta(hours=2)) == 1  # the exhausted one first, its follower waits
    assert _sweep_at(moment + timedelta(hours=2)) == 1
    rows = list(WebhookDelivery.objects.order_by("sequence").values_list("status", "attempts"))
    assert rows == [(WebhookDelivery.Status.DELIVERED, 1), (WebhookDelivery.Status.DELIVERED, 1)]
    assert [event["sequence"] for event in receiver.received[-2:]] == [1, 2]
