"""Times in the message centre: the store's clock, support chat times, e-mails in the reader's locale."""

import re
from datetime import UTC, datetime, timedelta

import time_machine
from django.core import mail
from django.urls import reverse

from messaging import services
from messaging.models import Conversation
from messaging.sweeps import unread_message_emails_sweep

T0 = datetime(2026, 11, 21, 1, 1, tzinfo=UTC)  # Saturday: 02:01 in Warsaw, 09:01 in Shanghai
CLOCK = re.compile(r"Local time at the store:\s*(?:<strong>)?([^<(]+?)(?:</strong>)?\s*\(Asia/Shanghai\)")


def test_thread_panel_and_store_page_show_the_same_store_clock(client, buyer, store, open_all_week):
    buyer.time_zone = "Europe/Warsaw"
    buyer.save()
    message, _created = services.conversation_start(buyer=buyer, store=store, text="Hello", now=T0)
    client.force_login(buyer)
    with time_machine.travel(T0, tick=False):
        thread = client.get(reverse("messaging:thread", args=[message.conversation_id])).content.decode()
        page = client.get(reverse("portal:store_page", args=[store.slug])).content.decode()
    clocks = [match.group(1).strip() for match in (CLOCK.search(thread), CLOCK.search(page)) if match]
    assert clocks == ["Sat 09:01", "Sat 09:01"]


def test_support_chat_times_always_show_their_minutes(client, buyer, support_agent):
    """Django's English "P" printed "10 a.m." for one message and "10:55 a.m." for the next."""
    with time_machine.travel(datetime(2026, 11, 23, 10, 0, tzinfo=UTC), tick=False):
        client.force_login(buyer)
        client.post(reverse("messaging:support_start"), {"topic": "payments", "text": "I was charged twice"})
    conversation = Conversation.objects.get(kind="support")
    with time_machine.travel(datetime(2026, 11, 23, 10, 55, tzinfo=UTC), tick=False):
        client.force_login(support_agent)
        client.post(reverse("messaging:send", args=[conversation.pk]), {"text": "Refunded"})
    client.force_login(buyer)
    html = client.get(reverse("messaging:thread", args=[conversation.pk])).content.decode()
    assert "Nov 23, 2026, 10:00" in html
    assert "Nov 23, 2026, 10:55" in html
    assert "a.m." not in html


def test_unread_email_dates_are_in_the_recipients_language_and_zone(
    buyer, seller, store, open_all_week, django_capture_on_commit_callbacks
):
    seller.language = "gu"
    seller.time_zone = "Asia/Kolkata"
    seller.save()
    sent = datetime(2027, 1, 16, 1, 51, tzinfo=UTC)
    services.conversation_start(buyer=buyer, store=store, text="Hello store", now=sent)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        unread_message_emails_sweep(now=sent + timedelta(minutes=11))
    (email,) = [m for m in mail.outbox if m.to == [seller.email]]
    assert "16 જાન્યુઆરી 2027, 07:21" in email.body  # 01:51 UTC is 07:21 in Kolkata
    assert "Jan" not in email.body
    assert "a.m." not in email.body
