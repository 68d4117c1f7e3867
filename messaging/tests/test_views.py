from datetime import timedelta
from html import escape

import pytest
import time_machine
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from messaging import services
from messaging.models import Conversation, Message, MessageReport, Side
from messaging.tests.conftest import jpeg_upload, reply
from portal.tests.factories import StoreFactory, make_order


def test_message_the_seller_from_the_product_page(
    client, buyer, store, product, open_all_week, django_capture_on_commit_callbacks
):
    client.force_login(buyer)
    page = client.get(reverse("portal:product_page", args=[store.slug, product.slug]))
    assert b"Message the seller" in page.content
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("messaging:start", args=[store.slug]),
            {"product": product.pk, "text": "Does it fit an iPad?", "photos": [jpeg_upload(), jpeg_upload("b.jpg")]},
        )
    conversation = Conversation.objects.get(buyer=buyer, store=store)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("messaging:thread", args=[conversation.pk]))
    message = conversation.messages.get()
    assert message.product == product
    assert message.photos.count() == 2
    assert {p.status for p in message.photos.all()} == {"ready"}  # re-encoded by the eager worker
    thread = client.get(reverse("messaging:thread", args=[conversation.pk]))
    assert "Does it fit an iPad?" in thread.content.decode()
    assert reverse("portal:photo_thumbnail", args=[message.photos.first().uuid]) in thread.content.decode()


def test_store_members_see_no_message_panel_on_their_own_product(client, seller, store, product):
    client.force_login(seller)
    page = client.get(reverse("portal:product_page", args=[store.slug, product.slug]))
    assert b"Message the seller" not in page.content


def test_only_people_outside_the_store_may_message_it_from_its_page(client, buyer, seller, agent, store):
    """Whether the viewer works for the store comes from the memberships the navigation reads."""
    url = reverse("portal:store_page", args=[store.slug])
    for user, shown in ((buyer, True), (seller, False), (agent, False)):
        client.force_login(user)
        assert (b"Message this store" in client.get(url).content) is shown, user
    client.logout()
    assert b"Message this store" in client.get(url).content  # a visitor: the link leads to logging in


def test_logging_out_ends_the_session_kept_in_the_cache(client, buyer):
    """Sessions are read from the cache: logging out must end the cached copy too."""
    client.force_login(buyer)
    assert client.get(reverse("messaging:inbox")).status_code == 200
    cookie = client.cookies["sessionid"].value
    client.post(reverse("account_logout"))
    client.cookies["sessionid"] = cookie  # the old cookie, replayed
    response = client.get(reverse("messaging:inbox"))
    assert response.status_code == 302


def test_bad_input_keeps_the_text_and_explains(client, buyer, store, settings):
    client.force_login(buyer)
    url = reverse("messaging:start", args=[store.slug])
    too_long = "x" * (settings.OPINIA_MESSAGE_TEXT_MAX + 1)
    response = client.post(url, {"text": too_long})
    assert response.status_code == 400
    assert too_long in response.content.decode()
    assert "at most 2000 characters" in response.content.decode()
    fake = SimpleUploadedFile("evil.jpg", b"not an image", content_type="image/jpeg")
    response = client.post(url, {"text": "see photo", "photos": [fake]})
    assert response.status_code == 400
    assert "see photo" in response.content.decode()
    assert "is not a JPEG, PNG or WebP photo" in response.content.decode()
    assert not Conversation.objects.exists()


def test_agent_answers_as_the_store_and_the_buyer_never_sees_who(client, conversation, agent, buyer, store):
    client.force_login(agent)
    response = client.post(reverse("messaging:send", args=[conversation.pk]), {"text": "We ship tomorrow"})
    assert response.status_code == 302
    message = Message.objects.latest("pk")
    assert message.sender == agent
    assert message.side == Side.STORE
    seller_view = client.get(reverse("messaging:thread", args=[conversation.pk])).content.decode()
    assert agent.public_name in seller_view  # colleagues see which agent answered
    client.force_login(buyer)
    buyer_view = client.get(reverse("messaging:thread", args=[conversation.pk])).content.decode()
    assert "We ship tomorrow" in buyer_view
    assert escape(store.name) in buyer_view
    assert agent.public_name not in buyer_view
    assert agent.email not in buyer_view


