"""Generate dispute benchmark data on PostgreSQL (set-based SQL, seconds not hours).

Creates the database `opinia_bench_disputes` (dropped and re-created), migrates it, and
inserts `--disputes N` disputes (100,000 by default), one per shipped order, spread over
`--stores` stores and N/10 buyers, opened over the last 120 days, in this mix:

    40 % resolved, 10 % cancelled, 20 % awaiting the seller, 15 % negotiating,
    10 % escalated (a third of them overdue), 5 % awaiting the return

with the buyer's opening request as an offer row for each, and a superuser
`bench-staff@example.com` for the admin benchmark.

    .venv/bin/python bench/disputes_generate.py [--disputes 100000] [--stores 500]

Not a test; never run by the test suite.
"""

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DATABASE = "opinia_bench_disputes"


def setup_django(database: str) -> None:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        OPINIA_TESTING="1",
        DATABASE_URL=f"{PG}/{database}",
        # Notifications' delivery tasks go nowhere: the benchmarks time the database work.
        CELERY_BROKER_URL="memory://",
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def psql(sql: str, database: str = "postgres") -> None:
    subprocess.run(["psql", f"{PG}/{database}", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql], check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default=DATABASE)
    parser.add_argument("--disputes", type=int, default=100_000)
    parser.add_argument("--stores", type=int, default=500)
    args = parser.parse_args()
    n = args.disputes

    psql(f"DROP DATABASE IF EXISTS {args.database} WITH (FORCE)")
    psql(f"CREATE DATABASE {args.database}")
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"],
        cwd=ROOT,
        check=True,
        env={**os.environ, "OPINIA_TESTING": "1", "DATABASE_URL": f"{PG}/{args.database}"},
    )
    print(f"{'migrate':>16}: {time.perf_counter() - started:6.1f} s", flush=True)
    setup_django(args.database)
    from django.db import connection

    from portal.models import User

    User.objects.create_superuser(email="bench-staff@example.com", password="bench-password")
    buyers = max(1000, n // 10)
    # status by i % 20: 0-7 resolved, 8-9 cancelled, 10-13 awaiting_seller, 14-16 negotiating,
    # 17-18 escalated, 19 awaiting_return.
    status = """CASE WHEN g.k < 8 THEN 'resolved' WHEN g.k < 10 THEN 'cancelled'
        WHEN g.k < 14 THEN 'awaiting_seller' WHEN g.k < 17 THEN 'negotiating'
        WHEN g.k < 19 THEN 'escalated' ELSE 'awaiting_return' END"""
    steps = [
        (
            "buyers",
            f"""INSERT INTO portal_user (password, is_superuser, email, display_name, language, time_zone, phone,
                is_staff, is_active, date_joined)
            SELECT '!', false, 'bench-buyer-' || i || '@example.com', 'Buyer ' || i, 'en', 'UTC', '', false, true, now()
            FROM generate_series(1, {buyers}) AS i""",
        ),
        (
            "stores",
            f"""WITH owners AS (
                INSERT INTO portal_user (password, is_superuser, email, display_name, language, time_zone, phone,
                    is_staff, is_active, date_joined)
                SELECT '!', false, 'bench-seller-' || i || '@example.com', 'Seller ' || i, 'en', 'UTC', '', false,
                    true, now() FROM generate_series(1, {args.stores}) AS i RETURNING id, display_name)
            INSERT INTO portal_store (owner_id, name, slug, country, time_zone, auto_reply, busy_reply, created_at)
            SELECT id, 'Store of ' || display_name, 'bench-' || id, 'CN', 'UTC', '', '', now() FROM owners""",
        ),
        (
            "members",
            """INSERT INTO portal_storemember (store_id, user_id, role, weekly_summary, added_at)
            SELECT id, owner_id, 'owner', true, now() FROM portal_store""",
        ),
        (
            "orders",
            f"""INSERT INTO portal_order (number, buyer_id, store_id, currency, total, status, carrier, tracking_number,
                placed_at, paid_at, shipped_at, completed_automatically, has_open_dispute)
            SELECT 'BX' || i,
                (SELECT min(id) FROM portal_user WHERE email LIKE 'bench-buyer-%%') + (i::bigint * 7919) % {buyers},
                (SELECT min(id) FROM portal_store) + (i::bigint * 104729) % {args.stores},
                'USD', 20.00 + (i % 50), 'shipped', '', 'LP' || i,
                o - interval '5 days', o - interval '4 days', o - interval '2 days', false, (i % 20) >= 10
            FROM (SELECT i, now() - (i::float / {n}) * interval '120 days' AS o
                  FROM generate_series(1, {n}) AS i) AS g""",
        ),
        (
            "disputes",
            f"""INSERT INTO disputes_dispute (order_id, store_id, buyer_id, reason, detail, requested_outcome,
                requested_amount, description, status, opened_at, updated_at, seller_responded_at,
                seller_response_due_at, escalation_opens_at, escalation_closes_at, auto_escalate_at, agreed_amount,
                return_ship_due_at, return_confirm_due_at, return_tracking_number, escalated_at, decision_due_at,
                decision_reminded_at, closed_at, closed_by, resolution, refund_amount, responsibility,
                resolution_note, decided_by_id, replacement_carrier, replacement_tracking_number,
                shipped_without_tracking)
            SELECT g.id, g.store_id, g.buyer_id,
                (ARRAY['not_received','not_as_described','damaged','wrong_quantity','refused_to_ship'])[1 + g.id % 5],
                '', 'full_refund', g.total, 'Generated dispute ' || g.id, {status}, g.o, g.o,
                CASE WHEN g.k >= 14 THEN g.o + interval '1 day' END,
                CASE WHEN g.k BETWEEN 10 AND 13 THEN g.o + interval '5 days' END,
                g.o + interval '3 days', g.o + interval '15 days', g.o + interval '16 days',
                CASE WHEN g.k = 19 THEN g.total END,
                CASE WHEN g.k = 19 THEN g.o + interval '12 days' END, NULL, '',
                CASE WHEN g.k IN (17, 18) THEN g.o + interval '4 days' END,
                CASE WHEN g.k IN (17, 18) THEN
                    CASE WHEN g.id % 3 = 0 THEN now() - interval '1 day' ELSE now() + interval '3 days' END END,
                NULL,
                CASE WHEN g.k < 10 THEN g.o + interval '6 days' END,
                CASE WHEN g.k < 8 THEN 'agreement' WHEN g.k < 10 THEN 'buyer_cancelled' ELSE '' END,
                CASE WHEN g.k < 8 THEN 'full_refund' ELSE '' END,
                CASE WHEN g.k < 8 THEN g.total END, '', '', NULL, '', '', false
            FROM (SELECT o.id, o.store_id, o.buyer_id, o.total, o.shipped_at + interval '1 day' AS o,
                         (o.id % 20) AS k FROM portal_order o WHERE o.number LIKE 'BX%%') AS g""",
        ),
        (
            "buyer offers",
            """INSERT INTO disputes_disputeoffer (dispute_id, side, kind, amount, note, author_id, created_at, carrier,
                tracking_number)
            SELECT id, 'buyer', requested_outcome, requested_amount, '', buyer_id, opened_at, '', ''
            FROM disputes_dispute""",
        ),
        ("vacuum", "VACUUM ANALYZE"),
    ]
    for name, sql in steps:
        t = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(sql)
        print(f"{name:>16}: {time.perf_counter() - t:6.1f} s", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT status, count(*) FROM disputes_dispute GROUP BY status ORDER BY status")
        print("  ".join(f"{s}={c}" for s, c in cursor.fetchall()))
    print(f"{'total':>16}: {time.perf_counter() - started:6.1f} s")


if __name__ == "__main__":
    main()
