"""Demo conversations: photos through the real pipeline, unread messages, auto-replies, a support chat."""

import io
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

from messaging import services
from messaging.models import Side, SupportTopic
from portal.demo import DemoWorld
from portal.models import Photo, Store, User
from portal.uploads import ValidatedPhoto, photo_process, validate_photo


def demo_jpeg(*, colour: tuple[int, int, int], label: str, size: tuple[int, int] = (480, 360)) -> bytes:
    """A small believable JPEG made in memory: a coloured card with a caption."""
    image = Image.new("RGB", size, colour)
    draw = ImageDraw.Draw(image)
    draw.rectangle((20, 20, size[0] - 20, size[1] - 20), outline=(255, 255, 255), width=6)
    draw.text((40, size[1] // 2 - 10), label, fill=(255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def demo_photo(*, colour: tuple[int, int, int], label: str) -> ValidatedPhoto:
    """A demo photo validated exactly as an upload would be; the services store it."""
    upload = SimpleUploadedFile(f"{label}.jpg", demo_jpeg(colour=colour, label=label), content_type="image/jpeg")
    return validate_photo(upload)


def _thread(
    *,
    buyer: User,
    store: Store,
    world: DemoWorld,
    script: list[tuple[str, str, timedelta, list[ValidatedPhoto]]],
    product_id: int | None = None,
    order_id: int | None = None,
) -> int:
    """Play a conversation: (side, text, time before now, photos); the first line opens it."""
    first_side, first_text, first_ago, first_photos = script[0]
    assert first_side == Side.BUYER
    message, _created = services.conversation_start(
        buyer=buyer,
        store=store,
        text=first_text,
        photos=first_photos,
        product_id=product_id,
        order_id=order_id,
        now=world.now - first_ago,
    )
    conversation_id = message.conversation_id
    for side, text, ago, photos in script[1:]:
        sender = buyer if side == Side.BUYER else (world.agent if store == world.stores[0] else store.owner)
        services.message_send(
            conversation_id=conversation_id, sender=sender, side=side, text=text, photos=photos, now=world.now - ago
        )
    return conversation_id


def seed_conversations(world: DemoWorld) -> None:
    buyers, stores = world.buyers, world.stores
    alice, minji, wei = buyers[0], buyers[1], buyers[2]
    gadgets, amber, beauty = stores[0], stores[1], stores[2]
    orders_by = {(o.buyer_id, o.store_id): o for o in world.orders}

    cable = demo_photo(colour=(40, 90, 160), label="charger-box")
    damage = demo_photo(colour=(160, 60, 40), label="bent-pin")
    gadgets_conversation = _thread(
        buyer=alice,
        store=gadgets,
        world=world,
        product_id=world.products[gadgets.pk][0].pk,
        order_id=orders_by[(alice.pk, gadgets.pk)].pk if (alice.pk, gadgets.pk) in orders_by else None,
        script=[
            (
                Side.BUYER,
                "Hello! The charger arrived but one pin looks bent. Photos attached.",
                timedelta(days=2),
                [cable, damage],
            ),
            (
                Side.STORE,
                "Sorry about that! Could you try it with another cable and tell us if it charges?",
                timedelta(days=1, hours=22),
                [],
            ),
            (Side.BUYER, "It charges slowly with another cable.", timedelta(days=1, hours=20), []),
            (
                Side.STORE,
                "Thank you. We will send a replacement this week, no need to return the old one.",
                timedelta(minutes=25),
                [],
            ),
        ],
    )
    # Alice has read nothing since the last reply: it stays unread and the worker e-mails it.
    services.conversation_mark_read(conversation_id=gadgets_conversation, side=Side.STORE, now=world.now)

    pendant = demo_photo(colour=(200, 140, 30), label="amber-pendant")
    _thread(
        buyer=minji,
        store=amber,
        world=world,
        product_id=world.products[amber.pk][0].pk,
        script=[
            (
                Side.BUYER,
                "Is this pendant real Baltic amber? Does it come with a certificate?",
                timedelta(hours=30),
                [pendant],
            ),
            (Side.STORE, "Tak! Yes, every piece comes with a certificate of authenticity.", timedelta(hours=26), []),
            (Side.BUYER, "Great, can you ship to Korea within two weeks?", timedelta(minutes=12), []),
        ],
    )

    _thread(
        buyer=wei,
        store=beauty,
        world=world,
        script=[(Side.BUYER, "这个精华适合敏感肌吗？", timedelta(hours=3), [])],
    )

    screenshot = demo_photo(colour=(90, 90, 90), label="payment-screen")
    message, _created = services.support_chat_write(
        user=buyers[3],
        topic=SupportTopic.PAYMENTS,
        text="My payment was taken twice for one order. What should I do?",
        photos=[screenshot],
        now=world.now - timedelta(hours=5),
    )
    services.message_send(
        conversation_id=message.conversation_id,
        sender=world.staff,
        side=Side.STORE,
        text="We see the double charge; the second one is released automatically within 3 working days.",
        now=world.now - timedelta(hours=4),
    )
    # A second open chat on another topic, so the support inbox's topic filter has something to sort.
    services.support_chat_write(
        user=buyers[1],
        topic=SupportTopic.ORDERS,
        text="My parcel has not moved for ten days. Can you check with the carrier?",
        now=world.now - timedelta(hours=2),
    )
    # No worker may be running while seeding: re-encode the messages' photos now (idempotent
    # if the worker also does, once the seeding commits).
    for photo_id in Photo.objects.filter(status=Photo.Status.PROCESSING, messages__isnull=False).values_list(
        "pk", flat=True
    ):
        photo_process(photo_id=photo_id)
