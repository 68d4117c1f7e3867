"""What the product page pays for its JSON-LD and its helpful counts: with vs without, one run.

    .venv/bin/python bench/trust_product_page.py [--small] [--reuse-data] [--requests 200]

Generates (unless `--reuse-data`) the database `bench_trust` through `bench/feedback_generate.py`:
the store `bench-big` with 200,000 published reviews on one product (`--small`: 20,000), then
gives the newest 2,000 of them helpful votes (a few each, set-based SQL). Then renders the
product page in-process with Django's test client, anonymous and signed in, in four ways
interleaved A B A B over the same data:

* cold: the fragment cache emptied before each request (the review list and its JSON-LD
  are built: what the first visitor after a change pays, e.g. after a vote);
* warm: the cached parts read (what every other visitor pays: the helpful slots filled).

"without" replaces `structured_data.json_ld_script` with an empty string and the helpful
slots with nothing, which is the page before these features. Prints the mean and p95 of the
process's CPU time per request in ms (wall time on a shared machine mostly measures the
others; the database's time is not in it, and the query counts are printed beside) and the
queries of one request for each. Not a test; never run by the test suite.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")


def setup_django(database: str) -> None:
    os.environ.update(DJANGO_SETTINGS_MODULE="portal.settings", OPINIA_TESTING="1", DATABASE_URL=f"{PG}/{database}")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]


def generate(database: str, reviews: int) -> None:
    subprocess.run(
        [
            sys.executable,
            "bench/feedback_generate.py",
            "--database",
            database,
            "--orders",
            "1000",
            "--store-reviews",
            str(reviews),
            "--stores",
            "5",
        ],
        cwd=ROOT,
        check=True,
    )


def add_votes(voters: int = 50, reviews: int = 2000) -> int:
    """Helpful votes on the newest reviews of bench-big, 0–4 each, and their counts: set-based."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO portal_user (password, is_superuser, email, display_name, language, time_zone, phone, "
            "is_staff, is_active, date_joined) SELECT '!', false, 'voter' || g || '@bench.test', 'Voter ' || g, "
            "'en', 'UTC', '', false, true, now() FROM generate_series(1, %s) g ON CONFLICT DO NOTHING",
            [voters],
        )
        cursor.execute(
            "INSERT INTO feedback_helpfulvote (review_id, voter_id, created_at) "
            "SELECT r.id, u.id, now() FROM (SELECT r.id FROM feedback_itemreview r JOIN portal_store s ON s.id = r.store_id "
            "WHERE s.slug = 'bench-big' AND r.published_at IS NOT NULL ORDER BY r.published_at DESC LIMIT %s) r "
            "JOIN portal_user u ON u.email LIKE 'voter%%@bench.test' AND (u.id + r.id) %% 13 < 1 "
            "ON CONFLICT DO NOTHING",
            [reviews],
        )
        cursor.execute(
            "UPDATE feedback_itemreview r SET helpful_count = v.n FROM "
            "(SELECT review_id, count(*) n FROM feedback_helpfulvote GROUP BY review_id) v WHERE v.review_id = r.id"
        )
        cursor.execute("SELECT count(*) FROM feedback_helpfulvote")
        return int(cursor.fetchone()[0])


@contextmanager
def without_features() -> Any:
    from django.utils.safestring import SafeString

    from feedback import panels, structured_data

    saved = structured_data.json_ld_script, panels.fill_helpful_slots
    structured_data.json_ld_script = lambda data: SafeString("")  # type: ignore[assignment]
    panels.fill_helpful_slots = lambda html, request, user: SafeString(panels.HELPFUL_SLOT.sub("", html))  # type: ignore[assignment]
    try:
        yield
    finally:
        structured_data.json_ld_script, panels.fill_helpful_slots = saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default="bench_trust")
    parser.add_argument("--small", action="store_true", help="20,000 reviews")
    parser.add_argument("--reuse-data", action="store_true")
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    reviews = 20_000 if args.small else 200_000
    if not args.reuse_data:
        generate(args.database, reviews)
    setup_django(args.database)

    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from feedback.models import HelpfulVote, ItemReview
    from portal.models import Product, Store, User

    votes = HelpfulVote.objects.count() or add_votes()
    store = Store.objects.get(slug="bench-big")
    product = Product.objects.filter(store=store).first()
    assert product is not None
    url = reverse("portal:product_page", args=[store.slug, product.slug])
    anonymous, signed_in = Client(), Client()
    signed_in.force_login(User.objects.filter(email__startswith="voter").order_by("pk").first())
    print(
        f"product page of {store.slug}: {ItemReview.objects.filter(product=product).count()} reviews, "
        f"{votes} helpful votes; {args.requests} requests per figure, interleaved with/without"
    )
    variants: list[tuple[str, Client, bool]] = [
        ("anonymous, cold", anonymous, True),
        ("anonymous, warm", anonymous, False),
        ("signed in, cold", signed_in, True),
        ("signed in, warm", signed_in, False),
        ("helpful sort, cold", anonymous, True),
    ]
    print(f"{'':<20} {'with ms':>8} {'p95':>7} {'q':>3}   {'without ms':>10} {'p95':>7} {'q':>3}   {'added ms':>8}")
    for label, client, cold in variants:
        page = url + ("?sort=helpful" if label.startswith("helpful") else "")
        times: dict[bool, list[float]] = {True: [], False: []}
        queries: dict[bool, int] = {}

        def one(
            features: bool, client: Client = client, cold: bool = cold, page: str = page, times: dict = times
        ) -> None:
            if cold:
                cache.clear()
            # CPU time of this process: on a machine shared with other work, wall time mostly
            # measures the others; the queries' own time is left out (the counts are printed).
            start = time.process_time()
            response = client.get(page)
            times[features].append((time.process_time() - start) * 1000)
            assert response.status_code == 200

        run: Callable[[bool], None] = one
        for features in (True, False):  # warm-up, and the query counts
            with without_features() if not features else _nothing():
                client.get(page)
                if cold:
                    cache.clear()
                with CaptureQueriesContext(connection) as captured:
                    client.get(page)
                queries[features] = len(captured)
                cache.clear()
        for _ in range(args.requests):
            run(True)
            with without_features():
                run(False)
        row = []
        for features in (True, False):
            values = sorted(times[features])
            row += [statistics.mean(values), values[int(len(values) * 0.95) - 1], queries[features]]
        print(
            f"{label:<20} {row[0]:8.2f} {row[1]:7.2f} {row[2]:3d}   {row[3]:10.2f} {row[4]:7.2f} {row[5]:3d}   "
            f"{row[0] - row[3]:8.2f}"
        )


@contextmanager
def _nothing() -> Any:
    yield


if __name__ == "__main__":
    main()