def test_thread_shows_working_hours_and_local_time(client, conversation, buyer):
    client.force_login(buyer)
    content = client.get(reverse("messaging:thread", args=[conversation.pk])).content.decode()
    assert "Working hours" in content
    assert "Asia/Shanghai" in content
    assert "Open now" in content


def test_opening_the_thread_marks_it_read(client, conversation, seller, buyer):
    reply(conversation, seller)
    conversation.refresh_from_db()
    assert conversation.buyer_unread == 1
    client.force_login(buyer)
    badge = client.get(reverse("messaging:badge")).content.decode()
    assert 'data-unread="1"' in badge
    client.get(reverse("messaging:thread", args=[conversation.pk]))
    conversation.refresh_from_db()
    assert conversation.buyer_unread == 0
    assert "data-unread" not in client.get(reverse("messaging:badge")).content.decode()


def test_polling_returns_only_newer_messages_or_204(client, conversation, buyer, seller):
    client.force_login(buyer)
    last = conversation.messages.latest("pk").pk
    url = reverse("messaging:poll", args=[conversation.pk])
    assert client.get(url, {"after": last}).status_code == 204
    reply(conversation, seller, "New answer")
    response = client.get(url, {"after": last}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    content = response.content.decode()
    assert "New answer" in content
    assert "Hello store" not in content
    newest = conversation.messages.latest("pk").pk
    assert f"after={newest}" in content  # the next poll asks from the newest message on
    conversation.refresh_from_db()
    assert conversation.buyer_unread == 0


def test_inbox_filters_search_and_keyset_pages(client, buyer, settings):
    stores = [StoreFactory(name=f"Shop {n:02d}") for n in range(30)]
    base = timezone.now() - timedelta(days=1)
    for n, shop in enumerate(stores):
        _message, _ = services.conversation_start(
            buyer=buyer, store=shop, text=f"question {n}", now=base + timedelta(minutes=n)
        )
    # Shop 03 answers; Shop 05 is about an order.
    reply(Conversation.objects.get(store=stores[3]), stores[3].owner, "the answer is 42", now=base + timedelta(hours=1))
    order = make_order(buyer=buyer, store=stores[5])
    services.conversation_start(
        buyer=buyer, store=stores[5], text="my order", order_id=order.pk, now=base + timedelta(hours=2)
    )
    client.force_login(buyer)
    url = reverse("messaging:inbox")
    first = client.get(url)
    rows = first.context["page"].items
    assert [c.store.name for c in rows[:2]] == ["Shop 05", "Shop 03"]
    assert len(rows) == 25
    second = client.get(url, {"after": first.context["page"].next_cursor})
    assert len(second.context["page"].items) == 5
    assert not second.context["page"].next_cursor
    seen = [c.pk for c in rows] + [c.pk for c in second.context["page"].items]
    assert len(set(seen)) == 30
    unread = client.get(url, {"unread": "1"}).context["page"].items
    assert [c.store.name for c in unread] == ["Shop 03"]
    with_order = client.get(url, {"order": "1"}).context["page"].items
    assert [c.store.name for c in with_order] == ["Shop 05"]
    by_store = client.get(url, {"store": stores[7].slug}).context["page"].items
    assert [c.store.name for c in by_store] == ["Shop 07"]
    searched = client.get(url, {"q": "answer is 42"}).context["page"].items
    assert [c.store.name for c in searched] == ["Shop 03"]
    assert client.get(url, {"after": "garbage!!"}).status_code == 200


def test_the_store_filter_offers_the_recent_stores_by_name_with_the_chosen_one_selected(client, buyer):
    shops = [StoreFactory(name=name) for name in ("Zebra <b>Goods</b>", "Apple & Co", "Mango")]
    for shop in shops:
        services.conversation_start(buyer=buyer, store=shop, text="hello", now=timezone.now())
    client.force_login(buyer)
    url = reverse("messaging:inbox")
    html = client.get(url).content.decode()
    options = html[html.index('<select id="inbox-store"') : html.index("</select>", html.index('id="inbox-store"'))]
    assert options.index("Apple &amp; Co") < options.index("Mango") < options.index("Zebra &lt;b&gt;Goods&lt;/b&gt;")
    assert "<b>Goods</b>" not in html
    assert " selected" not in options
    chosen = client.get(url, {"store": shops[2].slug}).content.decode()
    assert f'<option value="{shops[2].slug}" selected>Mango</option>' in chosen
    assert f'<option value="{shops[1].slug}">Apple &amp; Co</option>' in chosen


def test_inbox_query_count_does_not_grow_with_rows(client, buyer, django_assert_max_num_queries):
    for n in range(12):
        services.conversation_start(buyer=buyer, store=StoreFactory(), text=f"q{n}", now=timezone.now())
    client.force_login(buyer)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("messaging:inbox"))
    assert len(response.context["page"].items) == 12


