"""Throughput of the trust signals: texts checked per second, and the burst check over many stores.

Makes its own database (`opinia_bench_trust`, migrated, with the seeded phrase lists), then:

1. **texts**: `--messages` messages (100,000; 10,000 with `--small`) in five languages —
   ordinary buyer and seller talk with one in fifty an offer or threat from the lists'
   examples — each with its pending check, as the services write them; then the signals
   worker's sweep (`trust.services.checks_sweep`, batches of `--batch`) checks them all:
   texts/s and cases filed. The matching alone (no database) is timed on the same texts.
2. **bursts**: `--stores` stores (10,000; 1,000 with `--small`) with 29 days of score
   buckets each, one in a hundred with a burst on the last day; `bursts_evaluate` for that
   day: seconds, and the cases it opened (checked against the planted bursts).

    .venv/bin/python bench/trust_signals.py [--small] [--messages N] [--stores N] [--batch 500]

Not a test; never run by the test suite.
"""

import argparse
import os
import random
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DATABASE = "opinia_bench_trust"
BATCH = 2000

ORDINARY = [
    "Hello, does this come in another colour?",
    "The parcel arrived today, thank you!",
    "Zamówienie dotarło, wszystko w porządku.",
    "Czy mogę prosić o numer przesyłki?",
    "包裹什么时候发货？",
    "谢谢，质量很好。",
    "배송은 언제 되나요?",
    "상품 잘 받았습니다. 감사합니다!",
    "મારો ઓર્ડર ક્યારે આવશે?",
    "સરસ ઉત્પાદન, આભાર.",
]


def setup_django(database: str) -> None:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        OPINIA_TESTING="1",
        DATABASE_URL=f"{PG}/{database}",
        CELERY_BROKER_URL="memory://",
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", action="store_true", help="10,000 messages and 1,000 stores")
    parser.add_argument("--messages", type=int)
    parser.add_argument("--stores", type=int)
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args()
    messages = args.messages or (10_000 if args.small else 100_000)
    store_count = args.stores or (1_000 if args.small else 10_000)

    subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", DATABASE], check=True)
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", DATABASE], check=True)
    env = {**os.environ, "DATABASE_URL": f"{PG}/{DATABASE}", "OPINIA_TESTING": "1"}
    subprocess.run([str(ROOT / ".venv/bin/python"), "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    setup_django(DATABASE)

    from django.db import connection

    from feedback.models import StoreScoreDay
    from messaging.models import Conversation, Message
    from portal.models import Store, User
    from trust import services
    from trust.bursts import bursts_evaluate
    from trust.matching import find_matches
    from trust.models import Case, PhraseList, TextCheck
    from trust.selectors import active_phrases

    rng = random.Random(7)
    now = datetime.now(UTC).replace(microsecond=0)
    offending = [line for phrase_list in PhraseList.objects.all() for line in phrase_list.must_match.splitlines()]
    near = [line for phrase_list in PhraseList.objects.all() for line in phrase_list.must_not_match.splitlines()]

    # --- 1. texts ----------------------------------------------------------------------------------
    owner = User.objects.create(email="bench-owner@bench.test", display_name="Owner", password="!")
    store = Store.objects.create(owner=owner, name="Bench store", slug="bench-store", country="CN")
    buyers = User.objects.bulk_create(
        [User(email=f"buyer{n}@bench.test", display_name=f"Buyer {n}", password="!") for n in range(500)]
    )
    conversations = Conversation.objects.bulk_create(
        [Conversation(kind="store", buyer=b, store=store, created_at=now, last_message_at=now) for b in buyers]
    )
    texts = []
    for _n in range(messages):
        roll = rng.random()
        texts.append(rng.choice(offending) if roll < 0.02 else rng.choice(near) if roll < 0.1 else rng.choice(ORDINARY))
    planted = sum(1 for text in texts if text in offending)
    for offset in range(0, messages, BATCH):
        chunk = [
            Message(
                conversation=conversations[(offset + n) % len(conversations)],
                side="buyer",
                sender_id=conversations[(offset + n) % len(conversations)].buyer_id,
                buyer_id=conversations[(offset + n) % len(conversations)].buyer_id,
                store_id=conversations[(offset + n) % len(conversations)].store_id,
                text=text,
                created_at=now,
            )
            for n, text in enumerate(texts[offset : offset + BATCH])
        ]
        made = Message.objects.bulk_create(chunk)
        TextCheck.objects.bulk_create(
            [TextCheck(source="message", source_id=m.pk, created_at=now) for m in made], batch_size=BATCH
        )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE messaging_message")
        cursor.execute("VACUUM ANALYZE trust_textcheck")

    phrases = active_phrases()
    started = time.perf_counter()
    matched = sum(1 for text in texts if find_matches(text, phrases)[1])
    match_seconds = time.perf_counter() - started

    started = time.perf_counter()
    checked = services.checks_sweep(now=now, batch_size=args.batch, max_batches=messages // args.batch + 2)
    sweep_seconds = time.perf_counter() - started
    cases = Case.objects.count()
    assert checked == messages, (checked, messages)
    assert not TextCheck.objects.filter(checked_at=None).exists()
    print(
        f"texts: {messages:,} messages in 5 languages ({planted:,} offers or threats planted), {len(phrases)} phrases"
    )
    print(f"  matching only (no database): {messages / match_seconds:,.0f} texts/s ({matched:,} with a match)")
    print(
        f"  signals worker sweep (batches of {args.batch}): {sweep_seconds:.1f} s, "
        f"{messages / sweep_seconds:,.0f} texts/s, {cases:,} cases filed"
    )

    # --- 2. bursts ----------------------------------------------------------------------------------
    stores = Store.objects.bulk_create(
        [Store(owner=owner, name=f"S{n}", slug=f"s-{n}", country="CN") for n in range(store_count)],
        batch_size=BATCH,
    )
    day = now.date()
    burst_stores = set(rng.sample([s.pk for s in stores], max(1, store_count // 100)))
    rows = []
    for s in stores:
        base = rng.randint(0, 40)
        for back in range(1, 29):
            rows.append(
                StoreScoreDay(store_id=s.pk, day=day - timedelta(days=back), positive=max(0, base + rng.randint(-3, 3)))
            )
        rows.append(StoreScoreDay(store_id=s.pk, day=day, positive=base * 3 + 80 if s.pk in burst_stores else base))
        if len(rows) >= BATCH * 5:
            StoreScoreDay.objects.bulk_create(rows, batch_size=BATCH)
            rows = []
    StoreScoreDay.objects.bulk_create(rows, batch_size=BATCH)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE feedback_storescoreday")
    started = time.perf_counter()
    opened = bursts_evaluate(day=day, now=now)
    burst_seconds = time.perf_counter() - started
    flagged = set(Case.objects.filter(kind="burst").values_list("store_id", flat=True))
    print(f"bursts: {store_count:,} stores × 29 days of buckets ({len(burst_stores)} bursts planted)")
    print(
        f"  bursts_evaluate for one day: {burst_seconds:.2f} s, {opened} cases "
        f"({len(flagged & burst_stores)} of the planted, {len(flagged - burst_stores)} others)"
    )
    again = bursts_evaluate(day=day, now=now)
    print(f"  run again: {again} new cases (one case per store and day)")


if __name__ == "__main__":
    main()
