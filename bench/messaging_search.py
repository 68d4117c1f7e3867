"""Inbox search at page 1, one connection: as it runs now, with the trigram indexes only, and without them.

    .venv/bin/python bench/messaging_search.py [--requests 60] [--no-http]

Run `bench/messaging_generate.py` first. The figures at 400,000 messages in docs/operations.md
come from `--buyer-conversations 4000 --per-conversation 100 --store-conversations 2000
--store-per-conversation 50 --background 2000 --background-per 10` (520,000 messages: a buyer
with 400,000 in 4,000 conversations, a store with 100,000 in 2,000; about 3 minutes). Prints,
for the heavy buyer's and the heavy store's inboxes and several searches (a rare parcel number,
a store or buyer name, a word in every message, nothing matching, "refund": a word of 20,000
other users' messages that neither inbox holds):

* the search's page 1 in-process (selector + database): as it runs now (the newest
  conversations read in order first, `SEARCH_WINDOW`, then the trigram indexes); with the
  trigram indexes only (`SEARCH_WINDOW = 0`, the search before the window); and as it runs now
  inside a transaction that drops the indexes (rolled back), so all figures come from the same
  data;
* unless `--no-http`, page 1 over HTTP through gunicorn, one connection, as it runs now.
"""

import argparse
import http.client
import sys
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from messaging_common import Gunicorn, percentiles, session_cookie, setup_django

TRIGRAM_INDEXES = [
    "message_text_trgm",
    "message_buyer_text_trgm",
    "message_store_text_trgm",
    "store_name_trgm",
    "user_display_name_trgm",
    "order_number_trgm",
]


def in_process(
    conversations, owner, side: str, query: str, requests: int, window: int | None = None
) -> dict[str, float]:
    from messaging import selectors

    default_window = selectors.SEARCH_WINDOW
    if window is not None:
        selectors.SEARCH_WINDOW = window
    samples = []
    try:
        for _ in range(requests):
            started = time.perf_counter()
            selectors.inbox_page(
                conversations=conversations, side=side, filters=selectors.InboxFilters(query=query), owner=owner
            )
            samples.append((time.perf_counter() - started) * 1000)
    finally:
        selectors.SEARCH_WINDOW = default_window
    return percentiles(samples)


def over_http(port: int, path: str, cookie: str, requests: int) -> dict[str, float]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    samples = []
    for _ in range(requests):
        started = time.perf_counter()
        connection.request("GET", path, headers={"Cookie": cookie, "Host": "localhost"})
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"{path}: HTTP {response.status}")
        samples.append((time.perf_counter() - started) * 1000)
    connection.close()
    return percentiles(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=60, help="calls per search and way (default 60)")
    parser.add_argument("--no-http", action="store_true", help="skip the HTTP part (gunicorn)")
    args = parser.parse_args()
    setup_django()
    from django.db import connection, transaction

    from messaging.models import Message
    from messaging.selectors import buyer_conversations, store_conversations
    from portal.models import Store, User

    buyer = User.objects.get(email="bench-buyer@opinia.test")
    store = Store.objects.get(slug="heavy-store")
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE indexname = ANY(%s)", [TRIGRAM_INDEXES])
        present = sorted(row[0] for row in cursor.fetchall())
    parcel = Message.objects.filter(conversation__buyer=buyer).order_by("pk").values_list("text", flat=True)[500]
    rare = parcel.split("parcel ")[1].split(":")[0]
    some_store = buyer_conversations(user=buyer).select_related("store").order_by("-pk")[0].store.name
    some_buyer = store_conversations(store=store).select_related("buyer").order_by("-pk")[0].buyer.display_name
    print(
        f"data: {Message.objects.count():,} messages; heavy buyer "
        f"{Message.objects.filter(conversation__buyer=buyer).count():,} messages in "
        f"{buyer_conversations(user=buyer).count():,} conversations; heavy store "
        f"{Message.objects.filter(conversation__store=store).count():,} messages"
    )
    print(f"trigram indexes present: {', '.join(present) or 'none'}")
    cases = [
        ("buyer", buyer_conversations(user=buyer), "/messages/", session_cookie(buyer.email), rare),
        ("buyer", buyer_conversations(user=buyer), "/messages/", session_cookie(buyer.email), some_store),
        ("buyer", buyer_conversations(user=buyer), "/messages/", session_cookie(buyer.email), "colour"),
        ("buyer", buyer_conversations(user=buyer), "/messages/", session_cookie(buyer.email), "zzqx"),
        ("buyer", buyer_conversations(user=buyer), "/messages/", session_cookie(buyer.email), "refund"),
        (
            "store",
            store_conversations(store=store),
            f"/messages/store/{store.slug}/",
            session_cookie("bench-seller@opinia.test"),
            some_buyer,
        ),
        (
            "store",
            store_conversations(store=store),
            f"/messages/store/{store.slug}/",
            session_cookie("bench-seller@opinia.test"),
            rare,
        ),
        (
            "store",
            store_conversations(store=store),
            f"/messages/store/{store.slug}/",
            session_cookie("bench-seller@opinia.test"),
            "colour",
        ),
        (
            "store",
            store_conversations(store=store),
            f"/messages/store/{store.slug}/",
            session_cookie("bench-seller@opinia.test"),
            "refund",
        ),
    ]
    print(f"in-process, page 1 of the search, {args.requests} sequential calls now, fewer the other ways (ms):")
    for side, conversations, _path, _cookie, query in cases:
        # As the inbox views call it: the buyer's or the store's own inbox.
        owner = ("buyer_id", buyer.pk) if side == "buyer" else ("store_id", store.pk)
        with_index = in_process(conversations, owner, side, query, args.requests)
        trigram_only = in_process(conversations, owner, side, query, max(5, args.requests // 2), window=0)
        with transaction.atomic():
            with connection.cursor() as cursor:
                for name in present:
                    cursor.execute(f"DROP INDEX {name}")
            without = in_process(conversations, owner, side, query, max(5, args.requests // 4))
            transaction.set_rollback(True)
        print(
            f"  {side} q={query!r:<20} now p50 {with_index['p50']:7.1f} p95 {with_index['p95']:7.1f}"
            f"   trigram only p50 {trigram_only['p50']:7.1f} p95 {trigram_only['p95']:7.1f}"
            f"   indexes dropped p50 {without['p50']:7.1f} p95 {without['p95']:7.1f}"
        )
    connection.close()
    if args.no_http:
        return
    with Gunicorn(workers=1, threads=2) as server:
        print(f"HTTP, one connection, {args.requests} sequential requests, as it runs now (ms):")
        for side, _conversations, path, cookie, query in cases:
            url = f"{path}?{urllib.parse.urlencode({'q': query})}"
            over_http(server.port, url, cookie, 3)  # warm-up
            print(f"  {side} q={query!r:<22}", over_http(server.port, url, cookie, args.requests))


if __name__ == "__main__":
    main()
