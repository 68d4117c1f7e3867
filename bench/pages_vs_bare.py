"""Opinia's public and inbox pages side by side with a bare Django keyset page, in one run.

    .venv/bin/python bench/pages_vs_bare.py [--small] [--seconds 10] [--rounds 3] [--reuse-data]

Generates (unless `--reuse-data`) one database, `bench_pages`: a store (`bench-big`) with
1,000,000 published reviews (`--small`: 20,000) through `bench/feedback_generate.py`, and a
buyer (bench-buyer@opinia.test) with 100,000 messages in 1,000 conversations (`--small`:
20,000 in 200) through `bench/messaging_generate.py --into-existing`.

Then serves the portal with gunicorn and the project's `gunicorn.conf.py`, production-like:
DEBUG off, the manifest static storage, persistent database connections, the Redis cache if
`--redis-url` is given (else each worker's local memory). `OPINIA_BENCH_BARE_PAGE=1` mounts
the yardstick, `feedback/bare_page.py`: one keyset query over the same reviews table and a
20-row template, in the same process, through the same middleware.

A closed-loop client (threads, one keep-alive connection each, `--connections` 16) measures
each page and its bare counterpart interleaved, A B A B, for `--rounds` rounds of
`--seconds` each, and prints req/s, p50 and p95 for both, the ratios (page / bare req/s,
page p95 / bare p95), and the queries each page runs (counted in-process, cold and warm).
The client shares the machine with the server: compare ratios, not absolute figures, across
machines. Not a test; never run by the test suite.
"""

import argparse
import http.client
import os
import platform
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
# The server and this process (which makes the signed-in session) sign sessions with one key.
SECRET_KEY = "bench-only-secret-key-not-for-production-0123456789-abcdefghij"


