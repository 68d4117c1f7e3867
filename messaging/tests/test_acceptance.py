"""What buyers, sellers and staff expect of the message centre (SPEC §2, §6, §7), page by page."""

from datetime import timedelta

from django.core import mail
from django.urls import reverse
from django.utils import timezone

from messaging import services
from messaging.models import Conversation, MessageReport, Notification, Side
from messaging.sweeps import unread_message_emails_sweep
from messaging.tests.conftest import jpeg_upload, reply
from portal.tests.factories import SHIPPING, ProductFactory, make_order


def test_store_write_refusal_keeps_the_text_and_explains(client, buyer, seller, store, settings):
    order = make_order(buyer=buyer, store=store)
    url = reverse("messaging:store_write", args=[store.slug, order.pk])
    client.force_login(seller)
    too_long = "z" * (settings.OPINIA_MESSAGE_TEXT_MAX + 1)
    response = client.post(url, {"text": too_long})
    assert response.status_code == 400
    content = response.content.decode()
    assert too_long in content
    assert "at most 2000 characters" in content
    assert order.number in content  # the order card stays on the page
    assert not Conversation.objects.exists()
    # The page also opens on its own, and a good message goes through.
    assert client.get(url).status_code == 200
    response = client.post(url, {"text": "Your parcel left today"})
    assert response.status_code == 302


def test_store_write_when_the_buyer_blocked_the_store_or_too_fast(client, conversation, buyer, seller, store, settings):
    order = make_order(buyer=buyer, store=store)
    services.block_set(conversation=conversation, side=Side.BUYER, actor=buyer, blocked=True, now=timezone.now())
    client.force_login(seller)
    url = reverse("messaging:store_write", args=[store.slug, order.pk])
    response = client.post(url, {"text": "Buy more!"})
    assert response.status_code == 403
    assert "This buyer has blocked messages from your store." in response.content.decode()
    assert "Buy more!" in response.content.decode()
    services.block_set(conversation=conversation, side=Side.BUYER, actor=buyer, blocked=False, now=timezone.now())
    settings.OPINIA_MESSAGES_PER_MINUTE = 2  # the refused attempt above counted as one
    assert client.post(url, {"text": "first"}).status_code == 302
    response = client.post(url, {"text": "second, too fast"})
    assert response.status_code == 429
    assert "sending messages too quickly" in response.content.decode()
    assert "second, too fast" in response.content.decode()


def test_another_stores_product_is_a_404_not_a_silently_dropped_card(client, buyer, store, open_all_week):
    client.force_login(buyer)
    foreign = ProductFactory()
    url = reverse("messaging:start", args=[store.slug])
    assert client.get(url, {"product": foreign.pk}).status_code == 404
    assert client.post(url, {"product": foreign.pk, "text": "about this"}).status_code == 404
    assert not Conversation.objects.exists()


def test_line_breaks_count_once_against_the_limit(client, conversation, buyer, settings):
    """A browser sends CRLF for each line break but its maxlength counts it as one character."""
    client.force_login(buyer)
    lines = ["x" * 99] * 20  # 20 × 99 characters + 19 line breaks = 1,999 characters
    response = client.post(reverse("messaging:send", args=[conversation.pk]), {"text": "\r\n".join(lines)})
    assert response.status_code == 302
    assert conversation.messages.latest("pk").text == "\n".join(lines)


