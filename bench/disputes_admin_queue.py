"""Latency of the admin dispute queue (changelist) with filters on, through Django's test client.

Run `bench/disputes_generate.py` first. Logs in as the generated superuser, warms up, then
requests each filtered queue `--repeat` times and prints p50/p95/max per filter and overall,
with the number of SQL queries of one request. Target: p95 < 100 ms.

    .venv/bin/python bench/disputes_admin_queue.py [--repeat 40]

Not a test; never run by the test suite.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from disputes_generate import DATABASE, setup_django


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default=DATABASE)
    parser.add_argument("--repeat", type=int, default=40)
    args = parser.parse_args()
    setup_django(args.database)
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from disputes.models import Dispute
    from portal.models import User

    total = Dispute.objects.count()
    store_id = Dispute.objects.filter(status="escalated").values_list("store_id", flat=True).first()
    client = Client(HTTP_HOST="localhost")
    client.force_login(User.objects.get(email="bench-staff@example.com"))
    base = reverse("admin:disputes_dispute_changelist")
    filters = {
        "no filter": "",
        "status=escalated": "?status=escalated",
        "status=awaiting_seller": "?status=awaiting_seller",
        "reason=damaged": "?reason=damaged",
        "escalated=yes": "?escalated=yes",
        "overdue=yes": "?overdue=yes",
        f"store={store_id}": f"?store={store_id}",
        "status+reason": "?status=negotiating&reason=not_received",
        "status, page 20": "?status=resolved&p=20",
    }
    print(f"{total} disputes; {args.repeat} requests per filter; load average {os.getloadavg()[0]:.2f}")
    everything: list[float] = []
    for name, query in filters.items():
        url = base + query
        for _ in range(3):
            assert client.get(url).status_code == 200
        queries: list[str] = []

        def count(execute, sql, params, many, context, queries=queries):
            queries.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            client.get(url)
        times = []
        sql_times: list[float] = []

        def timed(execute, sql, params, many, context, sql_times=sql_times):
            started = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                sql_times.append((time.perf_counter() - started) * 1000)

        sql_per_request = []
        for _ in range(args.repeat):
            sql_times.clear()
            started = time.perf_counter()
            with connection.execute_wrapper(timed):
                response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            sql_per_request.append(sum(sql_times))
            assert response.status_code == 200
        everything += times
        print(
            f"{name:>24}: p50 {statistics.median(times):6.1f} ms  p95 {percentile(times, 0.95):6.1f} ms  "
            f"max {max(times):6.1f} ms  ({len(queries)} queries, SQL p50 {statistics.median(sql_per_request):5.1f} ms)"
        )
    print(
        f"{'all':>24}: p50 {statistics.median(everything):6.1f} ms  p95 {percentile(everything, 0.95):6.1f} ms  "
        f"max {max(everything):6.1f} ms"
    )


if __name__ == "__main__":
    main()
