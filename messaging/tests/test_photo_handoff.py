"""The message centre's services take validated photos and store them themselves, like feedback and disputes.

A send the services refuse stores no photo: the message is checked before any file is written.
"""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from messaging import services
from messaging.models import Side
from messaging.tests.conftest import jpeg_upload
from portal.models import Photo
from portal.tests.factories import StoreFactory, make_order
from portal.uploads import ValidatedPhoto, validate_photo

pytestmark = pytest.mark.django_db


def photo() -> ValidatedPhoto:
    return validate_photo(jpeg_upload())


def test_a_sent_photo_is_stored_by_the_service_quarantined_then_re_encoded_after_commit(
    conversation, buyer, django_capture_on_commit_callbacks
):
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        message = services.message_send(
            conversation_id=conversation.pk, sender=buyer, side=Side.BUYER, text="", photos=[photo()], now=now
        )
    stored = message.photos.get()
    assert (stored.owner_id, stored.created_at, stored.status) == (buyer.pk, now, Photo.Status.PROCESSING)
    assert stored.quarantine
    for callback in callbacks:  # the worker's turn, once the message is committed
        callback()
    stored.refresh_from_db()
    assert stored.status == Photo.Status.READY
    assert conversation.messages.get(pk=message.pk).photos.get() == stored


def test_every_kind_of_first_message_takes_validated_photos(buyer, store, seller, open_all_week):
    now = timezone.now()
    started, _created = services.conversation_start(buyer=buyer, store=store, text="", photos=[photo()], now=now)
    by_store, _created = services.conversation_start_by_store(
        store=store, sender=seller, order=make_order(buyer=buyer, store=store), text="", photos=[photo()], now=now
    )
    support, _created = services.support_chat_write(
        user=buyer, topic="other", text="", photos=[photo(), photo()], now=now
    )
    assert [m.photos.count() for m in (started, by_store, support)] == [1, 1, 2]
    assert set(Photo.objects.values_list("owner_id", flat=True)) == {buyer.pk, seller.pk}


def test_a_refused_send_stores_no_photo(conversation, buyer, seller, store, settings):
    now = timezone.now()
    refusals = [
        # Too long a text, too many photos.
        lambda: services.message_send(
            conversation_id=conversation.pk,
            sender=buyer,
            side=Side.BUYER,
            text="x" * (settings.OPINIA_MESSAGE_TEXT_MAX + 1),
            photos=[photo()],
            now=now,
        ),
        lambda: services.message_send(
            conversation_id=conversation.pk,
            sender=buyer,
            side=Side.BUYER,
            text="many",
            photos=[photo()] * (settings.OPINIA_PHOTOS_PER_ITEM + 1),
            now=now,
        ),
        # An order of another store.
        lambda: services.conversation_start_by_store(
            store=store,
            sender=seller,
            order=make_order(buyer=buyer, store=StoreFactory()),
            text="hi",
            photos=[photo()],
            now=now,
        ),
        # A store member writing to their own store.
        lambda: services.conversation_start(buyer=seller, store=store, text="hi", photos=[photo()], now=now),
    ]
    for refuse in refusals:
        with pytest.raises(ValidationError):
            refuse()
    assert not Photo.objects.exists()


def test_a_blocked_sender_or_a_closed_support_chat_stores_no_photo(conversation, buyer, seller, store, support_agent):
    now = timezone.now()
    services.block_set(conversation=conversation, side=Side.STORE, actor=seller, blocked=True, now=now)
    with pytest.raises(services.SendingBlocked):
        services.message_send(
            conversation_id=conversation.pk, sender=buyer, side=Side.BUYER, text="hi", photos=[photo()], now=now
        )
    with pytest.raises(services.SendingBlocked):
        services.conversation_start(buyer=buyer, store=store, text="hi", photos=[photo()], now=now)

    chat, _created = services.support_chat_write(user=buyer, topic="other", text="help", now=now)
    services.support_chat_close(conversation_id=chat.conversation_id, actor=support_agent, now=now)
    with pytest.raises(ValidationError):
        services.message_send(
            conversation_id=chat.conversation_id, sender=buyer, side=Side.BUYER, text="", photos=[photo()], now=now
        )
    assert not Photo.objects.exists()


def test_a_send_the_view_refuses_leaves_no_photo_behind(client, conversation, buyer, seller):
    services.block_set(conversation=conversation, side=Side.STORE, actor=seller, blocked=True, now=timezone.now())
    client.force_login(buyer)
    response = client.post(
        reverse("messaging:send", args=[conversation.pk]), {"text": "see this", "photos": [jpeg_upload()]}
    )
    assert response.status_code == 403
    assert "see this" in response.content.decode()
    assert not Photo.objects.exists()