def test_thread_query_count_does_not_grow_with_messages(
    client, conversation, buyer, seller, django_assert_max_num_queries
):
    for n in range(15):
        reply(conversation, seller, f"r{n}")
    client.force_login(buyer)
    with django_assert_max_num_queries(26):
        response = client.get(reverse("messaging:thread", args=[conversation.pk]))
    assert response.status_code == 200


def test_store_inbox_lists_the_stores_conversations(client, conversation, agent, other_buyer, store):
    client.force_login(agent)
    response = client.get(reverse("messaging:store_inbox", args=[store.slug]))
    assert [c.pk for c in response.context["page"].items] == [conversation.pk]
    assert response.context["page"].items[0].store_unread == 1
    # htmx polling gets only the list fragment.
    fragment = client.get(reverse("messaging:store_inbox", args=[store.slug]), HTTP_HX_REQUEST="true")
    assert fragment.content.decode().startswith('<div id="inbox-list"')


def test_message_rate_limit_answers_429_and_keeps_the_text(client, conversation, buyer, settings):
    settings.OPINIA_MESSAGES_PER_MINUTE = 3
    client.force_login(buyer)
    url = reverse("messaging:send", args=[conversation.pk])
    # All four sends inside one minute's window, however slow the machine.
    with time_machine.travel((timezone.now() + timedelta(minutes=1)).replace(second=5), tick=False):
        for n in range(3):
            assert client.post(url, {"text": f"m{n}"}).status_code == 302
        response = client.post(url, {"text": "one too many"})
    assert response.status_code == 429
    content = response.content.decode()
    assert "sending messages too quickly" in content
    assert "one too many" in content
    assert conversation.messages.filter(text="one too many").count() == 0


def test_new_conversation_rate_limit_answers_429(client, buyer, settings):
    settings.OPINIA_CONVERSATIONS_PER_HOUR = 2
    client.force_login(buyer)
    stores = [StoreFactory() for _ in range(3)]
    for shop in stores[:2]:
        assert client.post(reverse("messaging:start", args=[shop.slug]), {"text": "hi"}).status_code == 302
    response = client.post(reverse("messaging:start", args=[stores[2].slug]), {"text": "third store"})
    assert response.status_code == 429
    assert "too many new conversations" in response.content.decode()
    assert not Conversation.objects.filter(store=stores[2]).exists()
    # Writing again in an existing conversation is not a new conversation.
    assert client.post(reverse("messaging:start", args=[stores[0].slug]), {"text": "follow-up"}).status_code == 302
    support = client.post(reverse("messaging:support_start"), {"topic": "payments", "text": "help"})
    assert support.status_code == 429


def test_blocked_buyer_gets_a_clear_message(client, conversation, buyer, seller):
    client.force_login(seller)
    assert client.post(reverse("messaging:block", args=[conversation.pk]), {"action": "block"}).status_code == 302
    client.force_login(buyer)
    response = client.post(reverse("messaging:send", args=[conversation.pk]), {"text": "please answer"})
    assert response.status_code == 403
    assert "This store does not accept messages from you." in response.content.decode()
    assert "please answer" in response.content.decode()
    page = client.get(reverse("messaging:thread", args=[conversation.pk])).content.decode()
    assert "does not accept messages from you" in page
    client.force_login(seller)
    client.post(reverse("messaging:block", args=[conversation.pk]), {"action": "unblock"})
    client.force_login(buyer)
    assert client.post(reverse("messaging:send", args=[conversation.pk]), {"text": "thanks"}).status_code == 302


