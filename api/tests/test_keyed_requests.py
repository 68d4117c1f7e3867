"""A keyed API request without cookies passes the site's session, sign-in and messages middleware
untouched, and its answer is the one it would get the whole way through them."""

import pytest
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware

from api.tests.conftest import ApiClient, order_body

# Headers that differ between any two answers whatever way they went.
PER_ANSWER = {"X-Request-ID", "Content-Length"}


@pytest.fixture
def site_middleware_calls(monkeypatch):
    calls: list[str] = []
    for middleware in (SessionMiddleware, MessageMiddleware):
        original = middleware.process_request

        def recorded(self, request, original=original, name=middleware.__name__):
            calls.append(name)
            return original(self, request)

        monkeypatch.setattr(middleware, "process_request", recorded)
    return calls


def test_a_keyed_request_without_cookies_skips_the_sites_session_and_messages(
    marketplace_store: ApiClient, site_middleware_calls
):
    response = marketplace_store.post("/api/v1/orders", order_body(external_ref="MP-1"))
    assert response.status_code == 201
    assert site_middleware_calls == []
    # As when the session middleware looked for a session and found none.
    assert response["Vary"] == "Accept-Language, Cookie"


def test_a_keyed_request_without_cookies_is_anonymous(marketplace_store: ApiClient, monkeypatch):
    from asgiref.sync import async_to_sync

    from api.routers import orders

    seen = []
    original = orders.api_write_answering

    def spy(request, action, **kwargs):
        seen.append((request.user.is_authenticated, async_to_sync(request.auser)().is_authenticated))
        return original(request, action, **kwargs)

    monkeypatch.setattr(orders, "api_write_answering", spy)
    assert marketplace_store.post("/api/v1/orders", order_body(external_ref="MP-1")).status_code == 201
    assert seen == [(False, False)]


def test_a_keyed_request_with_a_cookie_goes_the_whole_way(marketplace_store: ApiClient, site_middleware_calls):
    marketplace_store.client.cookies["sessionid"] = "stale"
    response = marketplace_store.post("/api/v1/orders", order_body(external_ref="MP-1"))
    assert response.status_code == 201
    assert site_middleware_calls == ["SessionMiddleware", "MessageMiddleware"]
    assert response.cookies["sessionid"].value == ""  # the stale session cookie is deleted, as before


def test_a_request_without_a_key_goes_the_whole_way(client, site_middleware_calls):
    assert client.post("/api/v1/orders", {}, content_type="application/json").status_code == 401
    assert site_middleware_calls == ["SessionMiddleware", "MessageMiddleware"]


@pytest.mark.parametrize(
    ("method", "path", "body", "headers"),
    [
        ("post", "/api/v1/orders", order_body(external_ref="MP-7"), {"Idempotency-Key": "k-7"}),
        ("post", "/api/v1/orders", {"external_ref": "?"}, {"Accept-Language": "pl"}),
        ("post", "/api/v1/orders", order_body(external_ref="MP-8", store_ref="S-404"), {"Accept-Language": "ko"}),
        ("get", "/api/v1/orders/MP-404", None, {}),
        ("get", "/api/v1/nothing", None, {"Accept-Language": "zh-hans"}),
        ("put", "/api/v1/orders", {}, {}),
    ],
)
def test_the_answer_is_the_same_either_way(marketplace_store: ApiClient, method, path, body, headers):
    def send(cookie: str | None, suffix: str):
        client = ApiClient(marketplace_store.key)
        if cookie:
            client.client.cookies["unrelated"] = cookie  # any cookie sends the request the whole way
        sent = dict(headers)
        if "Idempotency-Key" in sent:
            sent["Idempotency-Key"] += suffix
        data = dict(body, external_ref=body["external_ref"] + suffix) if body and "items" in body else body
        if method == "get":
            return client.get(path, headers=sent)
        return getattr(client, method)(path, data, headers=sent)

    whole, keyed = send("1", "-a"), send(None, "-b")
    assert keyed.status_code == whole.status_code
    assert {k: v for k, v in keyed.items() if k not in PER_ANSWER} == {
        k: v for k, v in whole.items() if k not in PER_ANSWER
    }
    if keyed.status_code >= 400:
        assert keyed.content == whole.content
