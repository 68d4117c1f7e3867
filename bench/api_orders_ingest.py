"""Orders in through `POST /api/v1/orders`, each with 3 items and an idempotency key.

Creates its own database (`opinia_bench_api`, dropped and re-created), one store with three
products and an integration key, then serves the portal with gunicorn (2 processes × 4 threads, as production) on
loopback and keeps `--connections` (16) closed-loop connections posting new orders for
`--seconds`. Prints orders/s (target: 300/s on 2 cores) with p50/p95 latency, and checks that
the database holds exactly one order, with 3 items, per 201 answered.

    .venv/bin/python bench/api_orders_ingest.py [--small] [--seconds 30] [--connections 16]

`--client wrk` measures with wrk (Debian's package, written in C, `--connections` over 2 of its
threads) instead of this script's Python threads: on 2 cores the load generator's own CPU is
taken from the server, and wrk's is a fraction of Python's. Both print the same lines.

`--small` runs 10 seconds. Not a test; never run by the test suite.
"""

import argparse
import itertools
import json
import os
import subprocess
import sys

from api_common import PG, ROOT, Gunicorn, WrkResult, closed_loop, load_average, server_env, wrk_run


def psql(sql: str) -> None:
    subprocess.run(["psql", f"{PG}/postgres", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql], check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default="opinia_bench_api")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--small", action="store_true", help="10 seconds")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker (gthread)")
    parser.add_argument("--client", choices=["python", "wrk"], default="python", help="the load generator")
    parser.add_argument("--users", type=int, help="users there before (1,000,000; 20,000 with --small)")
    args = parser.parse_args()
    seconds = 10.0 if args.small else args.seconds
    users = args.users if args.users is not None else (20_000 if args.small else 1_000_000)

    psql(f"DROP DATABASE IF EXISTS {args.database} WITH (FORCE)")
    psql(f"CREATE DATABASE {args.database}")
    env = server_env(args.database)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True, env=env)
    # The buyers are looked up by e-mail: the users table is as large as a marketplace's.
    subprocess.run(
        [
            "psql",
            f"{PG}/{args.database}",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            f"""INSERT INTO portal_user (password, is_superuser, email, display_name, language, time_zone, phone,
                is_staff, is_active, date_joined)
            SELECT '!', false, 'member-' || i || '@example.com', 'Member ' || i, 'en', 'UTC', '', false, true, now()
            FROM generate_series(1, {users}) AS i""",
            "-c",
            "VACUUM ANALYZE portal_user",
        ],
        check=True,
    )
    os.environ.update({k: env[k] for k in ("DJANGO_SETTINGS_MODULE", "OPINIA_TESTING", "DATABASE_URL")})
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    from api import services
    from api.models import ApiKey
    from api.scopes import INTEGRATION_SCOPES
    from portal.models import Order, OrderItem, User

    staff = User.objects.create_user(email="bench-staff@example.com", password=None, is_staff=True)
    key = services.api_key_issue(
        kind=ApiKey.Kind.INTEGRATION, name="bench", scopes=list(INTEGRATION_SCOPES), actor=staff, now=timezone.now()
    ).secret
    connection.close()
    auth = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    counter = itertools.count(1)
    run_id = os.getpid()

    def new_order() -> tuple[str, str, dict[str, str], bytes]:
        n = next(counter)  # itertools.count is atomic under the GIL
        ref = f"bench-{run_id}-{n}"
        body = {
            "external_ref": ref,
            "store_ref": "bench-store",
            "buyer_email": f"buyer-{n % 5000}@example.com",
            "buyer_name": f"Buyer {n % 5000}",
            "items": [{"product_ref": f"bench-p{i}", "quantity": 1 + (n + i) % 3} for i in range(1, 4)],
        }
        return "POST", "/api/v1/orders", {**auth, "Idempotency-Key": ref}, json.dumps(body).encode()

    with Gunicorn(args.database, workers=args.workers, threads=args.threads) as server:
        import http.client

        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        setup = [
            (
                "/api/v1/stores/bench-store",
                {"owner_email": "bench-owner@example.com", "name": "Bench", "country": "CN"},
            ),
            *(
                (f"/api/v1/stores/bench-store/products/bench-p{i}", {"title": f"Product {i}", "price": f"{i}.50"})
                for i in range(1, 4)
            ),
        ]
        for path, body in setup:
            conn.request("PUT", path, body=json.dumps(body), headers={"Host": "127.0.0.1", **auth})
            response = conn.getresponse()
            assert response.status in (200, 201), (path, response.status, response.read())
            response.read()
        conn.close()
        closed_loop(server.port, new_order, connections=args.connections, seconds=2)  # warm-up
        last_before = Order.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        connection.close()
        if args.client == "wrk":
            result = wrk_loop(server.port, key, run_id, connections=args.connections, seconds=seconds)
        else:
            result = closed_loop(server.port, new_order, connections=args.connections, seconds=seconds)

    created = result.statuses.get(201, 0)
    in_database = Order.objects.filter(pk__gt=last_before).count()
    items = OrderItem.objects.filter(order__pk__gt=last_before).count()
    print(
        f"gunicorn {args.workers} workers × {args.threads} threads (gthread), {args.connections} closed-loop connections "
        f"({args.client}), {seconds:.0f} s"
    )
    print(
        f"orders of 3 items; {users:,} users before, buyers new for the first 5,000 orders then returning; "
        f"{load_average()}"
    )
    print(
        f"  POST /api/v1/orders  {result.rate:7.1f} orders/s   p50 {result.percentile(0.5):6.1f} ms   "
        f"p95 {result.percentile(0.95):6.1f} ms   p99 {result.percentile(0.99):6.1f} ms   "
        f"statuses {dict(sorted(result.statuses.items()))}   errors {result.errors}"
    )
    print(f"  database: {in_database:,} new orders with {items:,} items for {created:,} answered 201")
    if args.client == "wrk":
        # wrk stops at its deadline without counting the requests still in flight (at most one per
        # connection), which the server completes.
        assert created <= in_database <= created + args.connections, "every 201 is exactly one order"
    else:
        assert in_database == created, "every 201 is exactly one order"
    assert items == 3 * in_database, "every order has its 3 items"
    print("target: 300 orders/s —", "met" if result.rate >= 300 else "NOT met")


