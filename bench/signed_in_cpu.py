"""CPU milliseconds per request of the signed-in pages against the bare keyset page, in one process.

    .venv/bin/python bench/signed_in_cpu.py [--database bench_pages] [--requests 200] [--profile LABEL]

Reads the data of `bench/pages_vs_bare.py` (its `generate()`, `--small`: 20,000 reviews on
`bench-big`, 200 conversations of 100 messages for bench-buyer@opinia.test), mounts the bare
page (`OPINIA_BENCH_BARE_PAGE=1`) and calls Django's WSGI handler directly (no network, no
server, no test-client instrumentation) with the buyer's session cookie, as gunicorn would.
For each page it prints the CPU time per request (`time.process_time()`, the mean over
`--requests` warm requests, repeated `--rounds` times interleaved with the bare page, the
lowest round kept), the bare page's figure measured next to it, their ratio, and the queries
of one warm request. On a shared machine wall-clock figures mislead; CPU time in one process
is what predicts the req/s ratio of `bench/pages_vs_bare.py`.

`--profile LABEL` prints a cProfile of the page whose label contains LABEL instead.
Not a test; never run by the test suite.
"""

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from pathlib import Path

from api_common import wsgi_environ

ROOT = Path(__file__).resolve().parent.parent
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")


def explain_ms(connection, sql: str) -> tuple[float, float]:
    """PostgreSQL's planning and execution milliseconds of `sql` (the least of 5 runs of each)."""
    runs = []
    with connection.cursor() as cursor:
        for _ in range(5):
            cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
            (result,) = cursor.fetchone()[0]
            runs.append((result["Planning Time"], result["Execution Time"]))
    return min(run[0] for run in runs), min(run[1] for run in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default="bench_pages")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", default="")
    parser.add_argument(
        "--explain", action="store_true", help="print the server's planning and execution time of each warm query"
    )
    parser.add_argument("--only", default="")
    args = parser.parse_args()
    os.environ["BENCH_DATABASE_URL"] = f"{PG}/{args.database}"
    os.environ["OPINIA_BENCH_BARE_PAGE"] = "1"
    os.environ["DEBUG"] = "0"
    for key in ("REDIS_URL", "CELERY_BROKER_URL", "DATABASE_URL"):
        os.environ.pop(key, None)
    os.environ["DATABASE_URL"] = os.environ["BENCH_DATABASE_URL"]
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from messaging_common import session_cookie, setup_django
    from messaging_inbox import deepest_cursor

    setup_django()
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from feedback import selectors
    from feedback.models import ItemReview
    from messaging.selectors import buyer_conversations
    from portal.models import Store, User

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "127.0.0.1"]
    store = Store.objects.get(slug="bench-big")
    public = ItemReview.objects.filter(selectors.PUBLIC, store=store, is_automatic=False)
    total = public.count()
    deep_review = public.order_by("-published_at", "-pk").only("pk", "published_at")[int(total * 0.9)]
    store_deep = selectors.encode_cursor(deep_review)
    buyer = User.objects.get(email="bench-buyer@opinia.test")
    inbox_deep, inbox_pages = deepest_cursor(buyer_conversations(user=buyer), "buyer")
    cookie = session_cookie(buyer.email)
    store_url = f"/stores/{store.slug}/"
    bare_url = f"/bench/bare/{store.slug}/"
    bare_deep_url = f"{bare_url}?after={store_deep}"
    product = ItemReview.objects.filter(store=store).select_related("product").first().product  # type: ignore[union-attr]
    product_url = f"/stores/{store.slug}/products/{product.slug}/"
    pairs = [
        ("inbox page 1", "/messages/", cookie, bare_url),
        (f"inbox deepest (page {inbox_pages})", f"/messages/?after={inbox_deep}", cookie, bare_deep_url),
        ("store page 1, signed in", store_url, cookie, bare_url),
        ("store page 1, anonymous", store_url, "", bare_url),
        ("product page 1, anonymous", product_url, "", bare_url),
        ("product deep, anonymous", f"{product_url}?after={store_deep}", "", bare_deep_url),
    ]
    pairs = [pair for pair in pairs if args.only in pair[0]]
    handler = WSGIHandler()

    def get(url: str, page_cookie: str) -> bytes:
        environ = wsgi_environ("GET", url, headers={"Cookie": page_cookie} if page_cookie else None)
        status: list[str] = []
        body = b"".join(handler(environ, lambda s, h, *_: status.append(s)))
        if not status[0].startswith("200"):
            raise RuntimeError(f"{url}: {status[0]}")
        return body

    def cpu_ms(url: str, page_cookie: str) -> float:
        started = time.process_time()
        for _ in range(args.requests):
            get(url, page_cookie)
        return (time.process_time() - started) * 1000 / args.requests

    if args.profile:
        label, path, page_cookie, _bare = next(pair for pair in pairs if args.profile in pair[0])
        for _ in range(5):
            get(path, page_cookie)
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.requests):
            get(path, page_cookie)
        profiler.disable()
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("cumulative").print_stats(70)
        stats.sort_stats("tottime").print_stats(40)
        for name in filter(None, os.environ.get("BENCH_CALLERS", "").split(",")):
            stats.print_callers(name)
        print(label)
        print(out.getvalue())
        return

    print(
        f"data: {total:,} published reviews on bench-big; inbox {inbox_pages} pages; {args.requests} requests x {args.rounds} rounds"
    )
    print(f"{'page':<30}{'CPU ms':>9}{'bare ms':>9}{'ratio':>7}  queries (warm)")
    for label, path, page_cookie, bare in pairs:
        for _ in range(10):  # connection, templates, caches
            get(path, page_cookie)
            get(bare, "")
        page_figures, bare_figures = [], []
        for _round in range(args.rounds):
            page_figures.append(cpu_ms(path, page_cookie))
            bare_figures.append(cpu_ms(bare, ""))
        with CaptureQueriesContext(connection) as queries:
            get(path, page_cookie)
        page, bare_ms = min(page_figures), min(bare_figures)
        print(f"{label:<30}{page:9.2f}{bare_ms:9.2f}{page / bare_ms:7.2f}  {len(queries)}")
        if args.explain:
            with CaptureQueriesContext(connection) as bare_queries:
                get(bare, "")
            for name, captured in (("page", queries), ("bare", bare_queries)):
                for query in captured.captured_queries:
                    if "$1" in query["sql"] or not query["sql"].startswith("SELECT"):  # bound by the server
                        print(f"    {name}: bound by the server  {query['sql'][:110]}")
                        continue
                    plan, execution = explain_ms(connection, query["sql"])
                    print(f"    {name}: planning {plan:5.2f} ms, execution {execution:5.2f} ms  {query['sql'][:110]}")
            with connection.cursor() as cursor:
                cursor.execute("SELECT left(statement, 100) FROM pg_prepared_statements")
                for (statement,) in cursor.fetchall():
                    print(f"    prepared on this connection: {statement}")


if __name__ == "__main__":
    main()
