"""Shipping with tracking: the carriers, `order_ship`, the handling clock and the promise, the desk."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from messaging.models import Notification
from portal import selectors, services
from portal.carriers import carrier_find, carriers, tracking_number_normalise
from portal.models import DeliveryTime, Order, Store
from portal.tests.factories import SHIPPING, StoreFactory, UserFactory, make_order
from portal.transitions import TransitionNotAllowed

PAID_AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)

# One real-looking number per configured carrier, and one each must refuse.
GOOD_NUMBERS = {
    "cainiao": "LP00123456789012",
    "china-post": "EA123456785CN",
    "dhl": "1234567890",
    "ups": "1Z999AA10123456784",
    "fedex": "123456789012",
    "usps": "9400111899223197428490",
    "inpost": "630012345678901234567890",
    "poczta-polska": "RR123456789PL",
    "korea-post": "EE123456789KR",
    "india-post": "EE123456789IN",
}


def paid_order(buyer, store, *, at=PAID_AT):
    """An order paid exactly at `at`."""
    return make_order(buyer=buyer, store=store, status=Order.Status.PAID, at=at - timedelta(days=1))


def promise(store, order, *, min_days, max_days):
    """The store's delivery-time row for this order's destination by express, as the desk ships it."""
    return DeliveryTime.objects.create(
        store=store, country=order.ship_to_country, method="express", min_days=min_days, max_days=max_days
    )


def ship(order, actor, **overrides):
    fields = {"shipping_method": "express", "carrier": "china-post", "tracking_number": "LP123456785CN", **overrides}
    return services.order_ship(
        order_id=order.pk, actor=actor, now=(order.paid_at or order.placed_at) + timedelta(hours=5), **fields
    )


# --- Carriers --------------------------------------------------------------------------------


def test_every_configured_carrier_has_a_tracking_page_and_a_working_pattern():
    assert {c.code for c in carriers()} == set(GOOD_NUMBERS)
    for carrier in carriers():
        assert "{number}" in carrier.tracking_url, carrier.code
        assert carrier.tracking_url.startswith("https://"), carrier.code
        assert carrier.accepts(GOOD_NUMBERS[carrier.code]), carrier.code
        assert not carrier.accepts("HELLO"), carrier.code
        assert not carrier.accepts(""), carrier.code


def test_numbers_are_normalised_and_carriers_found_by_code_or_name():
    assert tracking_number_normalise(" lp 123 456-785 cn ") == "LP123456785CN"
    assert carrier_find("UPS").code == carrier_find(" ups ").code == "ups"
    assert carrier_find("China Post / EMS").code == "china-post"
    assert carrier_find("pigeon") is None
    assert carrier_find("") is None
    assert carrier_find("china-post").url_for("LP123456785CN").endswith("mailNum=LP123456785CN")


# --- order_ship --------------------------------------------------------------------------------


def test_owner_ships_with_a_normalised_number(buyer, store, seller):
    order = paid_order(buyer, store)
    shipped = ship(order, seller, tracking_number=" lp123 456 785cn ")
    assert (shipped.status, shipped.carrier, shipped.tracking_number, shipped.shipping_method) == (
        "shipped",
        "china-post",
        "LP123456785CN",
        "express",
    )
    assert order.events.order_by("pk").last().actor == seller


def test_agents_can_ship(buyer, store, agent):
    order = paid_order(buyer, store)
    assert ship(order, agent).status == Order.Status.SHIPPED


def test_non_members_cannot_ship(buyer, store, other_seller, other_buyer):
    order = paid_order(buyer, store)
    for user in (other_seller, other_buyer, buyer):
        with pytest.raises(PermissionDenied):
            ship(order, user)
    order.refresh_from_db()
    assert order.status == Order.Status.PAID


def test_staff_allowed_to_change_orders_can_ship(buyer, store):
    clerk = UserFactory(is_staff=True)
    order = paid_order(buyer, store)
    with pytest.raises(PermissionDenied):
        ship(order, clerk)
    clerk.user_permissions.add(Permission.objects.get(codename="change_order"))
    clerk = type(clerk).objects.get(pk=clerk.pk)  # permissions are cached on the instance
    assert ship(order, clerk).status == Order.Status.SHIPPED


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"shipping_method": ""}, "shipping_method"),
        ({"shipping_method": "teleport"}, "shipping_method"),
        ({"carrier": ""}, "carrier"),
        ({"carrier": "pigeon-express"}, "carrier"),
        ({"tracking_number": ""}, "tracking_number"),
        ({"tracking_number": "1Z999AA10123456784"}, "tracking_number"),  # a UPS number for China Post
        ({"carrier": "inpost", "tracking_number": "63001234567890123456789"}, "tracking_number"),  # 23 digits
    ],
)
def test_each_bad_input_is_refused_naming_its_field(buyer, store, seller, overrides, field):
    order = paid_order(buyer, store)
    with pytest.raises(ValidationError) as refused:
        ship(order, seller, **overrides)
    assert set(refused.value.error_dict) == {field}
    order.refresh_from_db()
    assert (order.status, order.tracking_number) == ("paid", "")


def test_an_order_not_paid_cannot_ship(buyer, store, seller):
    order = make_order(buyer=buyer, store=store, status=Order.Status.PLACED)
    with pytest.raises(TransitionNotAllowed, match="cannot go from Placed to Shipped"):
        ship(order, seller)


# --- The handling clock and the promise --------------------------------------------------------


def test_handling_limit_is_exact_at_its_boundary(buyer, store, settings):
    settings.OPINIA_HANDLING_DAYS = 7
    order = paid_order(buyer, store)
    due = PAID_AT + timedelta(days=7)
    assert selectors.order_handling_due_at(order) == due
    assert not selectors.order_is_overdue(order, due - timedelta(seconds=1))
    assert not selectors.order_is_overdue(order, due)  # day 7 exactly is still in time, as for disputes
    assert selectors.order_is_overdue(order, due + timedelta(seconds=1))


@pytest.mark.parametrize(("offset", "overdue"), [(-1, False), (0, False), (1, True)])
def test_the_desk_flags_overdue_orders_at_the_boundary(client, buyer, store, seller, offset, overdue):
    order = paid_order(buyer, store)
    client.force_login(seller)
    with time_machine.travel(PAID_AT + timedelta(days=7, seconds=offset), tick=False):
        html = client.get(reverse("portal:store_orders_to_ship", args=[store.slug])).content.decode()
    row = re.search(rf'<tr data-order="{order.number}"[^>]*>', html).group(0)
    assert ('class="overdue"' in row) is overdue


def test_late_is_exact_at_the_promised_date(buyer, store, seller):
    order = make_order(buyer=buyer, store=store, status=Order.Status.SHIPPED)
    promised = order.shipped_at + timedelta(days=20)
    Order.objects.filter(pk=order.pk).update(delivery_from_at=promised - timedelta(days=5), delivery_by_at=promised)
    order.refresh_from_db()
    store_orders = Order.objects.filter(store=store)
    for moment, late in (
        (promised - timedelta(seconds=1), False),
        (promised, False),
        (promised + timedelta(seconds=1), True),
    ):
        assert selectors.order_is_late(order, moment) is late, moment
        assert list(selectors.orders_late(store_orders, now=moment)) == ([order] if late else [])
    # Only a shipped order is late: a completed one arrived.
    completed = services.order_confirm_receipt(order_id=order.pk, buyer=buyer, now=promised + timedelta(days=1))
    assert not selectors.order_is_late(completed, promised + timedelta(days=2))
    # Nor is a shipped order the store promised nothing for.
    unpromised = make_order(buyer=buyer, store=store, status=Order.Status.SHIPPED)
    assert not selectors.order_is_late(unpromised, promised + timedelta(days=9))


# --- The desk ----------------------------------------------------------------------------------


def _desk(client, store, **query):
    return client.get(reverse("portal:store_orders_to_ship", args=[store.slug]), query)


def test_the_desk_lists_overdue_first_then_late_orders(client, buyer, store, agent, other_seller):
    with time_machine.travel(PAID_AT + timedelta(days=10), tick=False):
        now = PAID_AT + timedelta(days=10)
        fresh = paid_order(buyer, store, at=now - timedelta(days=1))
        overdue = paid_order(buyer, store, at=now - timedelta(days=8))
        late = make_order(buyer=buyer, store=store, status=Order.Status.SHIPPED, at=now - timedelta(days=40))
        Order.objects.filter(pk=late.pk).update(delivery_by_at=now - timedelta(days=2))
        on_time = make_order(buyer=buyer, store=store, status=Order.Status.SHIPPED, at=now - timedelta(days=4))
        Order.objects.filter(pk=on_time.pk).update(delivery_by_at=now + timedelta(days=2))
        elsewhere = paid_order(buyer, StoreFactory(), at=now - timedelta(days=9))
        client.force_login(agent)
        response = _desk(client, store)
        dashboard = client.get(reverse("portal:store_dashboard", args=[store.slug])).content.decode()
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index(overdue.number) < html.index(fresh.number) < html.index(late.number)
    assert on_time.number not in html
    assert elsewhere.number not in html
    assert re.search(rf'<tr data-order="{overdue.number}" class="overdue">', html)
    assert re.search(rf'<tr data-order="{late.number}" class="late">', html)
    assert "Late" in html
    # Linked from the store's tabs, and the dashboard's "to ship" line opens it.
    assert f'href="{reverse("portal:store_orders_to_ship", args=[store.slug])}"' in dashboard
    client.force_login(other_seller)
    assert _desk(client, store).status_code == 404


def test_the_desk_pages_and_its_query_count_does_not_grow(
    client, buyer, store, seller, django_assert_max_num_queries, monkeypatch
):
    monkeypatch.setattr(selectors, "DESK_PAGE_SIZE", 3)
    client.force_login(seller)
    with time_machine.travel(PAID_AT + timedelta(days=30), tick=False):
        orders = [paid_order(buyer, store, at=PAID_AT + timedelta(hours=i)) for i in range(4)]
        _desk(client, store)  # warm the session and the navigation's caches
        with django_assert_max_num_queries(9) as few:
            first = _desk(client, store).content.decode()
        more = [paid_order(buyer, store, at=PAID_AT + timedelta(hours=10 + i)) for i in range(3)]
        with django_assert_max_num_queries(len(few.captured_queries)):
            _desk(client, store)
        cursor = re.search(r'href="\?cursor=([^"]+)"', first).group(1)
        second = _desk(client, store, cursor=cursor).content.decode()
    assert [o.number in first for o in orders] == [True, True, True, False]
    assert orders[3].number in second
    assert more[0].number in second
    assert orders[0].number not in second
    assert _desk(client, store, cursor="garbage!").status_code == 200


# --- Mark as shipped: the form -----------------------------------------------------------------


def _ship_url(store, order):
    return reverse("portal:store_order_ship", args=[store.slug, order.pk])


def test_agent_ships_from_the_desk(client, buyer, store, agent, django_capture_on_commit_callbacks):
    order = paid_order(buyer, store, at=datetime.now(UTC) - timedelta(days=1))
    client.force_login(agent)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _ship_url(store, order),
            {"shipping_method": "standard", "carrier": "ups", "tracking_number": "1z999aa10123456784"},
        )
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:store_orders_to_ship", args=[store.slug])
    order.refresh_from_db()
    assert (order.status, order.carrier, order.tracking_number) == ("shipped", "ups", "1Z999AA10123456784")
    # The buyer's notice, its e-mail and the order page carry the tracking page.
    url = "https://www.ups.com/track?tracknum=1Z999AA10123456784"
    notice = Notification.objects.get(recipient=buyer, kind="order_shipped")
    assert url in notice.body("en")
    assert "UPS" in notice.body("en")
    assert url in mail.outbox[-1].body
    client.force_login(buyer)
    page = client.get(reverse("portal:order_detail", args=[order.pk])).content.decode()
    assert f'href="{url}"' in page
    assert "UPS" in page


@pytest.mark.parametrize(
    ("posted", "field", "message"),
    [
        (
            {"shipping_method": "standard", "carrier": "ups", "tracking_number": "LP123456785CN"},
            "tracking_number",
            "This is not a UPS tracking number.",
        ),
        (
            {"shipping_method": "standard", "carrier": "pigeon", "tracking_number": "LP123456785CN"},
            "carrier",
            "Unknown carrier.",
        ),
        (
            {"shipping_method": "", "carrier": "china-post", "tracking_number": "LP123456785CN"},
            "shipping_method",
            "Choose how the parcel is sent.",
        ),
    ],
)
def test_bad_input_is_kept_with_a_message_beside_the_field(client, buyer, store, seller, posted, field, message):
    order = paid_order(buyer, store)
    client.force_login(seller)
    response = client.post(_ship_url(store, order), posted)
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors == {field: [message]}
    html = response.content.decode()
    # The message sits with its field (Django's as_div puts the errors inside the field's div).
    block = re.search(rf'<div>\s*<label for="id_{field}">.*?</div>', html, re.DOTALL).group(0)
    assert message in block
    assert f'value="{posted["tracking_number"]}"' in html
    if posted["carrier"] in GOOD_NUMBERS:
        assert f'<option value="{posted["carrier"]}" selected>' in html
    order.refresh_from_db()
    assert order.status == Order.Status.PAID


def test_another_stores_order_is_a_404(client, buyer, store, other_seller, seller):
    order = paid_order(buyer, store)
    client.force_login(other_seller)
    other_store = Store.objects.get(owner=other_seller)
    for url in (_ship_url(store, order), _ship_url(other_store, order)):
        assert client.get(url).status_code == 404
        assert client.post(url, {**SHIPPING}).status_code == 404
    # The seller's own store, but the order belongs to another one.
    foreign = paid_order(buyer, StoreFactory())
    client.force_login(seller)
    assert client.post(_ship_url(store, foreign), {**SHIPPING}).status_code == 404
    for unshipped in (order, foreign):
        unshipped.refresh_from_db()
        assert unshipped.status == Order.Status.PAID


def test_an_order_not_paid_gets_a_clear_message(client, buyer, store, seller):
    order = make_order(buyer=buyer, store=store, status=Order.Status.SHIPPED)
    client.force_login(seller)
    page = client.get(_ship_url(store, order)).content.decode()
    assert "Only a paid order can be shipped; this one is Shipped." in page
    response = client.post(_ship_url(store, order), {**SHIPPING})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [f"Order {order.number} cannot go from Shipped to Shipped."]


def test_the_sellers_order_page_offers_the_form(client, buyer, store, seller):
    order = paid_order(buyer, store)
    client.force_login(seller)
    page = client.get(reverse("portal:store_order_detail", args=[store.slug, order.pk])).content.decode()
    assert f'action="{_ship_url(store, order)}"' in page
    assert 'name="back" value="order"' in page
    response = client.post(_ship_url(store, order), {**SHIPPING, "back": "order"})
    assert response["Location"] == reverse("portal:store_order_detail", args=[store.slug, order.pk])


# --- The buyer's side ----------------------------------------------------------------------------


def test_the_notice_gives_the_window_in_the_readers_language_and_zone(buyer, store, seller):
    buyer.language, buyer.time_zone = "pl", "Pacific/Auckland"
    buyer.save()
    order = paid_order(buyer, store)
    # The delivery-time table fills the window when the order ships (at 14:30 UTC on 2 March):
    # 18 and 28 days later are 03:30 on 21 and 31 March in Auckland (UTC+13).
    promise(store, order, min_days=18, max_days=28)
    with time_machine.travel(PAID_AT + timedelta(hours=5), tick=False):
        ship(order, seller)
    from django.utils import timezone

    notice = Notification.objects.get(recipient=buyer, kind="order_shipped")
    with timezone.override("Pacific/Auckland"):
        body = notice.body("pl")
    assert "https://www.ems.com.cn/english-main/tracking?mailNum=LP123456785CN" in body
    assert "China Post / EMS" in body
    assert "21 marca 2026" in body, body
    assert "31 marca 2026" in body, body


def test_the_buyers_page_shows_a_late_order_with_ways_to_act(client, buyer, store):
    order = make_order(buyer=buyer, store=store, status=Order.Status.SHIPPED, at=PAID_AT)
    Order.objects.filter(pk=order.pk).update(
        delivery_from_at=PAID_AT + timedelta(days=10), delivery_by_at=PAID_AT + timedelta(days=20)
    )
    client.force_login(buyer)
    with time_machine.travel(PAID_AT + timedelta(days=20), tick=False):
        on_time = client.get(reverse("portal:order_detail", args=[order.pk])).content.decode()
    with time_machine.travel(PAID_AT + timedelta(days=20, seconds=1), tick=False):
        late = client.get(reverse("portal:order_detail", args=[order.pk])).content.decode()
    assert "data-late" not in on_time
    assert "data-expected-window" in on_time
    assert "data-late" in late
    assert 'href="#message-order"' in late
    assert 'id="message-order"' in late
    assert reverse("disputes:open", args=[order.pk]) in late  # the dispute rules allow it: shipped
    assert "https://global.cainiao.com/newDetail.htm?mailNoList=LP00123456789CN" in late


# --- The admin -------------------------------------------------------------------------------------


def _admin_action(client, orders, **extra):
    data = {"action": "mark_shipped", "_selected_action": [o.pk for o in orders], **extra}
    return client.post(reverse("admin:portal_order_changelist"), data)


def test_admin_ships_with_tracking_through_an_intermediate_form(client, buyer, store, admin_user):
    good, bad = paid_order(buyer, store), paid_order(buyer, store)
    client.force_login(admin_user)
    page = _admin_action(client, [good, bad], index=0)
    assert page.status_code == 200
    assert f'name="ship-{good.pk}-tracking_number"' in page.content.decode()
    good.refresh_from_db()
    assert good.status == Order.Status.PAID  # nothing shipped before the numbers are given

    response = _admin_action(
        client,
        [good, bad],
        apply="1",
        **{
            f"ship-{good.pk}-shipping_method": "economy",
            f"ship-{good.pk}-carrier": "poczta-polska",
            f"ship-{good.pk}-tracking_number": "rr123456789pl",
            f"ship-{bad.pk}-shipping_method": "economy",
            f"ship-{bad.pk}-carrier": "poczta-polska",
            f"ship-{bad.pk}-tracking_number": "12345",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    # The refused order stays on the page, what was typed kept, the message beside it.
    assert f'name="ship-{bad.pk}-tracking_number"' in html
    assert 'value="12345"' in html
    assert "This is not a Poczta Polska tracking number." in html
    assert f'name="ship-{good.pk}-tracking_number"' not in html
    good.refresh_from_db()
    bad.refresh_from_db()
    assert (good.status, good.carrier, good.tracking_number, good.shipping_method) == (
        "shipped",
        "poczta-polska",
        "RR123456789PL",
        "economy",
    )
    assert bad.status == Order.Status.PAID
    assert LogEntry.objects.filter(object_id=str(good.pk)).count() == 1
    assert not LogEntry.objects.filter(object_id=str(bad.pk)).exists()


# --- Every language ----------------------------------------------------------------------------------

LANGUAGES = ("pl", "zh-hans", "ko", "gu")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_notice_desk_and_refusals_read_in_every_language(client, buyer, store, seller, language):
    from django.utils import translation

    order = paid_order(buyer, store)
    promise(store, order, min_days=10, max_days=20)
    shipped = ship(order, seller)
    notice = Notification.objects.get(recipient=buyer, kind="order_shipped")
    english, translated = notice.body("en"), notice.body(language)
    assert translated != english
    assert "https://www.ems.com.cn/english-main/tracking?mailNum=LP123456785CN" in translated
    assert "Expected delivery" not in translated
    assert notice.sms(language) != notice.sms("en")

    unpaid = paid_order(buyer, store)
    with translation.override(language), pytest.raises(ValidationError) as refused:
        ship(unpaid, seller, carrier="ups")
    assert "This is not a" not in refused.value.error_dict["tracking_number"][0].messages[0]

    seller.language = language
    seller.save()
    client.force_login(seller)
    desk = client.get(reverse("portal:store_orders_to_ship", args=[store.slug]), HTTP_ACCEPT_LANGUAGE=language)
    html = desk.content.decode()
    assert "Orders to ship" not in html
    assert "Paid, waiting to be shipped" not in html
    assert shipped.number in html  # its promise ended in March: late
    assert ">Late<" not in html
