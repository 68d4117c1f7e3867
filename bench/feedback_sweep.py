"""The window-close sweep's throughput against one raw set-based SQL doing the same writes.

Makes two copies of the generated database (`bench/feedback_generate.py` first), runs the
real sweep (`feedback_windows_close_sweep`, one process, batched) on one copy and a single
raw SQL transaction on the other, with the same `now`, checks that both left the same
automatic ratings and publications, and prints orders/s and the ratio.

    .venv/bin/python bench/feedback_sweep.py [--database opinia_bench] [--batch 2000]

The raw SQL classifies merges with LAG() (previous rating of the same buyer and store
within 10 days), a cheaper approximation of the chain rule the sweep applies exactly.
"""

import argparse
import os
import re
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")

RAW_SQL = """
CREATE TEMP TABLE claimed ON COMMIT DROP AS
WITH c AS (
    UPDATE feedback_feedbackwindow SET state = 'published', published_at = %(now)s
    WHERE state = 'pending' AND closes_at <= %(now)s
    RETURNING id, order_id, store_id, buyer_id, buyer_rated_at, automatic_stars
) SELECT * FROM c;

INSERT INTO feedback_itemreview (window_id, order_item_id, product_id, store_id, buyer_id, stars, text, photo_count,
    is_automatic, created_at, published_at, has_additional, has_reply, revision_note, score_role)
SELECT w.id, oi.id, oi.product_id, w.store_id, w.buyer_id, w.automatic_stars, '', 0, true, %(now)s, %(now)s,
    false, false, '', ''
FROM claimed w JOIN feedback_sellerrating sr ON sr.window_id = w.id
JOIN portal_orderitem oi ON oi.order_id = w.order_id
WHERE w.buyer_rated_at IS NULL AND sr.stars >= 4
ON CONFLICT (order_item_id) DO NOTHING;

UPDATE feedback_itemreview r SET published_at = %(now)s FROM claimed w
WHERE r.window_id = w.id AND r.published_at IS NULL;
UPDATE feedback_sellerrating r SET published_at = %(now)s FROM claimed w
WHERE r.window_id = w.id AND r.published_at IS NULL;

CREATE TEMP TABLE detail ON COMMIT DROP AS
WITH u AS (
    UPDATE feedback_storerating r SET published_at = %(now)s FROM claimed w
    WHERE r.window_id = w.id AND r.published_at IS NULL
    RETURNING r.store_id, r.as_described, r.communication, r.shipping
) SELECT * FROM u;

CREATE TEMP TABLE roles ON COMMIT DROP AS
SELECT r.id, r.store_id, r.stars, r.score_role AS old_role, r.published_at,
    CASE WHEN lag(r.published_at) OVER w IS NULL OR r.published_at >= lag(r.published_at) OVER w + interval '10 days'
         THEN 'counted' ELSE 'merged' END AS new_role
FROM feedback_itemreview r
JOIN (SELECT DISTINCT store_id, buyer_id FROM claimed) p ON p.store_id = r.store_id AND p.buyer_id = r.buyer_id
WHERE r.published_at IS NOT NULL AND r.removed_at IS NULL
WINDOW w AS (PARTITION BY r.store_id, r.buyer_id ORDER BY r.published_at, r.id);

UPDATE feedback_itemreview r SET score_role = x.new_role FROM roles x
WHERE r.id = x.id AND x.old_role IS DISTINCT FROM x.new_role;

INSERT INTO feedback_storescoreday (store_id, day, positive, neutral, negative, merged, removed, described_sum,
    described_n, communication_sum, communication_n, shipping_sum, shipping_n)
SELECT store_id, day, sum(positive), sum(neutral), sum(negative), sum(merged), 0,
    sum(ds), sum(dn), sum(cs), sum(cn), sum(ss), sum(sn)
FROM (
    SELECT store_id, (published_at AT TIME ZONE 'UTC')::date AS day,
        count(*) FILTER (WHERE new_role = 'counted' AND stars >= 4) AS positive,
        count(*) FILTER (WHERE new_role = 'counted' AND stars = 3) AS neutral,
        count(*) FILTER (WHERE new_role = 'counted' AND stars <= 2) AS negative,
        count(*) FILTER (WHERE new_role = 'merged') AS merged,
        0 AS ds, 0 AS dn, 0 AS cs, 0 AS cn, 0 AS ss, 0 AS sn
    FROM roles WHERE old_role IS DISTINCT FROM new_role GROUP BY 1, 2
    UNION ALL
    SELECT store_id, (%(now)s AT TIME ZONE 'UTC')::date, 0, 0, 0, 0,
        coalesce(sum(as_described), 0), count(as_described), coalesce(sum(communication), 0), count(communication),
        coalesce(sum(shipping), 0), count(shipping)
    FROM detail GROUP BY 1
) t GROUP BY store_id, day
ON CONFLICT (store_id, day) DO UPDATE SET
    positive = feedback_storescoreday.positive + excluded.positive,
    neutral = feedback_storescoreday.neutral + excluded.neutral,
    negative = feedback_storescoreday.negative + excluded.negative,
    merged = feedback_storescoreday.merged + excluded.merged,
    described_sum = feedback_storescoreday.described_sum + excluded.described_sum,
    described_n = feedback_storescoreday.described_n + excluded.described_n,
    communication_sum = feedback_storescoreday.communication_sum + excluded.communication_sum,
    communication_n = feedback_storescoreday.communication_n + excluded.communication_n,
    shipping_sum = feedback_storescoreday.shipping_sum + excluded.shipping_sum,
    shipping_n = feedback_storescoreday.shipping_n + excluded.shipping_n;
"""

