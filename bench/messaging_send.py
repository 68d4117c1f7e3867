"""What the search indexes cost a message being sent: `message_send` with every index, and without some.

    .venv/bin/python bench/messaging_send.py [--messages 2000] [--rounds 3]

Run `bench/messaging_generate.py` first (the figures in docs/operations.md: 520,000 messages).
Sends `--messages` messages in one process, the heavy buyer writing to their conversations in
turn, each send its own transaction as in the portal, and prints the wall and CPU milliseconds
per send: with every index, without the inbox owner's text indexes (messaging migration
0013), and without any trigram index of the messages. Each way's messages and dropped indexes
are rolled back (the sends run in savepoints of one outer transaction), so the three ways see
the same data; the ways alternate over `--rounds` rounds and the least per way is printed.
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from messaging_common import setup_django

WAYS = {
    "every index": [],
    "without the owner's text indexes": ["message_buyer_text_trgm", "message_store_text_trgm"],
    "without any trigram index of the messages": [
        "message_buyer_text_trgm",
        "message_store_text_trgm",
        "message_text_trgm",
    ],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    setup_django()
    from django.db import connection, transaction
    from django.utils import timezone

    from messaging import services
    from messaging.models import Conversation, Message, Side
    from portal.models import User

    buyer = User.objects.get(email="bench-buyer@opinia.test")
    conversation_ids = list(
        Conversation.objects.filter(buyer=buyer).order_by("-last_message_at").values_list("pk", flat=True)[:200]
    )
    print(f"data: {Message.objects.count():,} messages; {args.messages:,} sends per way and round")
    best: dict[str, tuple[float, float]] = {}
    for _round in range(args.rounds):
        for way, dropped in WAYS.items():
            with transaction.atomic():
                with connection.cursor() as cursor:
                    for index in dropped:
                        cursor.execute(f"DROP INDEX {index}")
                wall, cpu = time.perf_counter(), time.process_time()
                for n in range(args.messages):
                    with transaction.atomic():
                        services.message_send(
                            conversation_id=conversation_ids[n % len(conversation_ids)],
                            sender=buyer,
                            side=Side.BUYER,
                            text=f"Bench message {n}: has parcel {1000 + n} left the warehouse yet?",
                            now=timezone.now(),
                        )
                wall_ms = (time.perf_counter() - wall) * 1000 / args.messages
                cpu_ms = (time.process_time() - cpu) * 1000 / args.messages
                transaction.set_rollback(True)
            previous = best.get(way)
            best[way] = (min(previous[0], wall_ms), min(previous[1], cpu_ms)) if previous else (wall_ms, cpu_ms)
    for way, (wall_ms, cpu_ms) in best.items():
        print(f"  {way:<45} {wall_ms:6.2f} ms wall, {cpu_ms:6.2f} ms CPU per send (least of {args.rounds} rounds)")


if __name__ == "__main__":
    main()
