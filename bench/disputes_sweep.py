"""Throughput of the dispute deadline sweep (cases/s), on a copy of the generated database.

Run `bench/disputes_generate.py` first. Copies it to `opinia_bench_disputes_sweep`, makes
`--due N` open disputes due on their clock (seller response for those awaiting the seller,
automatic escalation for those negotiating, return shipment for those awaiting it, the
decision reminder for escalated ones), runs `sweep_dispute_deadlines` with `--workers`
threads at once, checks every due case fired exactly once, and prints cases/s.

    .venv/bin/python bench/disputes_sweep.py [--due 50000] [--workers 1] [--batch 500]

Not a test; never run by the test suite.
"""

import argparse
import os
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from disputes_generate import DATABASE, psql, setup_django


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--due", type=int, default=50_000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--database", default=DATABASE, help="the generated database to copy")
    args = parser.parse_args()

    copy = args.database + "_sweep"
    psql(f"DROP DATABASE IF EXISTS {copy} WITH (FORCE)")
    psql(f"CREATE DATABASE {copy} TEMPLATE {args.database}")
    setup_django(copy)
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.utils import timezone

    from disputes.models import DisputeEvent
    from disputes.sweeps import sweep_dispute_deadlines
    from messaging.models import Notification
    from portal.models import User

    # Whichever groups may decide disputes (found by permission: a group may have been renamed).
    User.objects.get(email="bench-staff@example.com").groups.add(
        *Group.objects.filter(permissions__content_type__app_label="disputes", permissions__codename="resolve_dispute")
    )
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            """WITH due AS (
                SELECT id FROM disputes_dispute
                WHERE status IN ('awaiting_seller', 'negotiating', 'awaiting_return', 'escalated')
                ORDER BY id LIMIT %s)
            UPDATE disputes_dispute d SET
                seller_response_due_at = CASE WHEN status = 'awaiting_seller' THEN %s END,
                auto_escalate_at = CASE WHEN status = 'negotiating' THEN %s ELSE %s + interval '30 days' END,
                return_ship_due_at = CASE WHEN status = 'awaiting_return' THEN %s END,
                decision_due_at = CASE WHEN status = 'escalated' THEN %s END,
                decision_reminded_at = NULL
            FROM due WHERE d.id = due.id""",
            [args.due, now, now, now, now, now],
        )
        due = cursor.rowcount
        # Cases not chosen must not be due.
        cursor.execute(
            """UPDATE disputes_dispute SET seller_response_due_at = %s + interval '5 days',
                auto_escalate_at = %s + interval '15 days', return_ship_due_at = %s + interval '10 days',
                decision_due_at = %s + interval '7 days'
            WHERE status IN ('awaiting_seller', 'negotiating', 'awaiting_return', 'escalated')
              AND id NOT IN (SELECT id FROM disputes_dispute
                             WHERE status IN ('awaiting_seller', 'negotiating', 'awaiting_return', 'escalated')
                             ORDER BY id LIMIT %s)""",
            [now, now, now, now, args.due],
        )
        cursor.execute("VACUUM ANALYZE disputes_dispute")
        cursor.execute("SELECT status, count(*) FROM disputes_dispute GROUP BY status ORDER BY status")
        mix = "  ".join(f"{s}={c}" for s, c in cursor.fetchall())
    print(f"{due} due cases of {mix}; {args.workers} worker(s), batch {args.batch}", flush=True)

    results: list[int] = []

    def work() -> None:
        from django.db import connection as thread_connection

        results.append(sweep_dispute_deadlines(now=now, batch_size=args.batch))
        thread_connection.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=work) for _ in range(args.workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    fired = DisputeEvent.objects.exclude(clock="").count()
    distinct = DisputeEvent.objects.exclude(clock="").values("dispute_id").distinct().count()
    print(
        f"fired {sum(results)} (events {fired}, distinct cases {distinct}) in {elapsed:.1f} s: "
        f"{sum(results) / elapsed:.0f} cases/s; {Notification.objects.count()} notifications; "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    assert sum(results) == fired == distinct == due, "every due case must fire exactly once"


if __name__ == "__main__":
    main()
