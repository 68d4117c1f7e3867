"""Generate feedback benchmark data on PostgreSQL (set-based SQL, minutes not hours).

Two data sets in one database (default `opinia_bench`):

* `--orders N` (100,000 by default, 1,000,000 with `--million`) completed orders whose
  feedback windows are due for the close sweep: 1–2 items each, the seller rated the buyer
  on 80 % of them (stars 1–5 evenly), the buyer rated (sealed) on 30 %.
* `--store-reviews M` published reviews on one big store (`bench-big`, one product), with
  replies on a third and their score buckets, for the store and product page benchmarks.

    .venv/bin/python bench/feedback_generate.py [--orders 100000 | --million] [--store-reviews 200000]

The database is dropped and re-created. Not a test; never run by the test suite.
"""

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")


def setup_django(database: str) -> None:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        OPINIA_TESTING="1",
        DATABASE_URL=f"{PG}/{database}",
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def psql(sql: str, database: str = "postgres") -> None:
    subprocess.run(["psql", f"{PG}/{database}", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql], check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default="opinia_bench")
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--million", action="store_true", help="1,000,000 orders")
    parser.add_argument("--store-reviews", type=int, default=200_000)
    parser.add_argument("--stores", type=int, default=50)
    args = parser.parse_args()
    orders = 1_000_000 if args.million else args.orders

    psql(f"DROP DATABASE IF EXISTS {args.database} WITH (FORCE)")
    psql(f"CREATE DATABASE {args.database}")
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"],
        cwd=ROOT,
        check=True,
        env={**os.environ, "OPINIA_TESTING": "1", "DATABASE_URL": f"{PG}/{args.database}"},
    )
    setup_django(args.database)
    from django.db import connection

    buyers = max(1000, orders // 10, args.store_reviews // 5)
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
            SELECT id, 'Store of ' || display_name,
                CASE WHEN display_name = 'Seller 1' THEN 'bench-big' ELSE 'bench-' || id END, 'CN', 'UTC', '', '', now()
            FROM owners""",
        ),
        (
            "members",
            """INSERT INTO portal_storemember (store_id, user_id, role, added_at, weekly_summary)
            SELECT id, owner_id, 'owner', now(), false FROM portal_store""",
        ),
        (
            "products",
            """INSERT INTO portal_product (store_id, title, slug, description, price, currency, is_active, created_at)
            SELECT s.id, 'Product ' || p, 'product-' || p, '', 9.99, 'USD', true, now()
            FROM portal_store s CROSS JOIN generate_series(1, 5) AS p""",
        ),
    ]
    for name, sql in steps:
        t = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(sql)
        print(f"{name:>16}: {time.perf_counter() - t:6.1f} s", flush=True)

    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id), max(id) FROM portal_user WHERE email LIKE 'bench-buyer-%%'")
        first_buyer, last_buyer = cursor.fetchone()
        cursor.execute("SELECT id FROM portal_store WHERE slug = 'bench-big'")
        (big_store,) = cursor.fetchone()
        cursor.execute("SELECT id FROM portal_store WHERE slug <> 'bench-big' ORDER BY id")
        other_stores = [row[0] for row in cursor.fetchall()]
    nbuyers = last_buyer - first_buyer + 1
    stores_array = "ARRAY[" + ",".join(map(str, other_stores)) + "]"

    def orders_sql(kind: str, count: int, store_expr: str, completed_expr: str) -> str:
        return f"""INSERT INTO portal_order (number, buyer_id, store_id, currency, total, status, carrier, tracking_number,
                shipping_method, ship_to_country,
                placed_at, paid_at, shipped_at, completed_at, completed_automatically, has_open_dispute)
            SELECT '{kind}' || i, {first_buyer} + ((i::bigint * 7919) % {nbuyers})::int, {store_expr}, 'USD', 9.99, 'completed', '', '',
                '', '',
                c - interval '6 days', c - interval '5 days', c - interval '4 days', c, false, false
            FROM (SELECT i, {completed_expr} AS c FROM generate_series(1, {count}) AS i) AS g"""

    bulk = [
        (
            "due orders",
            orders_sql(
                "BD",
                orders,
                f"({stores_array})[1 + (i % {len(other_stores)})]",
                # Completed in id order over one day, as real orders arrive: the table's
                # physical order follows closes_at, like production data.
                f"now() - interval '46 days' - ({orders} - i) * interval '{86400 / orders:.6f} seconds'",
            ),
        ),
        (
            "big-store orders",
            orders_sql(
                "BS",
                args.store_reviews,
                str(big_store),
                f"now() - interval '50 days' - (i::float / {max(1, args.store_reviews)}) * interval '400 days'",
            ),
        ),
        (
            "order items",
            """INSERT INTO portal_orderitem (order_id, product_id, quantity, unit_price, sold_title,
                sold_description, sold_currency)
            SELECT o.id, p.id, 1, 9.99, p.title, '', 'USD' FROM portal_order o
            JOIN LATERAL (SELECT id, title FROM portal_product WHERE store_id = o.store_id
                ORDER BY id LIMIT CASE WHEN o.number LIKE 'BD%%' AND o.id % 2 = 0 THEN 2 ELSE 1 END) p ON true
            WHERE o.number LIKE 'B%%'""",
        ),
        (
            "windows",
            """INSERT INTO feedback_feedbackwindow (order_id, store_id, buyer_id, state, completed_at, closes_at,
                reminder_due_at, reminded_at, additional_until, automatic_stars, revision_request_days,
                revision_answer_days, report_days, buyer_rated_at, seller_rated_at, extra_invited_at, published_at)
            SELECT o.id, o.store_id, o.buyer_id,
                CASE WHEN o.number LIKE 'BS%%' THEN 'published' ELSE 'pending' END,
                o.completed_at, o.completed_at + interval '45 days', o.completed_at + interval '40 days', NULL,
                o.completed_at + interval '150 days', 4, 30, 10, 30,
                CASE WHEN o.number LIKE 'BS%%' OR o.id % 10 < 3 THEN o.completed_at + interval '1 day' END,
                CASE WHEN o.number LIKE 'BS%%' OR o.id % 10 < 8 THEN o.completed_at + interval '2 days' END,
                NULL,
                CASE WHEN o.number LIKE 'BS%%' THEN o.completed_at + interval '2 days' END
            FROM portal_order o WHERE o.number LIKE 'B%%'""",
        ),
        (
            "seller ratings",
            """INSERT INTO feedback_sellerrating (window_id, store_id, buyer_id, author_id, stars, text, created_at,
                published_at)
            SELECT w.id, w.store_id, w.buyer_id, s.owner_id, 1 + (w.id * 31 % 5), '', w.seller_rated_at,
                w.published_at
            FROM feedback_feedbackwindow w JOIN portal_store s ON s.id = w.store_id
            WHERE w.seller_rated_at IS NOT NULL""",
        ),
        (
            "buyer reviews",
            """INSERT INTO feedback_itemreview (window_id, order_item_id, product_id, store_id, buyer_id, stars,
                text, photo_count, is_automatic, created_at, published_at, removed_at, has_additional, has_reply,
                original_stars, revised_at, revision_note, score_role)
            SELECT w.id, oi.id, oi.product_id, w.store_id, w.buyer_id, 1 + (oi.id * 17 % 5),
                'Generated review number ' || oi.id, 0, false, w.buyer_rated_at, w.published_at, NULL, false,
                w.published_at IS NOT NULL AND oi.id % 3 = 0, NULL, NULL, '',
                CASE WHEN w.published_at IS NOT NULL THEN 'counted' ELSE '' END
            FROM feedback_feedbackwindow w JOIN portal_orderitem oi ON oi.order_id = w.order_id
            WHERE w.buyer_rated_at IS NOT NULL""",
        ),
        (
            "store ratings",
            """INSERT INTO feedback_storerating (window_id, store_id, as_described, communication, shipping,
                created_at, published_at)
            SELECT w.id, w.store_id, 1 + w.id % 5, 1 + (w.id / 3) % 5, NULL, w.buyer_rated_at, w.published_at
            FROM feedback_feedbackwindow w WHERE w.buyer_rated_at IS NOT NULL""",
        ),
        (
            "replies",
            """INSERT INTO feedback_sellerreply (item_review_id, additional_review_id, author_id, text, created_at)
            SELECT r.id, NULL, s.owner_id, 'Thank you!', r.published_at FROM feedback_itemreview r
            JOIN portal_store s ON s.id = r.store_id WHERE r.has_reply""",
        ),
        (
            "score buckets",
            """INSERT INTO feedback_storescoreday (store_id, day, positive, neutral, negative, merged, removed,
                described_sum, described_n, communication_sum, communication_n, shipping_sum, shipping_n)
            SELECT store_id, (published_at AT TIME ZONE 'UTC')::date,
                count(*) FILTER (WHERE stars >= 4), count(*) FILTER (WHERE stars = 3),
                count(*) FILTER (WHERE stars <= 2), 0, 0, 0, 0, 0, 0, 0, 0
            FROM feedback_itemreview WHERE published_at IS NOT NULL GROUP BY 1, 2""",
        ),
        (
            "product stars",
            """INSERT INTO feedback_productstarcount (product_id, stars, count)
            SELECT product_id, stars, count(*) FROM feedback_itemreview
            WHERE published_at IS NOT NULL AND removed_at IS NULL GROUP BY 1, 2""",
        ),
    ]
    for name, sql in bulk:
        t = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(sql)
            rows = cursor.rowcount
        print(f"{name:>16}: {time.perf_counter() - t:6.1f} s  ({rows:,} rows)", flush=True)
    t = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"{'vacuum analyze':>16}: {time.perf_counter() - t:6.1f} s")
    print(
        f"done in {time.perf_counter() - started:.0f} s: {orders:,} due orders, "
        f"{args.store_reviews:,} published reviews on store bench-big, {nbuyers:,} buyers"
    )


if __name__ == "__main__":
    main()
