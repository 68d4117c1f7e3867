"""A real local receiver that verifies every request with the standardwebhooks library."""

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from werkzeug import Request, Response

from webhooks import services

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ALL_TYPES = ["order.completed", "feedback.window_closed", "review.published"]


@dataclass
class Receiver:
    """Answers `status` (a list pops one answer per request); keeps what verified with `secret`."""

    url: str
    secrets: list[str] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    received: list[dict] = field(default_factory=list)
    headers: list[dict] = field(default_factory=list)
    rejected: int = 0

    def handle(self, request: Request) -> Response:
        body = request.get_data(as_text=True)
        headers = dict(request.headers)
        for secret in self.secrets:
            try:
                Webhook(secret).verify(body, headers)
            except WebhookVerificationError:
                continue
            break
        else:
            self.rejected += 1
            return Response("bad signature", status=400)
        self.received.append(json.loads(body))
        self.headers.append({k.lower(): v for k, v in headers.items()})
        status = self.statuses.pop(0) if self.statuses else 200
        return Response("ok" if status < 400 else "nope", status=status)


@pytest.fixture
def receiver(httpserver):
    recv = Receiver(url=httpserver.url_for("/hook"))
    httpserver.expect_request("/hook", method="POST").respond_with_handler(recv.handle)
    return recv


@pytest.fixture
def endpoint(store, seller, receiver):
    created = services.endpoint_create(
        store=store, actor=seller, url=receiver.url, description="tools", event_types=ALL_TYPES, now=T0
    )
    receiver.secrets.append(created.secret)
    return created
