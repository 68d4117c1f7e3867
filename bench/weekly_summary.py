"""Throughput of the weekly-summary sweep (stores/s), beside a bare loop that only advances the clock.

Generates its own database, `opinia_bench_weekly_summary` (dropped and re-created): `--stores`
stores (10,000 by default, 1,000 with `--small`) in eight time zones, every one due at the
same moment, each with an owner (and, for one store in five, an agent who asked for the
summary) and realistic work waiting: six orders (one shipped past its promise, one shipped
on time, one paid over the handling limit, one near it, one just paid, one completed with
its feedback window open, the buyer still to rate), an open dispute for one store in two,
a buyer waiting for an answer for two in three, and score buckets over the last 180 days.

Then it copies the database, runs the real sweep (`weekly_summaries_sweep`, batched, one
worker) on one copy until nothing is due, and on the other a bare loop with the same batch
locking (`FOR NO KEY UPDATE SKIP LOCKED`) that only computes and saves the next due time:
the cost of the clock alone. It checks that every store got exactly one summary and prints
stores/s of both and their ratio.

    .venv/bin/python bench/weekly_summary.py [--stores 10000 | --small] [--batch 500]

Not a test; never run by the test suite. Notification e-mails go to an in-memory broker
(the figure is the database work of collecting, recording and notifying).
"""

import argparse
import os
import subprocess
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from disputes_generate import PG, ROOT, psql, setup_django

DATABASE = "opinia_bench_weekly_summary"
ZONES = [
    "Asia/Shanghai",
    "Europe/Warsaw",
    "Asia/Seoul",
    "Asia/Kolkata",
    "America/New_York",
    "Europe/London",
    "America/Los_Angeles",
    "UTC",
]
CHUNK = 2000


