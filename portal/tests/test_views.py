"""The core's pages: each works for its owner, and is a 404 for everybody else."""

from datetime import time

import pytest
from django.urls import reverse

from portal.models import Order, StoreMember, WorkingHours
from portal.tests.factories import make_order

PASSWORD = "correct horse battery staple"


@pytest.fixture
def order(buyer, store, product):
    return make_order(buyer=buyer, store=store, status=Order.Status.SHIPPED, products=[product])


def login(client, user):
    client.force_login(user)
    return client


def buyer_urls(order):
    return [
        ("get", reverse("portal:order_detail", args=[order.pk])),
        ("post", reverse("portal:order_confirm_receipt", args=[order.pk])),
    ]


def seller_urls(order, store):
    return [
        ("get", reverse("portal:store_dashboard", args=[store.slug])),
        ("get", reverse("portal:store_order_detail", args=[store.slug, order.pk])),
    ]


def owner_urls(store):
    return [
        ("get", reverse("portal:store_settings", args=[store.slug])),
        ("post", reverse("portal:store_settings", args=[store.slug])),
        ("post", reverse("portal:store_agent_add", args=[store.slug])),
        ("post", reverse("portal:store_agent_remove", args=[store.slug, store.members.order_by("pk").first().pk])),
    ]


def test_buyer_pages_are_404_for_another_user(client, order, other_buyer, seller):
    for user in (other_buyer, seller):
        login(client, user)
        for method, url in buyer_urls(order):
            assert getattr(client, method)(url).status_code == 404, (user, url)
    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED


def test_seller_pages_are_404_for_non_members(client, order, store, buyer, other_seller):
    for user in (buyer, other_seller):
        login(client, user)
        for method, url in seller_urls(order, store) + owner_urls(store):
            assert getattr(client, method)(url).status_code == 404, (user, url)


def test_agent_sees_dashboard_but_not_owner_settings(client, order, store, agent):
    login(client, agent)
    for method, url in seller_urls(order, store):
        assert getattr(client, method)(url).status_code == 200, url
    member = StoreMember.objects.get(store=store, user=agent)
    for method, url in [
        *owner_urls(store)[:-1],
        ("post", reverse("portal:store_agent_remove", args=[store.slug, member.pk])),
    ]:
        assert getattr(client, method)(url).status_code == 404, url
    assert StoreMember.objects.filter(pk=member.pk).exists()


def test_another_stores_order_is_404_for_a_seller(client, store, other_seller, buyer):
    other_store = other_seller.owned_stores.get()
    foreign = make_order(buyer=buyer, store=other_store, status=Order.Status.PAID)
    login(client, store.owner)
    assert client.get(reverse("portal:store_order_detail", args=[store.slug, foreign.pk])).status_code == 404


