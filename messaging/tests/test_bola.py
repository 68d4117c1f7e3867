"""Every messaging URL × every method × a stranger → 404; staff only where intended."""

import pytest
from django.urls import reverse
from django.utils import timezone

from messaging import services
from messaging.models import Message, Notification, Side
from messaging.tests.conftest import jpeg_upload
from portal.models import Store
from portal.tests.factories import make_order
from portal.uploads import validate_photo

METHODS = ["get", "post", "put", "patch", "delete"]


@pytest.fixture
def world(buyer, store, seller, agent, open_all_week, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message, _ = services.conversation_start(
            buyer=buyer, store=store, text="hello", photos=[validate_photo(jpeg_upload())], now=timezone.now()
        )
    photo = message.photos.get()
    conversation = message.conversation
    answer = services.message_send(
        conversation_id=conversation.pk, sender=agent, side=Side.STORE, text="hi", now=timezone.now()
    )
    support_message, _ = services.support_chat_write(user=buyer, topic="other", text="help", now=timezone.now())
    order = make_order(buyer=buyer, store=store)
    notification = services.notification_send(
        user_id=buyer.pk, kind="support_chat_closed", params={"number": 1}, now=timezone.now()
    )
    photo.refresh_from_db()
    return {
        "conversation": conversation,
        "buyer_message": message,
        "store_message": answer,
        "support": support_message.conversation,
        "photo": photo,
        "order": order,
        "notification": notification,
        "store": store,
    }


def conversation_urls(w):
    c, s = w["conversation"].pk, w["support"].pk
    return {
        "thread": reverse("messaging:thread", args=[c]),
        "poll": reverse("messaging:poll", args=[c]) + "?after=0",
        "send": reverse("messaging:send", args=[c]),
        "mark_read": reverse("messaging:mark_read", args=[c]),
        "block": reverse("messaging:block", args=[c]),
        "report": reverse("messaging:report", args=[w["buyer_message"].pk]),
        "message_photo": reverse("messaging:message_photo", args=[w["buyer_message"].pk, w["photo"].uuid]),
        "report_store_message": reverse("messaging:report", args=[w["store_message"].pk]),
        "support_thread": reverse("messaging:thread", args=[s]),
        "support_send": reverse("messaging:send", args=[s]),
        "support_close": reverse("messaging:close", args=[s]),
        "support_rate": reverse("messaging:rate", args=[s]),
        "store_inbox": reverse("messaging:store_inbox", args=[w["store"].slug]),
        "store_write": reverse("messaging:store_write", args=[w["store"].slug, w["order"].pk]),
        "notification_read": reverse("messaging:notification_read", args=[w["notification"].pk]),
        "support_inbox": reverse("messaging:support_inbox"),
    }


def photo_urls(w):
    uuid = w["photo"].uuid
    return {
        "photo": reverse("portal:photo", args=[uuid]),
        "thumbnail": reverse("portal:photo_thumbnail", args=[uuid]),
    }


@pytest.mark.parametrize("stranger_name", ["other_buyer", "other_seller"])
@pytest.mark.parametrize("method", METHODS)
def test_strangers_get_404_on_every_url_and_method(client, world, request, stranger_name, method):
    stranger = request.getfixturevalue(stranger_name)
    client.force_login(stranger)
    before = Message.objects.count()
    for name, url in conversation_urls(world).items():
        response = getattr(client, method)(url, {"text": "let me in", "action": "block", "reason": "spam", "rating": 5})
        assert response.status_code == 404, (name, method, response.status_code)
    assert Message.objects.count() == before
    for name, url in photo_urls(world).items():
        assert client.get(url).status_code == 404, name


def test_anonymous_users_are_sent_to_log_in_and_never_see_photos(client, world):
    for url in conversation_urls(world).values():
        response = client.get(url)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]
    for url in photo_urls(world).values():
        assert client.get(url).status_code == 404


def test_participants_reach_their_urls(client, world, buyer, agent, django_capture_on_commit_callbacks):
    urls = conversation_urls(world)
    client.force_login(buyer)
    assert client.get(urls["thread"]).status_code == 200
    assert client.get(urls["poll"]).status_code == 200
    assert client.get(urls["report_store_message"]).status_code == 200
    assert client.get(urls["support_thread"]).status_code == 200
    # A buyer cannot report their own message: that is a clear error, not a report.
    response = client.post(urls["report"], {"reason": "spam"})
    assert response.status_code == 400
    for url in photo_urls(world).values():
        assert client.get(url).status_code == 200
    # A participant using the wrong method gets 405, never a state change.
    assert client.get(urls["send"]).status_code == 405
    assert client.post(urls["thread"]).status_code == 405
    client.force_login(agent)
    assert client.get(urls["thread"]).status_code == 200
    assert client.get(urls["store_inbox"]).status_code == 200
    for url in photo_urls(world).values():
        assert client.get(url).status_code == 200
    # An agent is not a support agent: the buyer's support chat is not theirs.
    assert client.get(urls["support_thread"]).status_code == 404


def test_staff_read_store_threads_but_never_write_in_them(client, world, staff, buyer):
    urls = conversation_urls(world)
    services.message_send(
        conversation_id=world["conversation"].pk, sender=buyer, side=Side.BUYER, text="?", now=timezone.now()
    )
    client.force_login(staff)
    response = client.get(urls["thread"])
    assert response.status_code == 200
    assert b"You are reading this conversation as staff" in response.content
    assert client.get(urls["poll"]).status_code == 200
    for name in ("send", "mark_read", "block", "report"):
        assert client.post(urls[name], {"text": "staff here", "reason": "spam"}).status_code == 404, name
    for url in photo_urls(world).values():
        assert client.get(url).status_code == 200
    # Reading as staff does not mark anything read for the store.
    world["conversation"].refresh_from_db()
    assert world["conversation"].store_unread == 1


def test_support_agents_answer_and_close_support_chats(client, world, support_agent, moderator, buyer):
    urls = conversation_urls(world)
    client.force_login(moderator)
    assert client.get(urls["support_thread"]).status_code == 200  # staff may read
    assert client.post(urls["support_send"], {"text": "hi"}).status_code == 404
    assert client.get(urls["support_inbox"]).status_code == 404
    client.force_login(support_agent)
    assert client.get(urls["support_inbox"]).status_code == 200
    assert client.post(urls["support_send"], {"text": "We are on it"}).status_code == 302
    assert client.post(urls["support_close"]).status_code == 302
    assert client.post(urls["support_rate"], {"rating": 5}).status_code == 404  # only the user rates
    client.force_login(buyer)
    assert client.post(urls["support_rate"], {"rating": 5}).status_code == 302
    world["support"].refresh_from_db()
    assert world["support"].rating == 5
    assert Notification.objects.filter(recipient=buyer, kind="support_chat_closed").count() == 2


def test_another_users_order_cannot_be_attached(client, world, other_buyer):
    client.force_login(other_buyer)
    store = Store.objects.get(pk=world["store"].pk)
    url = reverse("messaging:start", args=[store.slug])
    assert client.get(url, {"order": world["order"].pk}).status_code == 404
    assert client.post(url, {"order": world["order"].pk, "text": "hi"}).status_code == 404