def generate(database: str, stores: int) -> None:
    psql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
    psql(f"CREATE DATABASE {database}")
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"],
        cwd=ROOT,
        env=dict(os.environ, DATABASE_URL=f"{PG}/{database}", OPINIA_TESTING="1"),
        check=True,
    )
    setup_django(database)
    from django.conf import settings
    from django.utils import timezone

    from disputes.models import Dispute
    from feedback.models import FeedbackWindow, StoreScoreDay
    from messaging.models import Conversation, ResponseExchange
    from portal.models import Order, Product, Store, StoreMember, User

    now = timezone.now()
    due = now - timedelta(minutes=1)
    handling = timedelta(days=settings.OPINIA_HANDLING_DAYS)

    def bulk(model, rows):  # type: ignore[no-untyped-def]
        return model.objects.bulk_create(rows, batch_size=CHUNK)

    buyers = bulk(User, [User(email=f"buyer{i}@bench.test", password="!") for i in range(max(stores // 20, 10))])
    owners = bulk(User, [User(email=f"owner{i}@bench.test", password="!") for i in range(stores)])
    agents = bulk(User, [User(email=f"agent{i}@bench.test", password="!") for i in range(0, stores, 5)])
    shops = bulk(
        Store,
        [
            Store(
                owner=owners[i],
                name=f"Bench store {i}",
                slug=f"bench-{i}",
                country="PL",
                time_zone=ZONES[i % len(ZONES)],
                weekly_summary_due_at=due,
            )
            for i in range(stores)
        ],
    )
    bulk(StoreMember, [StoreMember(store=s, user=s.owner, role=StoreMember.Role.OWNER) for s in shops])
    bulk(
        StoreMember,
        [
            StoreMember(store=shops[i * 5], user=agent, role=StoreMember.Role.AGENT, weekly_summary=True)
            for i, agent in enumerate(agents)
        ],
    )
    bulk(Product, [Product(store=s, title="Bench product", slug="bench-product", price=Decimal("10")) for s in shops])

    def order(i: int, k: int, status: str, **moments: object) -> Order:
        return Order(
            number=f"B{i}-{k}",
            buyer=buyers[i % len(buyers)],
            store=shops[i],
            total=Decimal("10"),
            status=status,
            placed_at=now - timedelta(days=20),
            **moments,
        )

    orders: list[Order] = []
    for i in range(stores):
        orders += [
            order(
                i,
                0,
                "shipped",
                paid_at=now - timedelta(days=19),
                shipped_at=now - timedelta(days=18),
                delivery_by_at=now - timedelta(days=2),
            ),
            order(
                i,
                1,
                "shipped",
                paid_at=now - timedelta(days=5),
                shipped_at=now - timedelta(days=4),
                delivery_by_at=now + timedelta(days=5),
            ),
            order(i, 2, "paid", paid_at=now - handling - timedelta(days=1)),
            order(i, 3, "paid", paid_at=now - handling + timedelta(days=1)),
            order(i, 4, "paid", paid_at=now - timedelta(hours=3)),
            order(
                i,
                5,
                "completed",
                paid_at=now - timedelta(days=15),
                shipped_at=now - timedelta(days=14),
                completed_at=now - timedelta(days=3),
            ),
        ]
    orders = bulk(Order, orders)
    by_store = {i: orders[i * 6 : i * 6 + 6] for i in range(stores)}
    bulk(
        Dispute,
        [
            Dispute(
                order=by_store[i][0],
                store=shops[i],
                buyer=by_store[i][0].buyer,
                reason=Dispute.Reason.NOT_RECEIVED,
                requested_outcome=Dispute.Outcome.FULL_REFUND,
                requested_amount=Decimal("10"),
                description="Not received.",
                opened_at=now - timedelta(days=1),
                updated_at=now - timedelta(days=1),
                seller_response_due_at=now + timedelta(days=2),
                escalation_opens_at=now + timedelta(days=2),
                escalation_closes_at=now + timedelta(days=30),
                auto_escalate_at=now + timedelta(days=14),
            )
            for i in range(0, stores, 2)
        ],
    )
    conversations = bulk(
        Conversation,
        [
            Conversation(
                buyer=buyers[i % len(buyers)],
                store=shops[i],
                created_at=now - timedelta(days=2),
                last_message_at=now - timedelta(hours=5),
            )
            for i in range(stores)
        ],
    )
    bulk(
        ResponseExchange,
        [
            ResponseExchange(conversation=c, store=c.store, started_at=now - timedelta(hours=5))
            for i, c in enumerate(conversations)
            if i % 3
        ],
    )
    bulk(
        FeedbackWindow,
        [
            FeedbackWindow(
                order=by_store[i][5],
                store=shops[i],
                buyer=by_store[i][5].buyer,
                completed_at=now - timedelta(days=3),
                closes_at=now + timedelta(days=27),
                reminder_due_at=now + timedelta(days=20),
                additional_until=now + timedelta(days=60),
            )
            for i in range(stores)
        ],
    )
    today = now.date()
    bulk(
        StoreScoreDay,
        [
            StoreScoreDay(store=s, day=today - timedelta(days=back), positive=positive, negative=negative)
            for s in shops
            for back, positive, negative in ((2, 5, 2), (10, 3, 0), (100, 10, 1))
        ],
    )
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    connection.close()


def bare_loop(*, now, batch_size: int) -> int:  # type: ignore[no-untyped-def]
    """The clock alone: lock a batch of due stores as the sweep does, compute and save each one's next due time."""
    from django.db import transaction

    from portal.models import Store
    from portal.weekly_summary import weekly_summary_next_due

    advanced = 0
    while True:
        with transaction.atomic():
            stores = list(
                Store.objects.select_for_update(skip_locked=True, no_key=True)
                .filter(weekly_summary_due_at__lte=now)
                .order_by("weekly_summary_due_at", "pk")[:batch_size]
            )
            for store in stores:
                with transaction.atomic():  # the sweep's per-store savepoint
                    store.weekly_summary_due_at = weekly_summary_next_due(time_zone=store.time_zone, after=now)
                    store.save(update_fields=["weekly_summary_due_at"])
                advanced += 1
        if len(stores) < batch_size:
            return advanced


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stores", type=int, default=10_000)
    parser.add_argument("--small", action="store_true", help="1,000 stores")
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--database", default=DATABASE)
    args = parser.parse_args()
    stores = 1_000 if args.small else args.stores
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"

    started = time.perf_counter()
    generate(args.database, stores)
    print(f"generated {stores} stores in {time.perf_counter() - started:.0f} s", flush=True)
    bare = args.database + "_bare"
    psql(f"DROP DATABASE IF EXISTS {bare} WITH (FORCE)")
    psql(f"CREATE DATABASE {bare} TEMPLATE {args.database}")

    from django.db import connection, connections
    from django.utils import timezone

    from messaging.models import Notification
    from portal.models import Store, WeeklySummary
    from portal.weekly_summary import weekly_summaries_sweep

    now = timezone.now()
    started = time.perf_counter()
    sent = 0
    while Store.objects.filter(weekly_summary_due_at__lte=now).exists():
        sent += weekly_summaries_sweep(now=now, batch_size=args.batch)
    sweep_seconds = time.perf_counter() - started
    summaries = WeeklySummary.objects.count()
    with_work = WeeklySummary.objects.exclude(contents={}).count()
    notifications = Notification.objects.filter(kind="weekly_summary").count()
    assert sent == summaries == stores, f"every store once: sent {sent}, recorded {summaries}, stores {stores}"
    assert not Store.objects.filter(weekly_summary_due_at__lte=now).exists()

    connections["default"].close()
    connections["default"].settings_dict["NAME"] = bare
    started = time.perf_counter()
    advanced = bare_loop(now=now, batch_size=args.batch)
    bare_seconds = time.perf_counter() - started
    assert advanced == stores
    connection.close()

    sweep_rate, bare_rate = stores / sweep_seconds, stores / bare_seconds
    print(
        f"sweep: {sent} summaries ({with_work} with something to do, {notifications} notifications) "
        f"in {sweep_seconds:.1f} s = {sweep_rate:.0f} stores/s\n"
        f"bare clock loop: {advanced} stores in {bare_seconds:.1f} s = {bare_rate:.0f} stores/s\n"
        f"ratio: the sweep runs at {sweep_rate / bare_rate:.2f}x the bare loop's rate; batch {args.batch}; "
        f"load average {os.getloadavg()[0]:.2f} (cores: {os.cpu_count()})"
    )


if __name__ == "__main__":
    main()