CHECK_SQL = """SELECT
    (SELECT count(*) FROM feedback_feedbackwindow WHERE state = 'published'),
    (SELECT count(*) FROM feedback_itemreview WHERE is_automatic),
    (SELECT count(*) FROM feedback_itemreview WHERE published_at IS NOT NULL),
    (SELECT count(*) FROM feedback_sellerrating WHERE published_at IS NOT NULL),
    (SELECT coalesce(sum(positive + neutral + negative + merged), 0) FROM feedback_storescoreday)"""


def psql(sql: str) -> None:
    subprocess.run(["psql", f"{PG}/postgres", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql], check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default="opinia_bench")
    parser.add_argument("--batch", type=int, default=2000)
    args = parser.parse_args()
    sweep_db, raw_db = f"{args.database}_sweep", f"{args.database}_raw"
    for copy in (sweep_db, raw_db):
        psql(f"DROP DATABASE IF EXISTS {copy} WITH (FORCE)")
        psql(f"CREATE DATABASE {copy} TEMPLATE {args.database}")
    now = datetime.now(tz=UTC)

    with psycopg.connect(f"{PG}/{raw_db}") as conn:
        due = conn.execute(
            "SELECT count(*) FROM feedback_feedbackwindow WHERE state = 'pending' AND closes_at <= %s", [now]
        ).fetchone()[0]
        started = time.perf_counter()
        with conn.transaction():
            for statement in re.split(r";\s*\n", RAW_SQL):
                if statement.strip():
                    conn.execute(statement, {"now": now})
        raw_seconds = time.perf_counter() - started
        raw_check = conn.execute(CHECK_SQL).fetchone()

    os.environ.update(DJANGO_SETTINGS_MODULE="portal.settings", OPINIA_TESTING="1", DATABASE_URL=f"{PG}/{sweep_db}")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection

    from feedback.services import feedback_windows_close_sweep

    connection.ensure_connection()
    started = time.perf_counter()
    cpu_started = time.process_time()
    closed = feedback_windows_close_sweep(now=now, batch_size=args.batch)
    sweep_seconds = time.perf_counter() - started
    sweep_cpu = time.process_time() - cpu_started
    with connection.cursor() as cursor:
        cursor.execute(CHECK_SQL)
        sweep_check = cursor.fetchone()
    connection.close()

    sweep_rate = closed / sweep_seconds
    raw_rate = due / raw_seconds
    print(f"due windows (orders):  {due:,}")
    print(
        f"sweep (batch {args.batch}):    {closed:,} in {sweep_seconds:.2f} s = {sweep_rate:,.0f} orders/s "
        f"(Python CPU {sweep_cpu:.2f} s)"
    )
    print(f"raw set-based SQL:     {due:,} in {raw_seconds:.2f} s = {raw_rate:,.0f} orders/s")
    print(f"ratio sweep / raw:     {sweep_rate / raw_rate:.2f}x")
    labels = ("windows published", "automatic ratings", "published reviews", "published seller ratings", "bucket rows")
    for label, a, b in zip(labels, sweep_check, raw_check, strict=True):
        print(f"  {label:<25} sweep {a:>10,}   raw {b:>10,}{'' if a == b else '   (differs)'}")
    for copy in (sweep_db, raw_db):
        psql(f"DROP DATABASE IF EXISTS {copy} WITH (FORCE)")


if __name__ == "__main__":
    main()
