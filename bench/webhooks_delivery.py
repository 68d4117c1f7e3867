"""Webhook delivery throughput (deliveries/s) to a local receiver, with several worker processes.

Creates its own database (`--database`, dropped and made again), writes `--events` events
to the outbox for one endpoint, starts a local receiver in its own process (HTTP/1.1
keep-alive, verifying every signature with the standardwebhooks library), then runs
`webhooks_deliver_sweep` in `--workers` processes at once until nothing is pending. Prints
deliveries/s and checks that every event was received exactly once and recorded delivered.

    .venv/bin/python bench/webhooks_delivery.py [--events 10000] [--workers 2]

Not a test; never run by the test suite.
"""

import argparse
import multiprocessing
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DATABASE = "opinia_bench_webhooks"


def setup_django(database: str) -> None:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        OPINIA_TESTING="1",
        DATABASE_URL=f"{PG}/{database}",
        CELERY_BROKER_URL="memory://",
        OPINIA_WEBHOOKS_ALLOW_PRIVATE_TARGETS="1",
        LOG_LEVEL="WARNING",
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def psql(sql: str, database: str = "postgres") -> None:
    subprocess.run(["psql", f"{PG}/{database}", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql], check=True)


def receive(secret: str, port_out: Any, ids_out: Any, stop: Any) -> None:
    """The receiver process: a small asyncio HTTP/1.1 server (keep-alive) that verifies every
    signature with the standardwebhooks library, counts the ids and answers 200; it sends the
    ids back when told to stop. Light on purpose: the benchmark measures the sender."""
    import asyncio

    from standardwebhooks.webhooks import Webhook

    webhook = Webhook(secret)
    received: list[str] = []
    rejected = 0

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal rejected
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                headers = {}
                for line in head.decode("latin-1").split("\r\n")[1:]:
                    name, _, value = line.partition(":")
                    if name:
                        headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                try:
                    webhook.verify(body, headers, json_parse=False)
                except Exception:
                    rejected += 1
                    writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 3\r\n\r\nbad")
                else:
                    received.append(headers["webhook-id"])
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionResetError):
            return  # the sender closed its keep-alive connection: not an error
        finally:
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port_out.put(server.sockets[0].getsockname()[1])
        await asyncio.get_running_loop().run_in_executor(None, stop.wait)
        server.close()

    asyncio.run(main())
    ids_out.put((received, rejected))


def work(database: str, worker_number: int, results: Any) -> None:
    setup_django(database)
    from django.utils import timezone

    from webhooks.delivery import webhooks_deliver_sweep
    from webhooks.models import WebhookDelivery

    attempted = 0
    while True:
        done = webhooks_deliver_sweep(now=timezone.now())
        attempted += done
        if not done and not WebhookDelivery.objects.filter(status="pending").exists():
            break
        if not done:
            time.sleep(0.05)  # the rest is claimed by the other worker
    results.put((worker_number, attempted))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database", default=DATABASE)
    args = parser.parse_args()

    psql(f"DROP DATABASE IF EXISTS {args.database} WITH (FORCE)")
    psql(f"CREATE DATABASE {args.database}")
    setup_django(args.database)
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from portal.models import Store, User
    from webhooks import services
    from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEvent

    call_command("migrate", verbosity=0)
    owner = User.objects.create_user(email="bench-owner@example.com", password="x")
    store = Store.objects.create(owner=owner, name="Bench", slug="bench", country="PL")

    context = multiprocessing.get_context("spawn")
    port_queue, ids_queue, stop = context.Queue(), context.Queue(), context.Event()
    endpoint = services.endpoint_create(
        store=store,
        actor=owner,
        url="http://127.0.0.1:1/",
        description="bench",
        event_types=["order.completed"],
        now=timezone.now(),
    )
    receiver = context.Process(target=receive, args=(endpoint.secret, port_queue, ids_queue, stop))
    receiver.start()
    port = port_queue.get(timeout=30)
    services.endpoint_update(
        endpoint_id=endpoint.pk,
        url=f"http://127.0.0.1:{port}/hook",
        description="bench",
        event_types=["order.completed"],
    )

    started = time.perf_counter()
    now = timezone.now()
    # The outbox as `event_record` writes it (one event and one pending delivery each), in bulk:
    # writing it is not what is measured.
    with transaction.atomic():
        events = WebhookEvent.objects.bulk_create(
            WebhookEvent(
                public_id=services.event_public_id(),
                type="order.completed",
                store=store,
                subject=f"order:{number}",
                sequence=1,
                payload={"order": {"id": number, "number": f"B{number:07d}"}},
                created_at=now,
            )
            for number in range(args.events)
        )
        WebhookDelivery.objects.bulk_create(
            WebhookDelivery(
                event=event, endpoint=endpoint, subject=event.subject, sequence=1, next_attempt_at=now, created_at=now
            )
            for event in events
        )
    print(f"outbox: {args.events} events written in {time.perf_counter() - started:.1f} s")
    connection.close()

    results = context.Queue()
    workers = [context.Process(target=work, args=(args.database, n, results)) for n in range(args.workers)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    attempted = dict(results.get(timeout=3600) for _ in workers)
    elapsed = time.perf_counter() - started
    for worker in workers:
        worker.join()
    stop.set()
    received, rejected = ids_queue.get(timeout=60)
    receiver.join()

    counts = Counter(received)
    delivered = WebhookDelivery.objects.filter(status="delivered").count()
    print(f"workers: {args.workers}, attempts per worker: {attempted}")
    print(f"delivered {delivered} in {elapsed:.1f} s: {delivered / elapsed:.0f} deliveries/s")
    print(f"receiver: {len(counts)} distinct events, {sum(counts.values())} requests, {rejected} rejected signatures")
    ok = (
        delivered == args.events
        and len(counts) == args.events
        and set(counts.values()) == {1}
        and rejected == 0
        and WebhookAttempt.objects.count() == args.events
    )
    print("check:", "every event received exactly once" if ok else "FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
