"""Bursts of ratings: a store's day far above its own recent norm, or carried by young accounts.

Read from the score buckets (`feedback.StoreScoreDay`, one row per store and UTC day of
published ratings), never by scanning reviews: one query finds the day's candidate stores
(at least the smaller floor), one more reads their previous 28 days. Only for candidates with
enough ratings for the young-account rule are that day's reviews read, by store and day.

Rule (docs/trust.md): a day of `n` ratings is a burst when `n >= max(floor, median + k × MAD)`
of the store's previous `OPINIA_TRUST_BURST_DAYS` days (a day without ratings counts as 0);
robust, so one earlier spike does not raise the bar. Young accounts: at least
`OPINIA_TRUST_YOUNG_MIN` of the day's ratings come from buyers who joined less than
`OPINIA_TRUST_YOUNG_ACCOUNT_DAYS` days before rating, and they are at least
`OPINIA_TRUST_YOUNG_SHARE` of the day.
"""

import math
import statistics
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Count, F

from feedback.models import ItemReview, StoreScoreDay
from trust.models import Case, Source
from trust.services import burst_cases_open

ONE_DAY = timedelta(days=1)
RATINGS = F("positive") + F("neutral") + F("negative") + F("merged") + F("removed")


def median_and_mad(counts: Sequence[int]) -> tuple[float, float]:
    median = statistics.median(counts) if counts else 0.0
    mad = statistics.median([abs(count - median) for count in counts]) if counts else 0.0
    return float(median), float(mad)


def burst_threshold(counts: Sequence[int]) -> int:
    """The smallest day count that is a burst after these days (integer: counts are whole)."""
    median, mad = median_and_mad(counts)
    return max(settings.OPINIA_TRUST_BURST_FLOOR, math.ceil(median + settings.OPINIA_TRUST_BURST_K * mad))


def young_rule(total: int, young: int) -> bool:
    return young >= settings.OPINIA_TRUST_YOUNG_MIN and young >= settings.OPINIA_TRUST_YOUNG_SHARE * total


def _young_counts(store_ids: Sequence[int], day: date) -> dict[int, int]:
    """Per store, the day's published ratings whose buyer had joined less than the young-account days before."""
    begin = datetime.combine(day, time.min, tzinfo=UTC)
    young_since = timedelta(days=settings.OPINIA_TRUST_YOUNG_ACCOUNT_DAYS)
    rows = (
        ItemReview.objects.filter(store_id__in=store_ids, published_at__gte=begin, published_at__lt=begin + ONE_DAY)
        .filter(buyer__date_joined__gt=F("created_at") - young_since)
        .values("store_id")
        .annotate(n=Count("pk"))
    )
    return {row["store_id"]: row["n"] for row in rows}


def bursts_evaluate(*, day: date, now: datetime) -> int:
    """Open a case for every store whose `day` is a burst; returns how many cases were new."""
    floor = min(settings.OPINIA_TRUST_BURST_FLOOR, settings.OPINIA_TRUST_YOUNG_MIN)
    totals = dict(
        StoreScoreDay.objects.annotate(ratings=RATINGS)
        .filter(day=day, ratings__gte=floor)
        .values_list("store_id", "ratings")
    )
    if not totals:
        return 0
    days = settings.OPINIA_TRUST_BURST_DAYS
    history: dict[int, dict[date, int]] = {store_id: {} for store_id in totals}
    for store_id, past_day, ratings in (
        StoreScoreDay.objects.annotate(ratings=RATINGS)
        .filter(store_id__in=list(totals), day__gte=day - timedelta(days=days), day__lt=day)
        .values_list("store_id", "day", "ratings")
    ):
        history[store_id][past_day] = ratings
    young_candidates = [store_id for store_id, total in totals.items() if total >= settings.OPINIA_TRUST_YOUNG_MIN]
    young = _young_counts(young_candidates, day) if young_candidates else {}
    cases = []
    for store_id, total in totals.items():
        counts = [history[store_id].get(day - timedelta(days=back), 0) for back in range(1, days + 1)]
        median, mad = median_and_mad(counts)
        threshold = burst_threshold(counts)
        reasons = []
        if total >= threshold:
            reasons.append("volume")
        if young_rule(total, young.get(store_id, 0)):
            reasons.append("young_accounts")
        if reasons:
            cases.append(
                Case(
                    kind=Case.Kind.BURST,
                    source=Source.STORE_DAY,
                    source_id=store_id,
                    store_id=store_id,
                    day=day,
                    facts={
                        "reasons": reasons,
                        "ratings": total,
                        "median": median,
                        "mad": mad,
                        "threshold": threshold,
                        "young": young.get(store_id, 0),
                        "days": days,
                    },
                    created_at=now,
                )
            )
    return burst_cases_open(cases)


def bursts_sweep(*, now: datetime) -> int:
    """Hourly: yesterday (now complete) and today so far; one case per store and day at most."""
    today = now.astimezone(UTC).date()
    return bursts_evaluate(day=today - ONE_DAY, now=now) + bursts_evaluate(day=today, now=now)
