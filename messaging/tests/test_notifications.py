"""The Notifications tab: a filter by topic, and every notification opens what it is about."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from messaging import services
from messaging.models import MessageReport, Notification, Side
from messaging.tests.conftest import reply
from messaging.tests.notification_links import assert_notifications_open_their_objects
from portal.notify import NOTIFICATION_KINDS, NOTIFICATION_TOPICS


def test_every_kind_has_a_link_and_a_topic():
    assert len(NOTIFICATION_KINDS) > 20  # every app has registered its kinds
    for name, kind in NOTIFICATION_KINDS.items():
        assert kind.link is not None, name
        assert kind.topic in NOTIFICATION_TOPICS, name


def test_message_centre_notifications_open_their_threads(client, conversation, buyer, seller, support_agent, staff):
    from portal.tests.factories import UserFactory

    chat, _ = services.support_chat_write(user=buyer, topic="other", text="Where is my parcel?", now=timezone.now())
    services.support_chat_close(conversation_id=chat.conversation_id, actor=support_agent, now=timezone.now())
    for text, decision in (("spam link", MessageReport.Status.UPHELD), ("fine", MessageReport.Status.DISMISSED)):
        message = reply(conversation, seller, text)
        report = services.message_report(
            message=message, reporter=buyer, reporter_side=Side.BUYER, reason="spam", note="", now=timezone.now()
        )
        services.message_report_resolve(report_id=report.pk, actor=staff, to=decision, note="", now=timezone.now())
    assert_notifications_open_their_objects(
        client,
        kinds=["support_chat_closed", "message_report_upheld", "message_report_dismissed"],
        stranger=UserFactory(),
    )


def _send(user, kind, n, **params):
    now = timezone.now()
    for i in range(n):
        services.notification_send(
            user_id=user.pk, kind=kind, params={"number": f"{kind[:2]}{i}", **params}, now=now - timedelta(minutes=i)
        )


def test_filter_by_topic_lists_only_the_topics_present_and_keeps_the_filter_on_every_page(client, buyer, other_buyer):
    _send(buyer, "order_shipped", 35, order_id=1, tracking="LP1")
    _send(buyer, "support_chat_closed", 3)
    _send(other_buyer, "dispute_opened", 2, id=1, days=5)
    client.force_login(buyer)
    url = reverse("messaging:notifications")

    everything = client.get(url)
    assert [value for value, _label in everything.context["filter_form"].fields["topic"].choices] == [
        "",
        "orders",
        "messages",
    ]
    page = everything.content.decode()
    assert '<option value="orders">Orders</option>' in page
    assert '<option value="disputes"' not in page  # another user's topics are not offered

    messages_only = client.get(url, {"topic": "messages"})
    assert [item["notification"].kind for item in messages_only.context["items"]] == ["support_chat_closed"] * 3
    assert '<option value="messages" selected>' in messages_only.content.decode()
    assert not messages_only.context["older_query"]

    orders = client.get(url, {"topic": "orders"})
    first = [item["notification"] for item in orders.context["items"]]
    assert len(first) == 30
    assert {n.kind for n in first} == {"order_shipped"}
    older = orders.context["older_query"]
    assert "topic=orders" in older
    assert f'href="?{older.replace("&", "&amp;")}"' in orders.content.decode()
    second = [item["notification"] for item in client.get(f"{url}?{older}").context["items"]]
    assert len(second) == 5
    assert {n.kind for n in second} == {"order_shipped"}
    assert not {n.pk for n in first} & {n.pk for n in second}


@pytest.mark.parametrize(
    "query",
    [
        {"topic": "\x00"},
        {"topic": "nonsense"},
        {"topic": "x" * 5000},
        {"topic": "' OR 1=1 --"},
        {"before": "\x00"},
        {"before": "abc"},
        {"before": "-5"},
        {"before": "9" * 40},
        {"topic": "orders", "before": "99999999999999999999"},
    ],
)
def test_bad_filter_values_show_the_tab_instead_of_failing(client, buyer, query):
    _send(buyer, "order_shipped", 2, order_id=1, tracking="LP1")
    client.force_login(buyer)
    response = client.get(reverse("messaging:notifications"), query)
    assert response.status_code == 200
    assert len(response.context["items"]) == 2


def test_marking_one_as_read_returns_to_the_filtered_list(client, buyer):
    _send(buyer, "support_chat_closed", 1)
    client.force_login(buyer)
    notification = buyer.notifications.get()
    response = client.post(reverse("messaging:notification_read", args=[notification.pk]), {"topic": "messages"})
    assert response["Location"] == reverse("messaging:notifications") + "?topic=messages"
    forged = client.post(reverse("messaging:notification_read", args=[notification.pk]), {"topic": "//evil.example"})
    assert forged["Location"] == reverse("messaging:notifications")


def test_rows_written_before_links_were_computed_keep_their_address(client, buyer):
    legacy = Notification.objects.create(
        recipient=buyer, kind="order_shipped", params={"number": "OP1"}, url="/orders/1/", created_at=timezone.now()
    )
    assert legacy.link() == "/orders/1/"
    unknown = Notification.objects.create(recipient=buyer, kind="gone", params={}, created_at=timezone.now())
    assert unknown.link() == ""
    client.force_login(buyer)
    assert client.get(reverse("messaging:notifications")).status_code == 200


def test_the_email_carries_the_computed_link(buyer, settings, django_capture_on_commit_callbacks):
    settings.SITE_URL = "https://opinia.example"
    with django_capture_on_commit_callbacks(execute=True):
        services.notification_send(
            user_id=buyer.pk, kind="support_chat_closed", params={"number": 42}, now=timezone.now()
        )
    assert "https://opinia.example/messages/c/42/" in mail.outbox[0].body


def test_the_filter_reads_in_the_readers_language(client, buyer):
    buyer.language = "ko"
    buyer.save()
    _send(buyer, "support_chat_closed", 1)
    _send(buyer, "order_shipped", 1, order_id=1, tracking="LP1")
    client.force_login(buyer)
    response = client.get(reverse("messaging:notifications"), HTTP_ACCEPT_LANGUAGE="ko")
    page = response.content.decode()
    assert '<option value="" selected>모든 알림</option>' in page
    assert '<option value="messages">메시지 및 고객 지원</option>' in page
    assert '<option value="orders">주문</option>' in page


def test_no_filter_when_every_notification_is_of_one_topic(client, buyer):
    _send(buyer, "support_chat_closed", 2)
    client.force_login(buyer)
    assert 'name="topic"' not in client.get(reverse("messaging:notifications")).content.decode()