def test_report_a_message_and_moderators_resolve_it(
    client, conversation, seller, buyer, staff, django_capture_on_commit_callbacks
):
    rude = reply(conversation, seller, "Pay me on another site")
    client.force_login(buyer)
    response = client.post(reverse("messaging:report", args=[rude.pk]), {"reason": "fraud", "note": "outside payment"})
    assert response.status_code == 302
    report = MessageReport.objects.get()
    assert report.status == "open"
    duplicate = client.post(reverse("messaging:report", args=[rude.pk]), {"reason": "fraud"})
    assert "already reported" in duplicate.content.decode()
    client.force_login(staff)
    queue = client.get(reverse("admin:messaging_messagereport_changelist"))
    assert queue.status_code == 200
    assert "Pay me on another site" in queue.content.decode()
    resolve_url = reverse("admin:messaging_messagereport_resolve", args=[report.pk])
    assert client.get(resolve_url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(resolve_url, {"decision": "upheld", "note": "scam attempt"})
    assert response.status_code == 302
    report.refresh_from_db()
    rude.refresh_from_db()
    assert report.status == "upheld"
    assert report.resolved_by == staff
    assert rude.removed_at is not None
    assert report.events.count() == 2
    assert buyer.notifications.filter(kind="message_report_upheld").exists()
    assert any("upheld" in m.subject for m in mail.outbox)
    again = client.post(resolve_url, {"decision": "dismissed"})
    assert again.status_code == 200
    assert "Cannot move report" in again.content.decode()
    client.force_login(buyer)
    page = client.get(reverse("messaging:thread", args=[conversation.pk])).content.decode()
    assert "Pay me on another site" not in page
    assert "removed by moderators" in page


def test_moderators_without_change_permission_cannot_resolve(client, conversation, seller, buyer, support_agent):
    rude = reply(conversation, seller, "rude")
    report = services.message_report(
        message=rude, reporter=buyer, reporter_side=Side.BUYER, reason="abuse", note="", now=timezone.now()
    )
    client.force_login(support_agent)
    response = client.post(reverse("admin:messaging_messagereport_resolve", args=[report.pk]), {"decision": "upheld"})
    assert response.status_code == 403


@pytest.mark.parametrize(
    "name", ["messaging_conversation", "messaging_message", "messaging_messagereport", "messaging_notification"]
)
def test_admin_lists_are_searchable(client, conversation, staff, name):
    staff.is_superuser = True
    staff.save()
    client.force_login(staff)
    response = client.get(reverse(f"admin:{name}_changelist"), {"q": "hello"})
    assert response.status_code == 200


def test_notifications_tab_in_the_users_language(client, buyer, django_capture_on_commit_callbacks):
    services.notification_send(
        user_id=buyer.pk, kind="support_chat_closed", params={"number": 7}, url="/messages/", now=timezone.now()
    )
    client.force_login(buyer)
    response = client.get(reverse("messaging:notifications"))
    assert "Your support chat #7 was closed" in response.content.decode()
    notification = buyer.notifications.get()
    opened = client.post(reverse("messaging:notification_read", args=[notification.pk]), {"open": "1"})
    # The link comes from the kind and its parameters, not from the address stored with the row.
    assert opened["Location"] == reverse("messaging:thread", args=[7])
    notification.refresh_from_db()
    assert notification.read_at is not None
    services.notification_send(user_id=buyer.pk, kind="support_chat_closed", params={"number": 8}, now=timezone.now())
    client.post(reverse("messaging:notifications_read_all"))
    assert not buyer.notifications.filter(read_at__isnull=True).exists()


def test_preferences_control_notification_channels(client, buyer, settings, django_capture_on_commit_callbacks):
    from portal.sms import LocmemBackend

    settings.SMS_BACKEND = "portal.sms.LocmemBackend"
    LocmemBackend.outbox.clear()
    buyer.phone = "+48600100200"
    buyer.save()
    params = {"number": "A-1", "tracking": "LP1"}
    with django_capture_on_commit_callbacks(execute=True):
        services.notification_send(user_id=buyer.pk, kind="order_shipped", params=params, now=timezone.now())
    assert len(mail.outbox) == 1
    assert len(LocmemBackend.outbox) == 1
    client.force_login(buyer)
    form = client.get(reverse("messaging:preferences"))
    assert form.status_code == 200
    response = client.post(reverse("messaging:preferences"), {"email_messages": "on"})
    assert response.status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        services.notification_send(user_id=buyer.pk, kind="order_shipped", params=params, now=timezone.now())
    assert len(mail.outbox) == 1
    assert len(LocmemBackend.outbox) == 1
    assert buyer.notifications.count() == 2  # still listed in the Notifications tab


def test_store_page_and_dashboard_show_response_stats(client, conversation, seller, store):
    reply(conversation, seller, now=conversation.created_at + timedelta(minutes=30))
    page = client.get(reverse("portal:store_page", args=[store.slug])).content.decode()
    assert "Response rate (30 days):" in page
    assert "100%" in page
    assert "30 minutes" in page
    client.force_login(seller)
    dashboard = client.get(reverse("portal:store_dashboard", args=[store.slug])).content.decode()
    assert "Open the store&#x27;s inbox" in dashboard or "Open the store's inbox" in dashboard


def test_order_pages_offer_messages(client, buyer, seller, store, open_all_week):
    order = make_order(buyer=buyer, store=store)
    client.force_login(buyer)
    page = client.get(reverse("portal:order_detail", args=[order.pk])).content.decode()
    assert "Message about this order" in page
    response = client.post(
        reverse("messaging:start", args=[store.slug]), {"order": order.pk, "text": "When will it ship?"}
    )
    assert response.status_code == 302
    conversation = Conversation.objects.get()
    assert conversation.order == order
    client.force_login(seller)
    page = client.get(reverse("portal:store_order_detail", args=[store.slug, order.pk])).content.decode()
    assert "Open the conversation with this buyer" in page
    response = client.post(reverse("messaging:store_write", args=[store.slug, order.pk]), {"text": "Tomorrow"})
    assert response.status_code == 302
    assert conversation.messages.filter(side=Side.STORE, order=order).exists()


def test_support_chat_pages(client, buyer, support_agent):
    client.force_login(buyer)
    response = client.post(reverse("messaging:support_start"), {"topic": "payments", "text": "I was charged twice"})
    conversation = Conversation.objects.get(kind="support")
    assert response.status_code == 302
    client.force_login(support_agent)
    queue = client.get(reverse("messaging:support_inbox"))
    assert [c.pk for c in queue.context["page"].items] == [conversation.pk]
    client.post(reverse("messaging:send", args=[conversation.pk]), {"text": "Refunded"})
    client.force_login(buyer)
    page = client.get(reverse("messaging:thread", args=[conversation.pk])).content.decode()
    assert "Opinia support" in page
    assert support_agent.public_name not in page


def test_a_3mb_message_is_refused_with_a_clear_small_page(client, buyer, conversation):
    client.force_login(buyer)
    url = reverse("messaging:send", args=[conversation.pk])
    thread = reverse("messaging:thread", args=[conversation.pk])
    response = client.post(url, {"text": "x" * 3_000_000}, HTTP_REFERER=f"http://testserver{thread}")
    assert response.status_code == 400
    content = response.content.decode()
    assert "Too much to send" in content
    assert "nothing was saved" in content
    assert f'href="http://testserver{thread}"' in content  # back to the conversation
    assert len(response.content) < 30_000
    assert conversation.messages.count() == 1  # only the opening message


def test_a_refused_over_long_message_comes_back_trimmed_to_the_limit_plus_a_margin(
    client, buyer, conversation, settings
):
    client.force_login(buyer)
    url = reverse("messaging:send", args=[conversation.pk])
    limit = settings.OPINIA_MESSAGE_TEXT_MAX
    # Within the body cap but fifty times the field's limit: refused next to the field...
    response = client.post(url, {"text": "y" * (limit * 50)})
    assert response.status_code == 400
    content = response.content.decode()
    assert "at most 2000 characters" in content
    # ...and only the limit plus a margin is drawn again, not the whole paste.
    assert "y" * (limit + 200) in content
    assert "y" * (limit + 201) not in content
    assert len(response.content) < 60_000
    # A little over the limit is kept whole, so the writer sees what to cut.
    slightly = "w" * (limit + 50)
    assert slightly in client.post(url, {"text": slightly}).content.decode()


def test_photos_are_not_held_to_the_text_cap(client, buyer, conversation, settings):
    from portal.tests import hostile

    photo = hostile.oversized_jpeg(settings.DATA_UPLOAD_MAX_MEMORY_SIZE * 2)
    assert len(photo) < settings.OPINIA_PHOTO_MAX_BYTES
    client.force_login(buyer)
    response = client.post(
        reverse("messaging:send", args=[conversation.pk]),
        {"text": "the box", "photos": [SimpleUploadedFile("box.jpg", photo, content_type="image/jpeg")]},
    )
    assert response.status_code == 302
    assert conversation.messages.filter(text="the box", photos__isnull=False).exists()
