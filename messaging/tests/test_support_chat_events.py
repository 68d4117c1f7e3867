"""Every change of a support chat's state writes its event row: opened, closed, rated."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from messaging import services
from messaging.models import Conversation, ConversationEvent, Side

pytestmark = pytest.mark.django_db

K = ConversationEvent.Kind
OPEN, CLOSED = Conversation.Status.OPEN, Conversation.Status.CLOSED


def _rows(conversation_id):
    return list(
        ConversationEvent.objects.filter(conversation_id=conversation_id).values_list(
            "kind", "actor_id", "old_status", "new_status", "note", "created_at"
        )
    )


def test_opening_closing_and_rating_a_support_chat_each_write_one_row(buyer, support_agent):
    start = timezone.now()
    message, created = services.support_chat_write(user=buyer, topic="other", text="My order is late", now=start)
    assert created
    chat_id = message.conversation_id
    # A further message in the open chat changes no state and writes no row.
    services.support_chat_write(user=buyer, topic="other", text="Any news?", now=start + timedelta(minutes=1))
    services.message_send(conversation_id=chat_id, sender=support_agent, side=Side.STORE, text="On its way", now=start)
    closed_at = start + timedelta(minutes=5)
    services.support_chat_close(conversation_id=chat_id, actor=support_agent, now=closed_at)
    rated_at = start + timedelta(minutes=9)
    services.support_chat_rate(conversation_id=chat_id, user=buyer, rating=4, now=rated_at)

    assert _rows(chat_id) == [
        (K.OPENED, buyer.pk, "", OPEN, "", start),
        (K.CLOSED, support_agent.pk, OPEN, CLOSED, "", closed_at),
        (K.RATED, buyer.pk, CLOSED, CLOSED, "4/5", rated_at),
    ]


def test_refused_changes_write_no_row(buyer, support_agent):
    now = timezone.now()
    message, _created = services.support_chat_write(user=buyer, topic="other", text="Hello", now=now)
    chat_id = message.conversation_id
    with pytest.raises(ValidationError):
        services.support_chat_rate(conversation_id=chat_id, user=buyer, rating=5, now=now)  # still open
    services.support_chat_close(conversation_id=chat_id, actor=buyer, now=now)
    with pytest.raises(services.TransitionNotAllowed):
        services.support_chat_close(conversation_id=chat_id, actor=support_agent, now=now)
    services.support_chat_rate(conversation_id=chat_id, user=buyer, rating=5, now=now)
    with pytest.raises(ValidationError):
        services.support_chat_rate(conversation_id=chat_id, user=buyer, rating=3, now=now)  # rated once
    assert [row[0] for row in _rows(chat_id)] == [K.OPENED, K.CLOSED, K.RATED]


def test_a_new_chat_after_a_closed_one_has_its_own_opening_row(buyer):
    now = timezone.now()
    first, _created = services.support_chat_write(user=buyer, topic="other", text="One", now=now)
    services.support_chat_close(conversation_id=first.conversation_id, actor=buyer, now=now)
    second, created = services.support_chat_write(user=buyer, topic="other", text="Two", now=now)
    assert created
    assert second.conversation_id != first.conversation_id
    assert [row[0] for row in _rows(second.conversation_id)] == [K.OPENED]


def test_store_conversations_write_no_support_chat_rows(buyer, store):
    services.conversation_start(buyer=buyer, store=store, text="Is it in stock?", now=timezone.now())
    assert not ConversationEvent.objects.exists()


def test_the_admin_shows_a_support_chats_events_read_only(client, buyer, support_agent):
    now = timezone.now()
    message, _created = services.support_chat_write(user=buyer, topic="other", text="Hello", now=now)
    services.support_chat_close(conversation_id=message.conversation_id, actor=support_agent, now=now)
    client.force_login(support_agent)
    response = client.get(reverse("admin:messaging_conversation_change", args=[message.conversation_id]))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="events-group"' in page
    assert "Opened" in page
    assert 'name="events-0-kind"' not in page  # shown, never editable