def test_anonymous_user_is_sent_to_login(client, order):
    response = client.get(reverse("portal:order_detail", args=[order.pk]))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_buyer_sees_order_with_timeline_and_confirms_receipt(client, order, buyer):
    login(client, buyer)
    page = client.get(reverse("portal:order_detail", args=[order.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert order.number in html
    assert "Confirm receipt" in html
    assert "became Shipped" in html
    response = client.post(reverse("portal:order_confirm_receipt", args=[order.pk]), follow=True)
    assert response.status_code == 200
    order.refresh_from_db()
    assert order.status == Order.Status.COMPLETED
    assert not order.completed_automatically


def test_confirming_twice_shows_a_clear_error(client, order, buyer):
    login(client, buyer)
    client.post(reverse("portal:order_confirm_receipt", args=[order.pk]))
    response = client.post(reverse("portal:order_confirm_receipt", args=[order.pk]), follow=True)
    assert "cannot go from Completed to Completed" in response.content.decode()


def test_orders_list_shows_only_my_orders(client, order, buyer, other_buyer, store):
    mine = order
    theirs = make_order(buyer=other_buyer, store=store)
    login(client, buyer)
    html = client.get(reverse("portal:order_list")).content.decode()
    assert mine.number in html
    assert theirs.number not in html


def test_store_settings_save_hours_and_keep_input_on_error(client, store, seller):
    login(client, seller)
    url = reverse("portal:store_settings", args=[store.slug])
    data = {
        "store-name": "Bob's Better Gadgets",
        "store-time_zone": "Europe/Warsaw",
        "store-auto_reply": "We are away; we answer from 9:00.",
        "hours-TOTAL_FORMS": "7",
        "hours-INITIAL_FORMS": "7",
        "hours-MIN_NUM_FORMS": "7",
        "hours-MAX_NUM_FORMS": "7",
    }
    for day in range(7):
        data[f"hours-{day}-weekday"] = str(day)
        if day < 5:
            data[f"hours-{day}-is_open"] = "on"
            data[f"hours-{day}-opens_at"] = "09:00"
            data[f"hours-{day}-closes_at"] = "17:30"
    response = client.post(url, data)
    assert response.status_code == 302
    store.refresh_from_db()
    assert store.name == "Bob's Better Gadgets"
    assert store.time_zone == "Europe/Warsaw"
    assert list(store.working_hours.values_list("weekday", "opens_at", "closes_at")) == [
        (day, time(9), time(17, 30)) for day in range(5)
    ]
    # Opening and closing at the same time (closing earlier now runs past midnight): a clear
    # error, the typed values kept, nothing saved.
    bad = dict(data, **{"store-name": "Renamed", "hours-0-opens_at": "08:00", "hours-0-closes_at": "08:00"})
    response = client.post(url, bad)
    assert response.status_code == 200
    html = response.content.decode()
    assert "The store must not open and close at the same time." in html
    assert 'value="Renamed"' in html
    store.refresh_from_db()
    assert store.name == "Bob's Better Gadgets"
    assert WorkingHours.objects.get(store=store, weekday=0).opens_at == time(9)


def test_owner_adds_and_removes_an_agent(client, store, seller, other_buyer):
    login(client, seller)
    client.post(reverse("portal:store_agent_add", args=[store.slug]), {"agent-email": other_buyer.email})
    member = StoreMember.objects.get(store=store, user=other_buyer)
    assert member.role == StoreMember.Role.AGENT
    response = client.post(
        reverse("portal:store_agent_add", args=[store.slug]), {"agent-email": "nobody@example.com"}, follow=True
    )
    assert "No user has the e-mail address nobody@example.com." in response.content.decode()
    client.post(reverse("portal:store_agent_remove", args=[store.slug, member.pk]))
    assert not StoreMember.objects.filter(pk=member.pk).exists()


def test_public_store_and_product_pages(client, store, product):
    store_page = client.get(reverse("portal:store_page", args=[store.slug]))
    assert store_page.status_code == 200
    assert product.title in store_page.content.decode()
    product_page = client.get(reverse("portal:product_page", args=[store.slug, product.slug]))
    assert product_page.status_code == 200
    assert client.get(reverse("portal:product_page", args=[store.slug, "missing"])).status_code == 404


def test_profile_keeps_input_and_explains_a_bad_phone(client, buyer):
    login(client, buyer)
    url = reverse("portal:profile")
    response = client.post(
        url, {"display_name": "Alice K.", "language": "pl", "time_zone": "Europe/Warsaw", "phone": "12ab"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="Alice K."' in html
    buyer.refresh_from_db()
    assert buyer.display_name == "Alice Buyer"
    response = client.post(
        url, {"display_name": "Alice K.", "language": "pl", "time_zone": "Europe/Warsaw", "phone": "+48600100200"}
    )
    assert response.status_code == 302
    buyer.refresh_from_db()
    assert (buyer.display_name, buyer.language, buyer.phone) == ("Alice K.", "pl", "+48600100200")


def test_times_are_shown_in_the_users_time_zone(client, buyer, store):
    from datetime import UTC, datetime

    make_order(buyer=buyer, store=store, at=datetime(2026, 5, 1, 23, 30, tzinfo=UTC))
    buyer.time_zone = "Asia/Seoul"
    buyer.save()
    login(client, buyer)
    html = client.get(reverse("portal:order_list")).content.decode()
    assert "May 2, 2026, 08:30" in html  # 23:30 UTC on 1 May is 08:30 on 2 May in Seoul


def test_pages_carry_a_content_security_policy(client, store):
    response = client.get(reverse("portal:store_page", args=[store.slug]))
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy


@pytest.mark.parametrize("persona", [None, "buyer"])
def test_every_page_names_an_icon_and_favicon_ico_answers(db, client, request, persona):
    if persona:
        login(client, request.getfixturevalue(persona))
    page = client.get(reverse("portal:store_search"))
    assert b'<link rel="icon" href="/static/img/favicon.svg" type="image/svg+xml">' in page.content
    icon = client.get("/static/img/favicon.svg")
    assert icon.status_code == 200
    # Browsers still ask for /favicon.ico (admin pages, files opened directly): no 404 in the log.
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert response.content.startswith(b"<svg ")
    assert b"".join(icon.streaming_content if icon.streaming else [icon.content]) == response.content


def test_every_form_draws_a_refused_text_only_up_to_its_limit_plus_a_margin(buyer):
    """One renderer trims every text field with a max_length, whatever the app (here the profile)."""
    from portal.form_rendering import redisplay_limit
    from portal.forms import ProfileForm

    form = ProfileForm({"display_name": "n" * 10_000, "language": "en", "time_zone": "UTC"}, instance=buyer)
    assert not form.is_valid()
    html = str(form["display_name"])
    assert 'maxlength="80"' in html
    assert "n" * redisplay_limit(80) in html
    assert "n" * (redisplay_limit(80) + 1) not in html
