"""Migration 0002 turns the English texts stored before into codes the pages translate."""

import importlib

from django.apps import apps
from django.utils import timezone

from webhooks import services
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

migration = importlib.import_module("webhooks.migrations.0002_attempt_error_code")


def test_stored_english_errors_and_reasons_become_codes(store, seller):
    now = timezone.now()
    endpoint = services.endpoint_create(
        store=store, actor=seller, url="https://hooks.example.com/a", description="", event_types=[], now=now
    )
    services.endpoint_send_test(endpoint_id=endpoint.pk, now=now)
    delivery = WebhookDelivery.objects.get()
    texts = {
        "HTTP 503": ("http_status", {"status": "503"}),
        "redirect not followed: https://elsewhere.example/": ("redirect", {"location": "https://elsewhere.example/"}),
        "cannot resolve nowhere.example: [Errno -2] Name or service not known": (
            "unresolvable",
            {"host": "nowhere.example"},
        ),
        "hooks.example.com resolves to a private or reserved address (10.0.0.1)": (
            "private_address",
            {"host": "hooks.example.com", "address": "10.0.0.1"},
        ),
        "ReadTimeoutError: HTTPConnectionPool(host='x', port=80): Read timed out.": ("timeout", {"seconds": "5"}),
        "NewConnectionError: Failed to establish a new connection": ("connection", {}),
    }
    for text in texts:
        WebhookAttempt.objects.create(delivery=delivery, attempted_at=now, error=text)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        is_active=False, disabled_reason="No 2xx answer after 13 attempts"
    )
    migration.errors_to_codes(apps, None)
    for attempt in WebhookAttempt.objects.all():
        assert (attempt.error_code, attempt.error_params) == texts[attempt.error], attempt.error
    assert WebhookEndpoint.objects.get().disabled_reason == "retries_exhausted"
