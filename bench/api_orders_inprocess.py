"""`POST /api/v1/orders` in one process: CPU time and SQL statements per order, no HTTP server.

The same orders as `api_orders_ingest.py` (3 items, an idempotency key each, buyers new then
returning) go straight into the WSGI application (every middleware, DEBUG off, as gunicorn
serves it), one after another. Prints the process CPU time per order (`time.process_time()`,
so what other processes do to the machine does not count), the CPU time of the PostgreSQL
backend serving the connection (from /proc, when PostgreSQL runs on this machine; in clock
ticks of 10 ms, so give it enough orders) and, in a second pass under
`CaptureQueriesContext`, the statements per order. The process's CPU time includes its side of
the database driver; PostgreSQL's background processes (WAL writer, autovacuum) are not counted.

Creates its own database (`opinia_bench_api_inprocess`, dropped and re-created) unless
`--database` names another to drop and re-create.

    .venv/bin/python bench/api_orders_inprocess.py [--orders 400] [--users 20000] [--show-sql]

Not a test; never run by the test suite.
"""

import argparse
import itertools
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from api_common import PG, ROOT, server_env, wsgi_environ


def psql(database: str, *commands: str) -> None:
    args = ["psql", f"{PG}/{database}", "-q", "-v", "ON_ERROR_STOP=1"]
    for command in commands:
        args += ["-c", command]
    subprocess.run(args, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default="opinia_bench_api_inprocess")
    parser.add_argument("--orders", type=int, default=400, help="orders per measured pass")
    parser.add_argument("--users", type=int, default=20_000, help="users there before")
    parser.add_argument("--show-sql", action="store_true", help="print the statements of one order")
    parser.add_argument("--profile", action="store_true", help="cProfile the CPU pass (top 40 by cumulative)")
    args = parser.parse_args()

    psql("postgres", f"DROP DATABASE IF EXISTS {args.database} WITH (FORCE)", f"CREATE DATABASE {args.database}")
    env = server_env(args.database)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True, env=env)
    psql(
        args.database,
        f"""INSERT INTO portal_user (password, is_superuser, email, display_name, language, time_zone, phone,
            is_staff, is_active, date_joined)
        SELECT '!', false, 'member-' || i || '@example.com', 'Member ' || i, 'en', 'UTC', '', false, true, now()
        FROM generate_series(1, {args.users}) AS i""",
        "VACUUM ANALYZE portal_user",
    )
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from api import services
    from api.models import ApiKey
    from api.scopes import INTEGRATION_SCOPES
    from portal.models import Order, OrderItem, User
    from portal.wsgi import application

    staff = User.objects.create_user(email="bench-staff@example.com", password=None, is_staff=True)
    secret = services.api_key_issue(
        kind=ApiKey.Kind.INTEGRATION, name="bench", scopes=list(INTEGRATION_SCOPES), actor=staff, now=timezone.now()
    ).secret

    def call(method: str, path: str, body: bytes, headers: dict[str, str]) -> tuple[str, bytes]:
        environ = wsgi_environ(
            method,
            path,
            body=body,
            headers={"Authorization": f"Bearer {secret}", "Content-Type": "application/json", **headers},
        )
        status: list[str] = []
        response = application(environ, lambda s, h, exc_info=None: status.append(s))
        try:
            content = b"".join(response)
        finally:
            response.close()  # request_finished, as gunicorn does
        return status[0], content

    for path, body in [
        ("/api/v1/stores/bench-store", {"owner_email": "bench-owner@example.com", "name": "Bench", "country": "CN"}),
        *(
            (f"/api/v1/stores/bench-store/products/bench-p{i}", {"title": f"P {i}", "price": f"{i}.50"})
            for i in (1, 2, 3)
        ),
    ]:
        status, content = call("PUT", path, json.dumps(body).encode(), {})
        assert status[:3] in ("200", "201"), (path, status, content)

    counter = itertools.count(1)
    run_id = os.getpid()

    def post_order(buyer: Callable[[int], int]) -> None:
        n = next(counter)
        ref = f"bench-{run_id}-{n}"
        b = buyer(n)
        body = {
            "external_ref": ref,
            "store_ref": "bench-store",
            "buyer_email": f"buyer-{b}@example.com",
            "buyer_name": f"Buyer {b}",
            "items": [{"product_ref": f"bench-p{i}", "quantity": 1 + (n + i) % 3} for i in range(1, 4)],
        }
        status, content = call("POST", "/api/v1/orders", json.dumps(body).encode(), {"Idempotency-Key": ref})
        assert status.startswith("201"), (status, content)

    def new_buyer(n: int) -> int:
        return n  # a buyer nobody has ordered as yet

    def returning_buyer(n: int) -> int:
        return n % 50

    for _ in range(60):  # warm-up: imports, translations, connection, the first 50 buyers
        post_order(returning_buyer)

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend_stat = Path(f"/proc/{cursor.fetchone()[0]}/stat")

    def backend_cpu() -> float | None:
        """The backend's user and system CPU time in seconds, None when it is not visible here."""
        try:
            fields = backend_stat.read_text().rpartition(")")[2].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def measure(label: str, buyer: Callable[[int], int]) -> None:
        profiler = None
        if args.profile:
            import cProfile

            profiler = cProfile.Profile(time.process_time)
            profiler.enable()
        started = time.process_time()
        wall = time.perf_counter()
        backend_started = backend_cpu()
        for _ in range(args.orders):
            post_order(buyer)
        cpu_ms = (time.process_time() - started) * 1000 / args.orders
        backend_ended = backend_cpu()
        backend = (
            f"{(backend_ended - backend_started) * 1000 / args.orders:5.2f} ms/order"
            if backend_started is not None and backend_ended is not None
            else "not visible"
        )
        wall_ms = (time.perf_counter() - wall) * 1000 / args.orders
        if profiler is not None:
            import pstats

            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(70)
        with CaptureQueriesContext(connection) as queries:
            for _ in range(args.orders // 4):
                post_order(buyer)
        statements = len(queries.captured_queries) / (args.orders // 4)
        print(
            f"  {label:<16} CPU {cpu_ms:6.2f} ms/order   PostgreSQL {backend}   statements {statements:5.2f}/order   "
            f"(wall {wall_ms:6.2f} ms/order, machine shared: not a figure)"
        )
        if args.show_sql:
            with CaptureQueriesContext(connection) as one:
                post_order(buyer)
            for query in one.captured_queries:
                print("     ", query["sql"][:220])

    before = Order.objects.count()
    print(f"POST /api/v1/orders in process, 3 items, idempotency key; {args.users:,} users; {args.orders} orders/pass")
    measure("new buyer", new_buyer)
    measure("returning buyer", returning_buyer)
    created = Order.objects.count() - before
    items = OrderItem.objects.filter(order__in=Order.objects.order_by("-pk")[:created]).count()
    assert items == 3 * created, (items, created)


if __name__ == "__main__":
    main()
