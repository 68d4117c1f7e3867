"""Generate conversations and messages in the benchmark database (PostgreSQL).

    .venv/bin/python bench/messaging_generate.py [--buyer-conversations 1000] [--per-conversation 100]
        [--store-conversations 2000] [--store-per-conversation 50] [--background 20000] [--background-per 10]

Builds a heavy buyer (bench-buyer@opinia.test: 1,000 stores × 100 messages = 100k messages),
a heavy store (owner bench-seller@opinia.test: 2,000 buyers × 50 = 100k messages), and
background traffic (whose messages alone mention a refund), with realistic unread counters,
then ANALYZEs the tables.
"""

import argparse
import random
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from messaging_common import DATABASE_URL, ROOT, SERVER_ENV, setup_django

BATCH = 5000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--buyer-conversations", type=int, default=1000)
    parser.add_argument("--per-conversation", type=int, default=100)
    parser.add_argument("--store-conversations", type=int, default=2000)
    parser.add_argument("--store-per-conversation", type=int, default=50)
    parser.add_argument("--background", type=int, default=20000)
    parser.add_argument("--background-per", type=int, default=10)
    parser.add_argument(
        "--into-existing",
        action="store_true",
        help="add to the migrated database as it is (bench/pages_vs_bare.py: next to the review data)",
    )
    args = parser.parse_args()

    if not args.into_existing:
        database = DATABASE_URL.rsplit("/", 1)[1]
        subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", database], check=True)
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", database], check=True)
        env = {**__import__("os").environ, **SERVER_ENV}
        subprocess.run([str(ROOT / ".venv/bin/python"), "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    setup_django()

    from django.db import connection

    from messaging.models import Conversation, Message, ResponseExchange
    from portal.models import Store, StoreMember, User

    rng = random.Random(4)
    started = time.monotonic()
    now = datetime.now(UTC)

    def users(prefix: str, count: int) -> list[User]:
        made = [User(email=f"{prefix}{n}@bench.test", display_name=f"{prefix} {n}", password="!") for n in range(count)]
        return User.objects.bulk_create(made, batch_size=BATCH)

    heavy_buyer = User.objects.create(email="bench-buyer@opinia.test", display_name="Heavy Buyer", password="!")
    heavy_seller = User.objects.create(email="bench-seller@opinia.test", display_name="Heavy Seller", password="!")
    owners = users("owner", args.buyer_conversations + args.background // 20 + 1)
    stores = Store.objects.bulk_create(
        [
            Store(owner=o, name=f"Bench store {n}", slug=f"bench-store-{n}", country="CN", time_zone="Asia/Shanghai")
            for n, o in enumerate(owners)
        ],
        batch_size=BATCH,
    )
    StoreMember.objects.bulk_create(
        [StoreMember(store=s, user=s.owner, role="owner") for s in stores], batch_size=BATCH
    )
    heavy_store = Store.objects.create(
        owner=heavy_seller, name="Heavy Store", slug="heavy-store", country="CN", time_zone="Asia/Shanghai"
    )
    StoreMember.objects.create(store=heavy_store, user=heavy_seller, role="owner")
    buyers = users("buyer", args.store_conversations + args.background)

    plans: list[tuple[User, Store, int]] = []
    plans += [(heavy_buyer, stores[n], args.per_conversation) for n in range(args.buyer_conversations)]
    plans += [(buyers[n], heavy_store, args.store_per_conversation) for n in range(args.store_conversations)]
    background_stores = stores[args.buyer_conversations :]
    plans += [
        (buyers[args.store_conversations + n], background_stores[n % len(background_stores)], args.background_per)
        for n in range(args.background)
    ]
    total_messages = 0
    for offset in range(0, len(plans), 500):
        chunk = plans[offset : offset + 500]
        conversations = []
        for buyer, store, _count in chunk:
            last = now - timedelta(minutes=rng.randint(0, 60 * 24 * 60))
            conversations.append(
                Conversation(
                    kind="store", buyer=buyer, store=store, created_at=last - timedelta(days=3), last_message_at=last
                )
            )
        conversations = Conversation.objects.bulk_create(conversations)
        messages = []
        exchanges = []
        for conversation, (buyer, store, count) in zip(conversations, chunk, strict=True):
            start = conversation.created_at
            step = (conversation.last_message_at - start) / count
            # Only the other users' messages ask for a refund: a word frequent on the site that
            # neither heavy inbox holds (the search's lookup of it is not a rare term's).
            refund = "" if buyer == heavy_buyer or store == heavy_store else " Is a refund possible?"
            for n in range(count):
                side = "buyer" if n % 2 == 0 else "store"
                messages.append(
                    Message(
                        conversation=conversation,
                        buyer_id=conversation.buyer_id,
                        store_id=conversation.store_id,
                        side=side,
                        sender_id=buyer.pk if side == "buyer" else store.owner_id,
                        text=f"Message {n} about parcel {rng.randint(1000, 9999)}: does it come in another colour?"
                        + refund,
                        created_at=start + step * n,
                    )
                )
            exchanges.append(
                ResponseExchange(
                    conversation=conversation,
                    store=store,
                    started_at=conversation.last_message_at - timedelta(hours=2),
                    answered_at=conversation.last_message_at - timedelta(hours=1),
                    response_seconds=3600,
                )
            )
            # One conversation in ten has something unread on each side.
            if rng.random() < 0.1:
                conversation.buyer_unread = rng.randint(1, 3)
            if rng.random() < 0.1:
                conversation.store_unread = rng.randint(1, 3)
            conversation.last_message_preview = "does it come in another colour?"
            conversation.last_message_side = "store"
            conversation.last_human_preview = conversation.last_message_preview
            conversation.last_human_side = conversation.last_message_side
        Message.objects.bulk_create(messages, batch_size=BATCH)
        ResponseExchange.objects.bulk_create(exchanges, batch_size=BATCH)
        Conversation.objects.bulk_update(
            conversations,
            [
                "buyer_unread",
                "store_unread",
                "last_message_preview",
                "last_message_side",
                "last_human_preview",
                "last_human_side",
            ],
        )
        total_messages += len(messages)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(
        f"generated {len(plans)} conversations, {total_messages} messages "
        f"(heavy buyer: {args.buyer_conversations}×{args.per_conversation}, "
        f"heavy store: {args.store_conversations}×{args.store_per_conversation}) "
        f"in {time.monotonic() - started:.0f} s"
    )


if __name__ == "__main__":
    main()