WRK_SCRIPT = """
local counter = 0  -- `id` is set per thread by setup()
local threads = {}
function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end
function init(args)
  nthreads = tonumber(args[1])
end
function request()
  counter = counter + 1
  local n = (counter - 1) * nthreads + id + 1
  local ref = "wrk-" .. RUN .. "-" .. n
  local body = string.format(
    '{"external_ref":"%s","store_ref":"bench-store","buyer_email":"buyer-%d@example.com",' ..
    '"buyer_name":"Buyer %d","items":[{"product_ref":"bench-p1","quantity":%d},' ..
    '{"product_ref":"bench-p2","quantity":%d},{"product_ref":"bench-p3","quantity":%d}]}',
    ref, n % 5000, n % 5000, 1 + (n + 1) % 3, 1 + (n + 2) % 3, 1 + (n + 3) % 3)
  return wrk.format("POST", "/api/v1/orders", {
    ["Host"] = "127.0.0.1", ["Authorization"] = "Bearer " .. KEY,
    ["Content-Type"] = "application/json", ["Idempotency-Key"] = ref}, body)
end
"""


def wrk_loop(port: int, key: str, run_id: int, *, connections: int, seconds: float) -> WrkResult:
    """The same orders posted by wrk: 2 threads, `connections` keep-alive connections."""
    script = WRK_SCRIPT.replace("RUN", f'"{run_id}"').replace("KEY", f'"{key}"')
    return wrk_run(port, "/", connections=connections, seconds=seconds, script=script, args=("2",), ok_status=201)


if __name__ == "__main__":
    main()
