"""Database time of the navigation badge (unread messages) for the heavy users.

    .venv/bin/python bench/messaging_badge.py

Target: < 5 ms. Prints the query plans too: partial indexes carrying the counter, read
with index-only scans, at most 100 rows per side.
"""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from messaging_common import percentiles, setup_django


def main() -> None:
    setup_django()
    from django.db import connection

    from messaging.models import Conversation, Message
    from messaging.selectors import unread_badge_count
    from portal.models import User

    cases = {
        "heavy buyer (100k messages)": User.objects.get(email="bench-buyer@opinia.test"),
        "heavy store owner (100k messages)": User.objects.get(email="bench-seller@opinia.test"),
    }
    print(f"data: {Message.objects.count()} messages, {Conversation.objects.count()} conversations")
    for name, user in cases.items():
        timings: list[float] = []

        def timer(execute, sql, params, many, context, timings=timings):
            started = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                timings.append((time.perf_counter() - started) * 1000)

        samples = []
        count = 0
        for _ in range(300):
            timings.clear()
            user_fresh = User.objects.get(pk=user.pk)
            with connection.execute_wrapper(timer):
                count = unread_badge_count(user=user_fresh)
            samples.append(sum(timings))
        print(f"{name}: badge={count}, database time per badge (ms) {percentiles(samples[50:])}")
    with connection.cursor() as cursor:
        user = cases["heavy buyer (100k messages)"]
        cursor.execute(
            "EXPLAIN ANALYZE SELECT buyer_unread FROM messaging_conversation "
            "WHERE buyer_id = %s AND buyer_unread > 0 LIMIT 100",
            [user.pk],
        )
        print("\n".join(row[0] for row in cursor.fetchall()))


if __name__ == "__main__":
    main()