@dataclass
class Sample:
    done: int = 0
    seconds: float = 0.0
    errors: int = 0
    latencies: list[float] = field(default_factory=list)

    def add(self, done: int, seconds: float, errors: int, latencies: list[float]) -> None:
        self.done += done
        self.seconds += seconds
        self.errors += errors
        self.latencies.extend(latencies)

    @property
    def rate(self) -> float:
        return self.done / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def load(port: int, path: str, cookie: str, *, connections: int, seconds: float) -> tuple[int, float, int, list[float]]:
    """Keep `connections` requests in flight for `seconds`: (done, wall seconds, errors, latencies ms)."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    headers = {"Host": "127.0.0.1", **({"Cookie": cookie} if cookie else {})}
    started_all = time.perf_counter()
    deadline = started_all + seconds

    def worker() -> None:
        nonlocal errors
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine: list[float] = []
        failed = 0
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    failed += 1
            except (OSError, http.client.HTTPException):
                failed += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
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
    return len(latencies), time.perf_counter() - started_all, errors, latencies


def generate(database: str, *, reviews: int, conversations: int) -> None:
    python = str(ROOT / ".venv/bin/python")
    subprocess.run(
        [
            python,
            "bench/feedback_generate.py",
            "--database",
            database,
            "--orders",
            "1000",
            "--store-reviews",
            str(reviews),
        ],
        cwd=ROOT,
        check=True,
    )
    subprocess.run(
        [
            python,
            "bench/messaging_generate.py",
            "--into-existing",
            "--buyer-conversations",
            str(conversations),
            "--per-conversation",
            "100",
            "--store-conversations",
            "10",
            "--store-per-conversation",
            "10",
            "--background",
            "100",
            "--background-per",
            "5",
        ],
        cwd=ROOT,
        check=True,
        env={**os.environ, "BENCH_DATABASE_URL": f"{PG}/{database}"},
    )


def query_counts(paths: list[tuple[str, str, str]]) -> dict[str, tuple[int, int]]:
    """Queries per page, in-process: the first request (cold caches) and the second (warm)."""
    from django.db import connection
    from django.test import Client

    counts: dict[str, tuple[int, int]] = {}
    for label, path, cookie in paths:
        client = Client(HTTP_HOST="127.0.0.1", HTTP_COOKIE=cookie) if cookie else Client(HTTP_HOST="127.0.0.1")
        runs = []
        for _ in range(2):
            ran: list[str] = []

            def record(execute, sql, params, many, context, ran=ran):  # type: ignore[no-untyped-def]
                ran.append(sql)
                return execute(sql, params, many, context)

            with connection.execute_wrapper(record):
                response = client.get(path)
            if response.status_code != 200:
                raise RuntimeError(f"{path}: HTTP {response.status_code}")
            runs.append(len(ran))
        counts[label] = (runs[0], runs[1])
    return counts


def _answers(port: int, url: str) -> bool:
    """Whether gunicorn answers `url` yet (a refused connection means it is still starting)."""
    try:
        probe = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        probe.request("GET", url, headers={"Host": "127.0.0.1"})
        return probe.getresponse().status == 200
    except OSError:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default="bench_pages")
    parser.add_argument("--small", action="store_true", help="20,000 reviews and 20,000 messages, a quick run")
    parser.add_argument("--reuse-data", action="store_true", help="measure the database as it is")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", ""))
    parser.add_argument("--workers", type=int, help="WEB_CONCURRENCY for gunicorn.conf.py (default: its own)")
    parser.add_argument("--threads", type=int, help="WEB_THREADS for gunicorn.conf.py (default: its own)")
    parser.add_argument("--only", default="", help="measure only the pages whose label contains this text")
    args = parser.parse_args()
    reviews, conversations = (20_000, 200) if args.small else (1_000_000, 1_000)
    database_url = f"{PG}/{args.database}"
    if not args.reuse_data:
        generate(args.database, reviews=reviews, conversations=conversations)

    os.environ["BENCH_DATABASE_URL"] = database_url
    os.environ["OPINIA_BENCH_BARE_PAGE"] = "1"
    os.environ["SECRET_KEY"] = SECRET_KEY
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from messaging_common import free_port, session_cookie, setup_django
    from messaging_inbox import deepest_cursor

    setup_django()
    from django.db import connection

    from feedback import selectors
    from feedback.models import ItemReview
    from messaging.models import Message
    from messaging.selectors import buyer_conversations
    from portal.models import Store, User

    store = Store.objects.get(slug="bench-big")
    public = ItemReview.objects.filter(selectors.PUBLIC, store=store, is_automatic=False)
    total = public.count()
    deep_review = public.order_by("-published_at", "-pk").only("pk", "published_at")[int(total * 0.9)]
    store_deep = selectors.encode_cursor(deep_review)
    product = ItemReview.objects.filter(store=store).select_related("product").first().product
    product_public = public.filter(product=product)
    product_total = product_public.count()
    product_deep_review = product_public.order_by("-published_at", "-pk").only("pk", "published_at")[
        int(product_total * 0.9)
    ]
    product_deep = selectors.encode_cursor(product_deep_review)
    buyer = User.objects.get(email="bench-buyer@opinia.test")
    buyer_messages = Message.objects.filter(conversation__buyer=buyer).count()
    inbox_deep, inbox_pages = deepest_cursor(buyer_conversations(user=buyer), "buyer")
    cookie = session_cookie(buyer.email)

    store_url = f"/stores/{store.slug}/"
    product_url = f"/stores/{store.slug}/products/{product.slug}/"
    bare_url = f"/bench/bare/{store.slug}/"
    bare_deep_url = f"{bare_url}?after={store_deep}"
    # (label, page, cookie, the bare page it is measured against)
    pairs = [
        ("store page 1, anonymous", store_url, "", bare_url),
        ("product page 1, anonymous", product_url, "", bare_url),
        ("product deep (90 %), anonymous", f"{product_url}?after={product_deep}", "", bare_deep_url),
        ("inbox page 1", "/messages/", cookie, bare_url),
        (f"inbox deepest (page {inbox_pages})", f"/messages/?after={inbox_deep}", cookie, bare_deep_url),
        ("store page 1, signed in", store_url, cookie, bare_url),
    ]
    pairs = [pair for pair in pairs if args.only in pair[0]]
    counts = query_counts(
        [(label, path, page_cookie) for label, path, page_cookie, _bare in pairs]
        + [("bare page 1", bare_url, ""), ("bare deep", bare_deep_url, "")]
    )
    connection.close()

    port = free_port()
    server_env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"OPINIA_TESTING", "REDIS_URL", "CELERY_BROKER_URL", "DEBUG", "DATABASE_URL"}
    }
    var_dir = Path(os.environ.get("BENCH_VAR_DIR", "/tmp/opinia-bench-pages"))
    server_env.update(
        DATABASE_URL=database_url,
        DEBUG="0",
        SECRET_KEY=SECRET_KEY,
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        OPINIA_VAR_DIR=str(var_dir),
        OPINIA_BENCH_BARE_PAGE="1",
        DB_CONN_MAX_AGE="600",
        LOG_LEVEL="WARNING",
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_LOG_LEVEL="warning",
        GUNICORN_MAX_REQUESTS="0",  # no worker restarts in the middle of a measurement
    )
    if args.redis_url:
        server_env["REDIS_URL"] = args.redis_url
    if args.workers:
        server_env["WEB_CONCURRENCY"] = str(args.workers)
    if args.threads:
        server_env["WEB_THREADS"] = str(args.threads)
    # The manifest storage of production needs collected static files.
    subprocess.run(
        [str(ROOT / ".venv/bin/python"), "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=server_env,
        check=True,
    )
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "portal.wsgi:application"],
        cwd=ROOT,
        env=server_env,
    )
    try:
        for _ in range(150):
            if _answers(port, bare_url):
                break
            time.sleep(0.2)
        else:
            raise RuntimeError("gunicorn did not answer")
        conf = subprocess.run(
            [
                str(ROOT / ".venv/bin/python"),
                "-c",
                "import runpy; c = runpy.run_path('gunicorn.conf.py'); "
                "print(c['worker_class'], c['workers'], 'workers x', c['threads'], 'threads')",
            ],
            cwd=ROOT,
            env=server_env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        print(
            f"machine: {os.cpu_count()} cores, {platform.machine()}, load average at start "
            f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}"
        )
        print(
            f"data: {total:,} published reviews on bench-big (product: {product_total:,}); heavy buyer "
            f"{buyer_messages:,} messages, {inbox_pages} inbox pages"
        )
        print(
            f"server: gunicorn.conf.py ({conf}), DEBUG off, persistent connections, cache: "
            f"{'Redis' if args.redis_url else 'local memory per worker'}; client: {args.connections} connections, "
            f"{args.rounds} rounds x {args.seconds:g} s per page, interleaved with the bare page"
        )
        samples = {label: (Sample(), Sample()) for label, *_rest in pairs}
        for _label, path, page_cookie, bare in pairs:  # warm every worker, connection and cache
            load(port, path, page_cookie, connections=args.connections, seconds=1)
            load(port, bare, "", connections=args.connections, seconds=1)
        for _round in range(args.rounds):
            for label, path, page_cookie, bare in pairs:
                page_sample, bare_sample = samples[label]
                page_sample.add(*load(port, path, page_cookie, connections=args.connections, seconds=args.seconds))
                bare_sample.add(*load(port, bare, "", connections=args.connections, seconds=args.seconds))
        print()
        print(
            f"{'page':<34}{'req/s':>8}{'p50':>8}{'p95':>8}  |{'bare req/s':>11}{'p50':>8}{'p95':>8}  |"
            f"{'ratio':>7}{'p95 x':>7}  | queries cold/warm"
        )
        for label, *_rest in pairs:
            page_sample, bare_sample = samples[label]
            cold, warm = counts[label]
            errors = page_sample.errors + bare_sample.errors
            print(
                f"{label:<34}{page_sample.rate:8.1f}{page_sample.percentile(0.5):8.1f}{page_sample.percentile(0.95):8.1f}"
                f"  |{bare_sample.rate:11.1f}{bare_sample.percentile(0.5):8.1f}{bare_sample.percentile(0.95):8.1f}"
                f"  |{page_sample.rate / bare_sample.rate:7.2f}"
                f"{page_sample.percentile(0.95) / bare_sample.percentile(0.95):7.2f}  | {cold}/{warm}"
                + (f"  ({errors} FAILED REQUESTS: figures invalid)" if errors else "")
            )
        print(
            f"bare page queries cold/warm: page 1 {'/'.join(map(str, counts['bare page 1']))}, "
            f"deep {'/'.join(map(str, counts['bare deep']))}; latencies in ms; "
            f"load average at end {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
        )
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
