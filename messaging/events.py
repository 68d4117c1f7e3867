"""The message events published to `portal.events` (the webhooks' outbox)."""

from datetime import datetime

from messaging.models import Conversation, Message
from portal.events import iso, publish, store_reference


def message_received(*, message: Message, conversation: Conversation, now: datetime) -> None:
    """`message.received`: a buyer wrote to a store (support chats and the store's own messages are not events)."""
    store = conversation.store
    assert store is not None  # only support chats have no store
    publish(
        event_type="message.received",
        store_id=store.pk,
        subject=f"conversation:{conversation.pk}",
        payload={
            "message": {
                "id": message.pk,
                "text": message.text,
                "photo_count": message.photos.count(),
                "product_id": message.product_id,
                "order_id": message.order_id,
                "sent_at": iso(message.created_at),
            },
            "conversation_id": conversation.pk,
            "store": store_reference(store.pk, store.slug),
        },
        now=now,
    )
