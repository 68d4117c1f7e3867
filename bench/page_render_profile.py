"""Time and queries per page, in-process: the store, product, inbox and order pages, cold and warm.

Renders each page with Django's test client (no network, no server) against the generated
feedback database (`bench/feedback_generate.py`: store `bench-big` with its reviews), and
prints, per page, the mean wall time over `--requests` requests and the number of queries of
one request: once with the fragment cache emptied before every request (cold), once with it
filled (warm). The signed-in pages are seen by the buyer with the most reviews on the store.

    .venv/bin/python bench/feedback_generate.py --database opinia_bench --orders 100 --store-reviews 2000
    .venv/bin/python bench/page_render_profile.py [--database opinia_bench] [--requests 50]

Not a test; never run by the test suite.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")


def setup_django(database: str) -> None:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        OPINIA_TESTING="1",
        DATABASE_URL=f"{PG}/{database}",
        DB_CONN_MAX_AGE="60",
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]  # the test client's host


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default="opinia_bench")
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()
    setup_django(args.database)

    from django.core.cache import cache
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from feedback.models import ItemReview
    from portal.models import Product, Store, User

    store = Store.objects.get(slug="bench-big")
    product = Product.objects.filter(store=store).first()
    assert product is not None
    buyer_id = (
        ItemReview.objects.filter(store=store).values("buyer_id").annotate(n=Count("pk")).order_by("-n")[0]["buyer_id"]
    )
    buyer = User.objects.get(pk=buyer_id)
    anonymous = Client()
    signed_in = Client()
    signed_in.force_login(buyer)
    store_url = reverse("portal:store_page", args=[store.slug])
    product_url = reverse("portal:product_page", args=[store.slug, product.slug])
    deep = anonymous.get(store_url).content.decode()
    marker = deep.find("after=")
    deep_query = deep[marker : deep.find("#", marker)].replace("&amp;", "&") if marker >= 0 else ""
    pages = [
        ("store page", anonymous, store_url),
        ("store page, deeper", anonymous, f"{store_url}?{deep_query}"),
        ("product page", anonymous, product_url),
        ("store page, signed in", signed_in, store_url),
        ("product page, signed in", signed_in, product_url),
        ("inbox, signed in", signed_in, reverse("messaging:inbox")),
        ("order list, signed in", signed_in, reverse("portal:order_list")),
    ]
    print(
        f"{args.requests} requests per page; store {store.slug}: {ItemReview.objects.filter(store=store).count()} reviews"
    )
    print(f"{'page':<26} {'cold ms':>8} {'queries':>8} {'warm ms':>8} {'queries':>8}")
    for name, client, url in pages:
        figures = []
        for cold in (True, False):
            times = []
            client.get(url)  # connection and template loading out of the figures
            for _ in range(args.requests):
                if cold:
                    cache.clear()
                start = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200, (url, response.status_code)
            if cold:
                cache.clear()
            with CaptureQueriesContext(connection) as queries:
                client.get(url)
            figures += [statistics.mean(times), len(queries)]
        print(f"{name:<26} {figures[0]:8.2f} {figures[1]:8d} {figures[2]:8.2f} {figures[3]:8d}")


if __name__ == "__main__":
    main()
