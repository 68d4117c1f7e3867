"""Store and product pages of a store with many reviews, under 16 concurrent connections.

Serves the portal with gunicorn on loopback against the generated database
(`bench/feedback_generate.py`, store `bench-big`), then a bounded Python load client keeps
`--connections` keep-alive connections busy for `--seconds` per URL and prints requests/s
and p50/p95/p99 latency at page 1 and at a deep page (a keyset cursor 90 % down the list).
Also prints the score header's database time (the two aggregate queries over the daily
buckets), measured in-process.

    .venv/bin/python bench/feedback_store_page.py [--database opinia_bench] [--seconds 15] [--workers 3]

Not a test; never run by the test suite.
"""

import argparse
import http.client
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
PORT = 8765


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def load(path: str, *, connections: int, seconds: float) -> tuple[int, list[float], int]:
    """Keep `connections` requests in flight for `seconds`; returns (done, latencies ms, errors)."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def worker() -> None:
        nonlocal errors
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        mine: list[float] = []
        failed = 0
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                conn.request("GET", path, headers={"Host": "127.0.0.1"})
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    failed += 1
            except (OSError, http.client.HTTPException):
                failed += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
                continue
            mine.append((time.perf_counter() - started) * 1000)
        conn.close()
        with lock:
            latencies.extend(mine)
            errors += failed

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(latencies), latencies, errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default="opinia_bench")
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=3)
    args = parser.parse_args()

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "OPINIA_TESTING": "1",  # DEBUG off; plain static storage so no collectstatic is needed
        "DATABASE_URL": f"{PG}/{args.database}",
        "DB_CONN_MAX_AGE": "600",
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update({k: env[k] for k in ("DJANGO_SETTINGS_MODULE", "OPINIA_TESTING", "DATABASE_URL")})
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    from feedback import selectors
    from feedback.models import ItemReview
    from portal.models import Store

    store = Store.objects.get(slug="bench-big")
    total = ItemReview.objects.filter(selectors.PUBLIC, store=store).count()
    deep = (
        ItemReview.objects.filter(selectors.PUBLIC, store=store)
        .order_by("-published_at", "-pk")
        .only("pk", "published_at")[int(total * 0.9)]
    )
    cursor = selectors.encode_cursor(deep)
    product = ItemReview.objects.filter(store=store).select_related("product").first().product
    product_total = ItemReview.objects.filter(selectors.PUBLIC, product=product).count()
    product_deep = (
        ItemReview.objects.filter(selectors.PUBLIC, product=product)
        .order_by("-published_at", "-pk")
        .only("pk", "published_at")[int(product_total * 0.9)]
    )
    product_cursor = selectors.encode_cursor(product_deep)

    # The score header's database time.
    timings: list[float] = []

    def timed(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            timings.append((time.perf_counter() - started) * 1000)

    per_call: list[float] = []
    now = timezone.now()
    with connection.execute_wrapper(timed):
        for _ in range(300):
            timings.clear()
            selectors.store_score(store=store, now=now)
            per_call.append(sum(timings))
    buckets = store.score_days.count()
    connection.close()

    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "portal.wsgi",
            "-w",
            str(args.workers),
            "-b",
            f"127.0.0.1:{PORT}",
            "--keep-alive",
            "30",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    try:
        for _ in range(100):
            try:
                probe = http.client.HTTPConnection("127.0.0.1", PORT, timeout=2)
                probe.request("GET", f"/stores/{store.slug}/", headers={"Host": "127.0.0.1"})
                if probe.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        print(f"store bench-big: {total:,} published reviews ({buckets} daily buckets); product: {product_total:,}")
        print(
            f"score header DB time over {len(per_call)} calls: median {statistics.median(per_call):.2f} ms, "
            f"p95 {percentile(per_call, 0.95):.2f} ms"
        )
        print(f"gunicorn {args.workers} sync workers, {args.connections} connections, {args.seconds:.0f} s per URL")
        pages = [
            ("store page 1", f"/stores/{store.slug}/"),
            ("store deep page (90 %)", f"/stores/{store.slug}/?after={cursor}"),
            ("product page 1", f"/stores/{store.slug}/products/{product.slug}/"),
            ("product deep page (90 %)", f"/stores/{store.slug}/products/{product.slug}/?after={product_cursor}"),
        ]
        for label, path in pages:
            load(path, connections=args.connections, seconds=2)  # warm-up
            done, latencies, errors = load(path, connections=args.connections, seconds=args.seconds)
            print(
                f"  {label:<26} {done / args.seconds:7.1f} req/s   p50 {percentile(latencies, 0.5):6.1f} ms   "
                f"p95 {percentile(latencies, 0.95):6.1f} ms   p99 {percentile(latencies, 0.99):6.1f} ms   "
                f"errors {errors}"
            )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)


if __name__ == "__main__":
    main()
