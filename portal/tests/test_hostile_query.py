"""Hostile query strings on every list page: NUL bytes, very long values, invalid UTF-8, SQL.

Whatever arrives in the query string, a list page answers with a page (or a redirect), never
a server error: every GET parameter passes the shared cleaner before a view sees it.
"""

from urllib.parse import quote

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from messaging import services as messaging_services
from portal.http import QUERY_VALUE_MAX_CHARS, clean_query
from portal.models import Order
from portal.tests.factories import ProductFactory, UserFactory, make_order

# Raw (already percent-encoded) values, so that invalid UTF-8 reaches the server as bytes.
HOSTILE_RAW = [
    "%00",
    "a%00b",
    "%ff%fe",
    "%c3%28",
    "x" * 10_000,
    quote("' OR 1=1 --"),
    quote("'; DROP TABLE portal_user; --"),
    quote('" ) UNION SELECT password FROM portal_user --'),
    quote("%_\\"),
    "9" * 40,
    "-1",
    quote("1e999"),
    quote("<script>alert(1)</script>"),
    # A cursor-shaped value whose id is far outside any database integer.
    quote("MjAyNi0wMS0wMVQwMDowMDowMCswMDowMHw5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk"),
]

LIST_PARAMS = ["q", "store", "status", "after", "before", "seen", "unread", "order", "open", "stars", "photos"]
LIST_PARAMS += ["additional", "sort", "page", "p", "o", "next"]


@pytest.fixture
def world(buyer, seller, store, product, staff):
    """Enough data that every list page has rows to filter and page through."""
    make_order(buyer=buyer, store=store, status=Order.Status.COMPLETED, products=[product])
    make_order(buyer=buyer, store=store, status=Order.Status.SHIPPED, products=[ProductFactory(store=store)])
    messaging_services.conversation_start(buyer=buyer, store=store, text="Hello store", now=timezone.now())
    superuser = UserFactory(email="root@example.com", is_staff=True, is_superuser=True)
    return {"buyer": buyer, "seller": seller, "staff": staff, "superuser": superuser}


def _pages(store, product) -> dict[str, list[str]]:
    """Every list page, by the persona that reaches it."""
    slug = store.slug
    admin_lists = [
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist") for model in admin.site._registry
    ]
    return {
        "anonymous": [
            reverse("portal:store_search"),
            reverse("portal:store_page", args=[slug]),
            reverse("portal:product_page", args=[slug, product.slug]),
        ],
        "buyer": [
            reverse("portal:store_search"),
            reverse("portal:order_list"),
            reverse("portal:home"),
            reverse("messaging:inbox"),
            reverse("messaging:notifications"),
            reverse("disputes:mine"),
            reverse("disputes:complaints"),
            reverse("feedback:my_feedback"),
            reverse("portal:product_page", args=[slug, product.slug]),
        ],
        "seller": [
            reverse("messaging:store_inbox", args=[slug]),
            reverse("portal:store_dashboard", args=[slug]),
            reverse("disputes:store", args=[slug]),
            reverse("disputes:penalties", args=[slug]),
            reverse("portal:store_page", args=[slug]),
        ],
        "staff": [reverse("messaging:support_inbox"), reverse("admin:index")],
        "superuser": admin_lists,
    }


def _client(world, persona: str) -> Client:
    # Server errors come back as 500 responses, so one run lists every failing address.
    client = Client(raise_request_exception=False)
    if persona != "anonymous":
        client.force_login(world[persona])
    return client


def _server_errors(client: Client, urls: list[str]) -> list[str]:
    return [f"{url[:60]}…{url[-40:]} -> {status}" for url in urls if (status := client.get(url).status_code) >= 500]


def _assert_no_server_error(client: Client, url: str) -> None:
    assert _server_errors(client, [url]) == []


@pytest.mark.parametrize("persona", ["anonymous", "buyer", "seller", "staff", "superuser"])
def test_hostile_values_in_every_parameter_of_every_list_page(world, store, product, persona):
    client = _client(world, persona)
    urls = []
    for url in _pages(store, product)[persona]:
        for raw in HOSTILE_RAW:
            # Every parameter at once (any one of them failing fails the page), then as a name.
            urls.append(f"{url}?" + "&".join(f"{name}={raw}" for name in LIST_PARAMS))
            urls.append(f"{url}?{raw}=1")
    errors = _server_errors(client, urls)
    assert not errors, "\n".join(errors)


def test_the_reported_urls_answer_with_the_page(world, store):
    anonymous = Client()
    response = anonymous.get("/stores/?q=%00")
    assert response.status_code == 200
    buyer = _client(world, "buyer")
    for url in ("/messages/?q=%00", "/messages/?store=%00"):
        assert buyer.get(url).status_code == 200
    seller = _client(world, "seller")
    inbox = reverse("messaging:store_inbox", args=[store.slug])
    for query in ("q=%00", "store=%00"):
        assert seller.get(f"{inbox}?{query}").status_code == 200


@given(value=st.text(max_size=300), name=st.sampled_from(["q", "store", "after", "before", "stars", "status"]))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_random_text_in_list_parameters(world, store, product, value, name):
    buyer = _client(world, "buyer")
    seller = _client(world, "seller")
    encoded = quote(value, safe="")
    for url in (reverse("portal:store_search"), reverse("messaging:inbox"), reverse("messaging:notifications")):
        _assert_no_server_error(buyer, f"{url}?{name}={encoded}")
    _assert_no_server_error(
        buyer, reverse("portal:product_page", args=[store.slug, product.slug]) + f"?{name}={encoded}"
    )
    _assert_no_server_error(seller, reverse("messaging:store_inbox", args=[store.slug]) + f"?{name}={encoded}")


def test_cleaner_drops_nul_and_caps_length():
    from django.http import QueryDict

    cleaned = clean_query(QueryDict("q=a%00b&after=" + "x" * 10_000 + "&store=one&store=two"))
    assert cleaned["q"] == "ab"
    assert len(cleaned["after"]) == QUERY_VALUE_MAX_CHARS
    assert cleaned.getlist("store") == ["one", "two"]
    assert not cleaned._mutable


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/api/v1/orders", "/accounts/login/"])
def test_a_host_header_not_allowed_is_a_400_page_not_a_server_error(settings, path):
    """The refusal comes before the authentication middleware: the error page has no user."""
    settings.ALLOWED_HOSTS = ["opinia.example"]
    client = Client(raise_request_exception=False)
    response = client.get(path, HTTP_HOST="evil.example")
    assert response.status_code == 400
