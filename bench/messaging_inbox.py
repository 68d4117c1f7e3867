"""Inbox latency under 16 concurrent connections: gunicorn on loopback, a bounded Python client.

    .venv/bin/python bench/messaging_inbox.py [--concurrency 16] [--requests 400]

Run `bench/messaging_generate.py` first. Prints p50/p95/p99 for page 1 and the deepest page
of the heavy buyer's inbox (100k messages) and of the heavy store's inbox, plus the
database time of one page measured in-process.
"""

import argparse
import http.client
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from messaging_common import Gunicorn, percentiles, session_cookie, setup_django


def deepest_cursor(conversations, side) -> tuple[str, int]:
    from messaging.selectors import InboxFilters, inbox_page

    cursor, pages = "", 1
    while True:
        page = inbox_page(conversations=conversations, side=side, filters=InboxFilters(), cursor=cursor)
        if not page.next_cursor:
            return cursor, pages
        cursor, pages = page.next_cursor, pages + 1


def load(port: int, path: str, cookie: str, concurrency: int, total: int) -> dict[str, float]:
    """`total` GETs of `path` from `concurrency` threads, each on its own keep-alive connection."""
    samples: list[float] = []
    lock = threading.Lock()
    remaining = [total]
    errors: list[str] = []

    def worker() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            with lock:
                if remaining[0] <= 0:
                    break
                remaining[0] -= 1
            started = time.perf_counter()
            connection.request("GET", path, headers={"Cookie": cookie, "Host": "localhost"})
            response = connection.getresponse()
            body = response.read()
            elapsed = (time.perf_counter() - started) * 1000
            if response.status != 200 or b"inbox-row" not in body:
                errors.append(f"{response.status}")
            with lock:
                samples.append(elapsed)
        connection.close()

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"{len(errors)} failed requests, e.g. {errors[:3]}")
    return {**percentiles(samples), "req/s": round(total / wall, 1)}


def db_time(conversations, side, cursor) -> dict[str, float]:
    from django.db import connection

    from messaging.selectors import InboxFilters, inbox_page

    samples = []
    timings: list[float] = []

    def timer(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            timings.append((time.perf_counter() - started) * 1000)

    for _ in range(100):
        timings.clear()
        with connection.execute_wrapper(timer):
            inbox_page(conversations=conversations, side=side, filters=InboxFilters(), cursor=cursor)
        samples.append(sum(timings))
    return percentiles(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    setup_django()
    from messaging.models import Message
    from messaging.selectors import buyer_conversations, store_conversations
    from portal.models import Store, User

    buyer = User.objects.get(email="bench-buyer@opinia.test")
    store = Store.objects.get(slug="heavy-store")
    buyer_cookie = session_cookie(buyer.email)
    seller_cookie = session_cookie("bench-seller@opinia.test")
    buyer_deep, buyer_pages = deepest_cursor(buyer_conversations(user=buyer), "buyer")
    store_deep, store_pages = deepest_cursor(store_conversations(store=store), "store")
    print(
        f"data: {Message.objects.count()} messages in total; heavy buyer "
        f"{Message.objects.filter(conversation__buyer=buyer).count()} messages / {buyer_pages} inbox pages; "
        f"heavy store {Message.objects.filter(conversation__store=store).count()} messages / {store_pages} pages"
    )
    cases = [
        ("buyer inbox, page 1", "/messages/", buyer_cookie),
        (f"buyer inbox, page {buyer_pages}", f"/messages/?after={buyer_deep}", buyer_cookie),
        ("store inbox, page 1", f"/messages/store/{store.slug}/", seller_cookie),
        (f"store inbox, page {store_pages}", f"/messages/store/{store.slug}/?after={store_deep}", seller_cookie),
        ("badge fragment", "/messages/badge/", buyer_cookie),
    ]
    print("database time of one inbox page, in-process (ms):")
    print("  buyer page 1 ", db_time(buyer_conversations(user=buyer), "buyer", ""))
    print("  buyer deepest", db_time(buyer_conversations(user=buyer), "buyer", buyer_deep))
    print("  store page 1 ", db_time(store_conversations(store=store), "store", ""))
    print("  store deepest", db_time(store_conversations(store=store), "store", store_deep))
    with Gunicorn(workers=args.workers, threads=max(2, args.concurrency // args.workers)) as server:
        for _name, path, cookie in cases:  # warm up every worker and connection
            load(server.port, path, cookie, args.concurrency, args.concurrency * 2) if "badge" not in path else None
        print(f"HTTP, {args.concurrency} concurrent connections, {args.requests} requests each case (ms):")
        for name, path, cookie in cases:
            if "badge" in path:
                continue
            print(f"  {name:<24}", load(server.port, path, cookie, args.concurrency, args.requests))
        print(f"  {'sequential page 1':<24}", load(server.port, "/messages/", buyer_cookie, 1, 100))


if __name__ == "__main__":
    main()