def test_a_removed_message_disappears_from_previews_photos_and_emails(
    client, conversation, buyer, seller, staff, django_capture_on_commit_callbacks
):
    from portal.uploads import validate_photo

    reply(conversation, seller, "A polite earlier answer")
    with django_capture_on_commit_callbacks(execute=True):
        rude = services.message_send(
            conversation_id=conversation.pk,
            sender=seller,
            side=Side.STORE,
            text="You idiot",
            photos=[validate_photo(jpeg_upload())],
            now=timezone.now(),
        )
    photo = rude.photos.get()
    report = services.message_report(
        message=rude, reporter=buyer, reporter_side=Side.BUYER, reason="abuse", note="", now=timezone.now()
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.message_report_resolve(report_id=report.pk, actor=staff, to="upheld", note="", now=timezone.now())
    client.force_login(buyer)
    inbox = client.get(reverse("messaging:inbox")).content.decode()
    assert "You idiot" not in inbox
    assert "A polite earlier answer" in inbox
    assert client.get(reverse("portal:photo", args=[photo.uuid])).status_code == 404
    client.force_login(staff)
    assert client.get(reverse("portal:photo", args=[photo.uuid])).status_code == 200  # evidence for staff
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        unread_message_emails_sweep(now=timezone.now() + timedelta(minutes=11))
    buyer_mails = [m for m in mail.outbox if m.to == [buyer.email]]
    assert len(buyer_mails) == 1
    assert "A polite earlier answer" in buyer_mails[0].body
    assert "You idiot" not in buyer_mails[0].body
    assert MessageReport.objects.get().status == "upheld"


def test_unread_email_shows_times_in_the_recipients_time_zone(conversation, seller, django_capture_on_commit_callbacks):
    seller.time_zone = "Asia/Shanghai"
    seller.save()
    sent = conversation.messages.get().created_at
    with django_capture_on_commit_callbacks(execute=True):
        unread_message_emails_sweep(now=sent + timedelta(minutes=10))
    (email,) = [m for m in mail.outbox if m.to == [seller.email]]
    local = timezone.localtime(sent, timezone=__import__("zoneinfo").ZoneInfo("Asia/Shanghai"))
    assert local.strftime("%H:%M") in email.body
    utc = timezone.localtime(sent, timezone=__import__("zoneinfo").ZoneInfo("UTC"))
    assert utc.strftime("%H:%M") not in email.body


def test_unread_notifications_show_in_the_navigation_bar(client, buyer, store, django_capture_on_commit_callbacks):
    from portal import services as portal_services

    order = make_order(buyer=buyer, store=store, status="paid")
    client.force_login(buyer)
    assert 'id="nav-notifications"' not in client.get(reverse("portal:home")).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        portal_services.order_ship(order_id=order.pk, actor=None, now=timezone.now(), **SHIPPING)
    home = client.get(reverse("portal:home")).content.decode()
    assert 'id="nav-notifications"' in home
    assert 'data-notifications="1"' in home
    badge = client.get(reverse("messaging:badge")).content.decode()
    assert 'data-notifications="1"' in badge  # kept live by the same poll as the message badge
    assert 'id="nav-messages"' in badge
    client.post(reverse("messaging:notifications_read_all"))
    assert "data-notifications" not in client.get(reverse("messaging:badge")).content.decode()


def test_notification_open_button_reads_as_an_action_in_polish(client, buyer):
    buyer.language = "pl"
    buyer.save()
    services.notification_send(
        user_id=buyer.pk, kind="support_chat_closed", params={"number": 3}, url="/messages/", now=timezone.now()
    )
    client.force_login(buyer)
    page = client.get(reverse("messaging:notifications"), HTTP_ACCEPT_LANGUAGE="pl").content.decode()
    assert ">Otwórz</button>" in page


def test_a_notification_missing_a_parameter_does_not_break_the_tab(client, buyer):
    Notification.objects.create(
        recipient=buyer, kind="order_shipped", params={"number": "OP1"}, created_at=timezone.now()
    )
    client.force_login(buyer)
    response = client.get(reverse("messaging:notifications"))
    assert response.status_code == 200
    assert "Your order OP1 is on its way with —. Tracking number: —. Follow the parcel: —" in response.content.decode()


def test_median_under_a_minute_reads_less_than_a_minute(client, conversation, seller, store):
    reply(conversation, seller, now=conversation.created_at + timedelta(seconds=20))
    page = client.get(reverse("portal:store_page", args=[store.slug])).content.decode()
    assert "less than a minute" in page
    assert "0 minutes" not in page


def test_buyers_can_write_from_the_store_page(client, buyer, seller, store):
    start = reverse("messaging:start", args=[store.slug])
    client.force_login(buyer)
    assert start in client.get(reverse("portal:store_page", args=[store.slug])).content.decode()
    client.force_login(seller)
    assert start not in client.get(reverse("portal:store_page", args=[store.slug])).content.decode()


def test_inbox_poll_swaps_nothing_when_nothing_changed(client, conversation, buyer, seller):
    """The live inbox must not rebuild the list (and drop keyboard focus) every few seconds."""
    client.force_login(buyer)
    url = reverse("messaging:inbox")
    first = client.get(url, {"unread": "0"}, HTTP_HX_REQUEST="true")
    assert first.status_code == 200
    version = first.context["page_version"]
    assert f"seen={version}" in first.content.decode()
    assert f'id="conversation-{conversation.pk}"' in first.content.decode()  # htmx restores focus by id
    assert client.get(url, {"unread": "0", "seen": version}, HTTP_HX_REQUEST="true").status_code == 204
    reply(conversation, seller, "News!")
    changed = client.get(url, {"unread": "0", "seen": version}, HTTP_HX_REQUEST="true")
    assert changed.status_code == 200
    assert "News!" in changed.content.decode()
    # A full page load always renders, whatever `seen` says.
    assert client.get(url, {"seen": changed.context["page_version"]}).status_code == 200


def test_the_buyer_can_attach_an_order_card_from_the_thread(client, conversation, buyer, store):
    order = make_order(buyer=buyer, store=store)
    client.force_login(buyer)
    page = client.get(reverse("messaging:thread", args=[conversation.pk])).content.decode()
    assert f'<option value="{order.pk}">{order.number}' in page
    response = client.post(reverse("messaging:send", args=[conversation.pk]), {"text": "This one", "order": order.pk})
    assert response.status_code == 302
    assert conversation.messages.latest("pk").order == order
    conversation.refresh_from_db()
    assert conversation.order == order  # the inbox's "about an order" filter finds it


def test_the_photo_field_is_described_by_its_help_and_error(client, conversation, buyer):
    client.force_login(buyer)
    url = reverse("messaging:send", args=[conversation.pk])
    page = client.get(reverse("messaging:thread", args=[conversation.pk])).content.decode()
    assert 'aria-describedby="id_photos_helptext"' in page
    assert 'id="id_photos_helptext"' in page
    refused = client.post(url, {"text": "six", "photos": [jpeg_upload(f"{n}.jpg") for n in range(6)]})
    content = refused.content.decode()
    assert 'aria-describedby="id_photos_helptext id_photos_error"' in content
    assert 'aria-invalid="true"' in content
    assert 'id="id_photos_error"' in content


def test_order_feedback_and_dispute_notices_arrive_in_the_readers_language(
    client, buyer, seller, store, django_capture_on_commit_callbacks
):
    """System messages of every app land in the Notifications tab and render in each reader's language."""
    from disputes.services import dispute_open
    from portal import services as portal_services

    buyer.language = "ko"
    buyer.save()
    seller.language = "pl"
    seller.phone = "+48600100200"
    seller.save()
    shipped = make_order(buyer=buyer, store=store, status="shipped")
    completed = make_order(buyer=buyer, store=store, status="completed")
    with django_capture_on_commit_callbacks(execute=True):
        portal_services.orders_auto_confirm_reminder_sweep(now=shipped.shipped_at + timedelta(days=56), batch_size=10)
        dispute = dispute_open(
            order_id=shipped.pk,
            buyer=buyer,
            reason="not_received",
            requested_outcome="full_refund",
            description="Nothing arrived",
            now=shipped.shipped_at + timedelta(days=56, minutes=5),
            requested_amount=shipped.total,
        )
    kinds = set(buyer.notifications.values_list("kind", flat=True))
    assert {"order_shipped", "order_auto_confirm_reminder", "feedback_invitation"} <= kinds
    assert seller.notifications.filter(kind="dispute_opened").exists()
    client.force_login(buyer)
    page = client.get(reverse("messaging:notifications")).content.decode()
    assert f"주문 {shipped.number} 상품이 발송되었습니다" in page  # order shipped
    assert f"주문 {shipped.number}: 5일 후 자동 수령 확인 예정" in page  # auto-confirmation reminder
    assert f"주문 {completed.number} 어떠셨나요?" in page  # feedback invitation
    assert all(kind not in page for kind in kinds)  # titles rendered, not raw kinds
    client.force_login(seller)
    page = client.get(reverse("messaging:notifications")).content.decode()
    assert f"Otwarto spór nr {dispute.pk} dotyczący zamówienia {shipped.number}" in page


def test_working_hours_show_the_whole_week_and_closed_days(client, buyer, store):
    from datetime import UTC, datetime, time

    import time_machine

    from portal.models import WorkingHours

    for day in range(5):
        WorkingHours.objects.create(store=store, weekday=day, opens_at=time(9), closes_at=time(18))
    store.auto_reply = ""
    store.save()
    saturday_noon_in_shanghai = datetime(2026, 2, 7, 4, 0, tzinfo=UTC)
    with time_machine.travel(saturday_noon_in_shanghai, tick=False):
        message, _ = services.conversation_start(buyer=buyer, store=store, text="Hi", now=timezone.now())
        client.force_login(buyer)
        content = client.get(reverse("messaging:thread", args=[message.conversation_id])).content.decode()
    assert "Monday: 09:00–18:00" in content
    assert "Sunday: closed" in content
    assert '<li aria-current="date"><strong>Saturday: closed</strong></li>' in content  # today, in the store's zone
    assert "In the store's local time." in content
    assert "Closed now" in content
    assert "an automatic reply may answer first" not in content  # the store wrote none


def test_a_photo_still_processing_appears_in_place_without_a_reload(client, conversation, buyer, seller, staff):
    """The worker re-encodes after the message is sent; the placeholder fetches the photo once ready."""
    from portal.models import Photo
    from portal.uploads import photo_process, validate_photo

    message = services.message_send(
        conversation_id=conversation.pk,
        sender=buyer,
        side=Side.BUYER,
        text="See",
        photos=[validate_photo(jpeg_upload())],
        now=timezone.now(),
    )
    photo = message.photos.get()  # the worker has not run yet
    url = reverse("messaging:message_photo", args=[message.pk, photo.uuid])
    client.force_login(seller)
    thread = client.get(reverse("messaging:thread", args=[conversation.pk])).content.decode()
    assert "Photo processing…" in thread
    assert f'hx-get="{url}"' in thread
    assert client.get(url).status_code == 204  # still processing: nothing to swap
    photo_process(photo_id=photo.pk)
    assert Photo.objects.get(pk=photo.pk).status == "ready"
    ready = client.get(url)
    assert ready.status_code == 200
    assert reverse("portal:photo_thumbnail", args=[photo.uuid]) in ready.content.decode()
    assert "hx-get" not in ready.content.decode()  # polling stops
    assert client.post(url).status_code == 405
    client.force_login(staff)
    assert client.get(url).status_code == 200


def test_live_polls_after_logout_reload_the_page_instead_of_pasting_the_login_form(client, conversation, buyer):
    polled = [
        reverse("messaging:badge"),
        reverse("messaging:inbox"),
        reverse("messaging:poll", args=[conversation.pk]) + "?after=0",
    ]
    for url in polled:
        response = client.get(url, HTTP_HX_REQUEST="true")
        assert response.status_code == 204, url
        assert response["HX-Refresh"] == "true"
        assert client.get(url).status_code == 302  # an ordinary visit still goes to the login page


def test_jpeg_png_and_webp_go_through_and_a_gif_is_refused_with_the_text_kept(client, buyer, store, open_all_week):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    def upload(name, image_format, content_type):
        buffer = io.BytesIO()
        Image.new("RGB", (40, 30), (10, 200, 30)).save(buffer, image_format)
        return SimpleUploadedFile(name, buffer.getvalue(), content_type=content_type)

    client.force_login(buyer)
    url = reverse("messaging:start", args=[store.slug])
    photos = [jpeg_upload("a.jpg"), upload("b.png", "PNG", "image/png"), upload("c.webp", "WEBP", "image/webp")]
    assert client.post(url, {"text": "three kinds", "photos": photos}).status_code == 302
    assert Conversation.objects.get().messages.get().photos.count() == 3
    refused = client.post(url, {"text": "an animation", "photos": [upload("d.gif", "GIF", "image/gif")]})
    assert refused.status_code == 400
    assert "“d.gif” is not a JPEG, PNG or WebP photo." in refused.content.decode()
    assert "an animation" in refused.content.decode()


def test_a_blocked_buyer_is_told_before_typing_on_product_order_and_start_pages(
    client, conversation, buyer, seller, store, product
):
    order = make_order(buyer=buyer, store=store)
    services.block_set(conversation=conversation, side=Side.STORE, actor=seller, blocked=True, now=timezone.now())
    client.force_login(buyer)
    refusal = "This store does not accept messages from you."
    product_page = client.get(reverse("portal:product_page", args=[store.slug, product.slug])).content.decode()
    assert refusal in product_page
    assert 'id="seller_text"' not in product_page
    order_page = client.get(reverse("portal:order_detail", args=[order.pk])).content.decode()
    assert refusal in order_page
    assert 'id="order_text"' not in order_page
    assert refusal in client.get(reverse("messaging:start", args=[store.slug])).content.decode()
    services.block_set(conversation=conversation, side=Side.STORE, actor=seller, blocked=False, now=timezone.now())
    product_page = client.get(reverse("portal:product_page", args=[store.slug, product.slug])).content.decode()
    assert refusal not in product_page
    assert 'id="seller_text"' in product_page
