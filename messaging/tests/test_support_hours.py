"""Platform support's hours (07:00–01:00 Moscow time by default) and the topic of a support chat."""

from datetime import UTC, datetime, time

import pytest
import time_machine
from django.urls import reverse

from messaging import services
from messaging.hours import State, support_availability
from messaging.models import Conversation, SupportTopic


def utc(*args):
    return datetime(*args, tzinfo=UTC)


# Moscow is UTC+3 all year: 07:00 there is 04:00 UTC, 01:00 is 22:00 UTC the day before.
@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (utc(2026, 1, 14, 3, 59, 59), State.CLOSED),  # 06:59:59 Moscow
        (utc(2026, 1, 14, 4, 0, 0), State.OPEN),  # 07:00:00
        (utc(2026, 1, 14, 20, 59, 59), State.OPEN),  # 23:59:59
        (utc(2026, 1, 14, 21, 0, 0), State.OPEN),  # 00:00 the next day
        (utc(2026, 1, 14, 21, 59, 59), State.OPEN),  # 00:59:59
        (utc(2026, 1, 14, 22, 0, 0), State.CLOSED),  # 01:00:00
    ],
)
def test_support_hours_at_their_boundaries_in_moscow(now, expected):
    assert support_availability(now=now).state == expected


def test_support_is_back_at_seven_moscow_time():
    assert support_availability(now=utc(2026, 1, 14, 22)).reopens_at == utc(2026, 1, 15, 4)


def test_support_hours_come_from_settings(settings):
    settings.OPINIA_SUPPORT_HOURS = [(time(9), time(18))]
    settings.OPINIA_SUPPORT_TIME_ZONE = "Europe/Warsaw"
    assert support_availability(now=utc(2026, 1, 14, 7, 59, 59)).state == State.CLOSED
    assert support_availability(now=utc(2026, 1, 14, 8)).state == State.OPEN


def test_outside_hours_the_chat_opens_and_says_when_support_is_back_in_the_users_language(client, buyer):
    buyer.language, buyer.time_zone = "pl", "Europe/Warsaw"
    buyer.save()
    client.force_login(buyer)
    with time_machine.travel(utc(2026, 1, 14, 23), tick=False):  # 02:00 in Moscow
        start = client.get(reverse("messaging:support_start")).content.decode()
        assert "Wsparcie jest teraz niedostępne" in start
        assert "05:00" in start  # 07:00 Moscow is 05:00 in Warsaw
        response = client.post(reverse("messaging:support_start"), {"topic": "payments", "text": "Charged twice"})
        assert response.status_code == 302
        chat = Conversation.objects.get(kind=Conversation.Kind.SUPPORT, buyer=buyer)
        thread = client.get(reverse("messaging:thread", args=[chat.pk])).content.decode()
    assert "05:00" in thread
    assert "Płatności i zwroty" in thread  # the topic, in Polish


def test_in_hours_no_back_at_message(client, buyer):
    client.force_login(buyer)
    with time_machine.travel(utc(2026, 1, 14, 10), tick=False):
        html = client.get(reverse("messaging:support_start")).content.decode()
    assert "Support is online now" in html
    assert "Support is back" not in html


def test_the_topic_is_required_when_the_chat_opens(client, buyer):
    client.force_login(buyer)
    response = client.post(reverse("messaging:support_start"), {"text": "Help"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Choose what your question is about." in html
    assert "Help" in html
    assert not Conversation.objects.filter(kind=Conversation.Kind.SUPPORT).exists()
    with pytest.raises(Exception, match="Choose what your question"):
        services.support_chat_write(user=buyer, text="Help", now=utc(2026, 1, 14, 10))


def test_agents_see_and_filter_by_topic(client, buyer, other_buyer, support_agent):
    services.support_chat_write(user=buyer, topic=SupportTopic.ACCOUNT, text="Locked out", now=utc(2026, 1, 14, 10))
    services.support_chat_write(
        user=other_buyer, topic=SupportTopic.REVIEWS, text="Fake review", now=utc(2026, 1, 14, 10)
    )
    client.force_login(support_agent)
    everything = client.get(reverse("messaging:support_inbox")).content.decode()
    assert "Locked out" in everything
    assert "Fake review" in everything
    assert "Account" in everything
    only = client.get(reverse("messaging:support_inbox"), {"topic": "reviews"}).content.decode()
    assert "Fake review" in only
    assert "Locked out" not in only
