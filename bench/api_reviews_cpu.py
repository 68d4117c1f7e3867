"""CPU time per request of the public review list and of the HTML store page, in one process.

Wall-clock rates depend on whoever else uses the machine; the CPU one request costs does not
(much). This calls the portal's WSGI application directly (every middleware, no server, no
socket) with warm caches, `--requests` times per URL, and prints CPU ms per request
(`time.process_time`), the queries of one warm request, and with `--profile` the top of a
cProfile of the API's requests.

Uses a database made by `bench/feedback_generate.py`, e.g.

    .venv/bin/python bench/feedback_generate.py --database opinia_bench_small --orders 1000 --store-reviews 20000
    .venv/bin/python bench/api_reviews_cpu.py --database opinia_bench_small [--redis redis://127.0.0.1:6379/9]

With `--redis` the cache is that Redis (as in production); without, the local-memory cache the
benchmark server uses (OPINIA_TESTING). Not a test; never run by the test suite.
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

URLS = {
    "API  reviews": "/api/v1/public/stores/bench-big/products/product-1/reviews",
    "API  reviews, If-None-Match (304)": "/api/v1/public/stores/bench-big/products/product-1/reviews",
    "HTML store page": "/stores/bench-big/",
}


def environ_for(path: str, headers: dict[str, str]) -> dict[str, object]:
    return wsgi_environ("GET", path, headers={"Accept-Encoding": "identity", **headers})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default="opinia_bench_reviews")
    parser.add_argument("--redis", help="a Redis URL for the cache (default: local memory, as the bench server)")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds of requests/rounds each")
    parser.add_argument("--profile", action="store_true", help="cProfile the API's requests, print the top 30")
    args = parser.parse_args()

    os.environ.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        DEBUG="0",
        OPINIA_TESTING="1",
        DATABASE_URL=f"{PG}/{args.database}",
        DB_CONN_MAX_AGE="600",
        LOG_LEVEL="WARNING",
        OPINIA_API_RATE_LIMIT="100000000/minute",
    )
    sys.path.insert(0, str(ROOT))
    import django
    from django.conf import settings

    django.setup()
    if args.redis:
        # The production setting's backend (settings.py picks it when REDIS_URL is set).
        backend = "portal.cache.RedisCache" if (ROOT / "portal/cache.py").exists() else None
        settings.CACHES = {
            "default": {"BACKEND": backend or "django.core.cache.backends.redis.RedisCache", "LOCATION": args.redis}
        }
    from django.core.cache import cache
    from django.core.wsgi import get_wsgi_application
    from django.db import connection

    cache.clear()
    application = get_wsgi_application()
    status_of: list[str] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: object = None) -> None:
        status_of.append(status)

    def call(path: str, headers: dict[str, str]) -> tuple[str, bytes]:
        status_of.clear()
        result = application(environ_for(path, headers), start_response)
        body = b"".join(result)
        result.close()  # type: ignore[attr-defined]
        return status_of[0], body

    status, _body = call(URLS["API  reviews"], {})
    assert status.startswith("200"), status
    etag = ""
    status_of.clear()
    result = application(environ_for(URLS["API  reviews"], {}), lambda s, h, e=None: status_of.append(dict(h)["ETag"]))
    b"".join(result)
    result.close()  # type: ignore[attr-defined]
    etag = status_of[0]
    header_sets = {
        "API  reviews": {},
        "API  reviews, If-None-Match (304)": {"If-None-Match": etag},
        "HTML store page": {},
    }
    expected = {"API  reviews": "200", "API  reviews, If-None-Match (304)": "304", "HTML store page": "200"}

    print(f"database {args.database}, cache {'Redis ' + args.redis if args.redis else 'local memory'}")
    samples: dict[str, list[float]] = {label: [] for label in URLS}
    query_counts: dict[str, list[str]] = {}
    for label, path in URLS.items():
        headers = header_sets[label]
        for _ in range(20):  # warm: caches, connections, imports
            status, _body = call(path, headers)
        assert status.startswith(expected[label]), (label, status)
        queries: list[str] = []  # counted with a wrapper: request_started empties connection.queries

        def record(execute, sql, params, many, context, queries=queries):  # type: ignore[no-untyped-def]
            queries.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(record):
            call(path, headers)
        query_counts[label] = queries
    # Interleaved rounds, so that each URL sees the same machine; the least CPU of the rounds is
    # the figure least disturbed by others' processes sharing the cores and their caches.
    per_round = max(1, args.requests // args.rounds)
    for _ in range(args.rounds):
        for label, path in URLS.items():
            headers = header_sets[label]
            started = time.process_time()
            for _ in range(per_round):
                call(path, headers)
            samples[label].append((time.process_time() - started) * 1000 / per_round)
    for label in URLS:
        ordered = sorted(samples[label])
        print(
            f"  {label:<36} {ordered[0]:6.2f} CPU ms/request (least of {args.rounds} rounds; median "
            f"{ordered[len(ordered) // 2]:.2f})   {len(query_counts[label])} queries   "
            f"({per_round} warm requests a round)"
        )
    if args.profile:
        path, headers = URLS["API  reviews"], header_sets["API  reviews"]
        profile = cProfile.Profile(time.process_time)
        profile.enable()
        for _ in range(args.requests):
            call(path, headers)
        profile.disable()
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(60)
        print(out.getvalue())
        for query in query_counts["API  reviews"]:
            print("   ", query[:200])


if __name__ == "__main__":
    main()
