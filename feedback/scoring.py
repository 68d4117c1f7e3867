"""The store score: the same-buyer merge rule and the per-store daily buckets (SPEC §3).

The rule (also in docs/feedback.md): take one buyer's published item ratings of one store
in publication order (`published_at`, then id). Removed ratings are skipped. The first
rating counts and opens a merge period of `OPINIA_SCORE_MERGE_DAYS`; every later rating
published before that period ends is *merged* (it counts as nothing); the first rating
published at or after the end counts and opens the next period. A counted rating is
positive (4–5★), neutral (3★) or negative (1–2★) by its current stars, and lands in the
bucket of the UTC day it was published. Chains run over all time, so the score for the
last 180 days is simply the sum of the buckets of those days.

Locking contract: every writer of roles or buckets holds, in this order, the store's
shared advisory lock, then the (store, buyer) pair locks sorted ascending; the nightly
recount holds the store's exclusive lock. Publication, removal and revision of the same
buyer's ratings of a store are therefore serialised, and the recount never sees half a
publication. On SQLite (single writer) the locks are no-ops.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db import connection, models, transaction

from feedback.models import (
    BUCKET_FIELDS,
    FeedbackWindow,
    ItemReview,
    ProductStarCount,
    StoreRating,
    StoreScoreDay,
)
from portal.fragments import content_changed
from portal.rules import rules_now

Role = ItemReview.ScoreRole
# The one-key advisory lock space is shared by the whole database: keep ours apart.
STORE_LOCK_NAMESPACE = 0x46420000_00000000 >> 1  # "FB" in the high bits, still a positive bigint


@dataclass(frozen=True)
class RatingRow:
    id: int
    store_id: int
    buyer_id: int
    published_at: datetime
    removed: bool
    stars: int
    role: str
    publishing: bool = False
    product_id: int = 0


Delta = dict[tuple[int, date], dict[str, int]]
# (product id, stars) -> change in the number of public reviews
StarDelta = dict[tuple[int, int], int]
PUBLIC_ROLES = (Role.COUNTED, Role.MERGED)


def utc_day(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


def star_class(stars: int) -> str:
    if stars >= 4:
        return "positive"
    if stars == 3:
        return "neutral"
    return "negative"


def chain_roles(rows: Iterable[RatingRow], *, merge_days: int) -> dict[int, str]:
    """Apply the merge rule to one buyer's ratings of one store; returns id -> role."""
    period = timedelta(days=merge_days)
    roles: dict[int, str] = {}
    anchor: datetime | None = None
    for row in sorted(rows, key=lambda r: (r.published_at, r.id)):
        if row.removed:
            roles[row.id] = Role.REMOVED
        elif anchor is None or row.published_at >= anchor + period:
            roles[row.id] = Role.COUNTED
            anchor = row.published_at
        else:
            roles[row.id] = Role.MERGED
    return roles


def contribution(role: str, stars: int) -> str | None:
    """The bucket field one rating adds 1 to, or None."""
    if role == Role.COUNTED:
        return star_class(stars)
    if role == Role.MERGED:
        return "merged"
    if role == Role.REMOVED:
        return "removed"
    return None


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


def lock_stores_shared(store_ids: Iterable[int]) -> None:
    if not _is_postgres():
        return
    keys = sorted({STORE_LOCK_NAMESPACE + s for s in store_ids})
    if keys:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock_shared(k) FROM unnest(%s::bigint[]) AS k ORDER BY k", [keys])


def lock_store_exclusive(store_id: int) -> None:
    if _is_postgres():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s::bigint)", [STORE_LOCK_NAMESPACE + store_id])


def lock_pairs(pairs: Iterable[tuple[int, int]]) -> None:
    if not _is_postgres():
        return
    ordered = sorted(set(pairs))
    if ordered:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(s, b) FROM unnest(%s::int[], %s::int[]) AS t(s, b) ORDER BY s, b",
                [[p[0] for p in ordered], [p[1] for p in ordered]],
            )


def _rows_for_pairs(
    pairs: Sequence[tuple[int, int]], *, publish_windows: Sequence[int], now: datetime | None
) -> list[RatingRow]:
    """The pairs' published ratings, plus the still sealed ones of `publish_windows` dated `now`."""
    table = ItemReview._meta.db_table
    columns = "id, store_id, buyer_id, published_at, removed_at IS NOT NULL, stars, score_role, product_id"
    with connection.cursor() as cursor:
        # Two index paths, not one OR: published ratings through the partial chain index,
        # the ratings being published through the window foreign key.
        if _is_postgres():
            cursor.execute(
                f"SELECT {columns} FROM {table} r "  # noqa: S608 - table name from the model, values bound
                "JOIN unnest(%s::int[], %s::int[]) AS p(s, b) ON r.store_id = p.s AND r.buyer_id = p.b "
                f"WHERE r.published_at IS NOT NULL UNION ALL SELECT {columns} FROM {table} r "
                "WHERE r.window_id = ANY(%s::int[]) AND r.published_at IS NULL",
                [[p[0] for p in pairs], [p[1] for p in pairs], list(publish_windows)],
            )
        else:
            clause = " OR ".join(["(store_id = %s AND buyer_id = %s)"] * len(pairs))
            params: list[int] = [v for pair in pairs for v in pair]
            windows = ", ".join(["%s"] * len(publish_windows)) or "NULL"
            cursor.execute(
                f"SELECT {columns} FROM {table} WHERE published_at IS NOT NULL AND ({clause}) "  # noqa: S608
                f"UNION ALL SELECT {columns} FROM {table} WHERE window_id IN ({windows}) AND published_at IS NULL",
                [*params, *publish_windows],
            )
        wanted = set(pairs)
        rows = []
        for pk, store_id, buyer_id, published_at, removed, stars, role, product_id in cursor.fetchall():
            if (store_id, buyer_id) not in wanted:
                continue  # a window of another chunk of pairs: handled with its own chain
            publishing = published_at is None
            if published_at is not None and published_at.tzinfo is None:
                # SQLite hands raw cursors naive UTC datetimes; PostgreSQL aware ones.
                published_at = published_at.replace(tzinfo=UTC)
            moment = now if publishing else published_at
            assert moment is not None, "publishing ratings needs `now`"
            rows.append(RatingRow(pk, store_id, buyer_id, moment, bool(removed), stars, role, publishing, product_id))
        return rows


def add_delta(delta: Delta, store_id: int, day: date, field: str, amount: int) -> None:
    bucket = delta.setdefault((store_id, day), defaultdict(int))
    bucket[field] += amount


def refresh_pairs(
    pairs: Iterable[tuple[int, int]],
    *,
    delta: Delta | None = None,
    publish_windows: Sequence[int] = (),
    now: datetime | None = None,
) -> Delta:
    """Recompute the merge chains of these (store, buyer) pairs; fix roles and buckets.

    The sealed item ratings of `publish_windows` are published at `now` by the same
    UPDATE that records their role: one write per rating (the close sweep's hot path).
    Call inside a transaction that already holds the pair locks (see `lock_pairs`).
    Returns the bucket changes applied (with any `delta` passed in merged into them).
    """
    delta = delta if delta is not None else {}
    pair_list = sorted(set(pairs))
    if not pair_list:
        apply_delta(delta)
        return delta
    merge_days = rules_now().score_merge_days
    by_pair: dict[tuple[int, int], list[RatingRow]] = defaultdict(list)
    for chunk_start in range(0, len(pair_list), 5000):
        chunk = pair_list[chunk_start : chunk_start + 5000]
        for row in _rows_for_pairs(chunk, publish_windows=publish_windows, now=now):
            by_pair[(row.store_id, row.buyer_id)].append(row)
    updates: list[tuple[int, str, bool]] = []
    star_delta: StarDelta = defaultdict(int)
    for rows in by_pair.values():
        roles = chain_roles(rows, merge_days=merge_days)
        for row in rows:
            new = roles[row.id]
            if new == row.role and not row.publishing:
                continue
            updates.append((row.id, new, row.publishing))
            was_public = not row.publishing and row.role in PUBLIC_ROLES
            star_delta[(row.product_id, row.stars)] += int(new in PUBLIC_ROLES) - int(was_public)
            day = utc_day(row.published_at)
            old_field = contribution(row.role, row.stars)
            new_field = contribution(new, row.stars)
            if old_field:
                add_delta(delta, row.store_id, day, old_field, -1)
            if new_field:
                add_delta(delta, row.store_id, day, new_field, 1)
    _write_roles(updates, now=now)
    apply_delta(delta)
    apply_star_delta(star_delta)
    return delta


def apply_star_delta(star_delta: StarDelta) -> None:
    """Add to the products' public star counts with one additive upsert."""
    rows = sorted((key, amount) for key, amount in star_delta.items() if amount)
    if not rows:
        return
    table = ProductStarCount._meta.db_table
    placeholders = ", ".join(["(%s, %s, %s)"] * len(rows))
    params: list[int] = [v for (product_id, stars), amount in rows for v in (product_id, stars, amount)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (product_id, stars, count) VALUES {placeholders} "  # noqa: S608
            f"ON CONFLICT (product_id, stars) DO UPDATE SET count = {table}.count + excluded.count",
            params,
        )


def _write_roles(updates: list[tuple[int, str, bool]], *, now: datetime | None) -> None:
    table = ItemReview._meta.db_table
    for start in range(0, len(updates), 5000):
        chunk = updates[start : start + 5000]
        if _is_postgres():
            with connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {table} AS r SET score_role = v.role, "  # noqa: S608 - table name from the model
                    "published_at = CASE WHEN v.pub THEN %s ELSE r.published_at END "
                    "FROM unnest(%s::int[], %s::text[], %s::bool[]) AS v(id, role, pub) WHERE r.id = v.id",
                    [
                        connection.ops.adapt_datetimefield_value(now),
                        [u[0] for u in chunk],
                        [u[1] for u in chunk],
                        [u[2] for u in chunk],
                    ],
                )
            continue
        groups: dict[tuple[str, bool], list[int]] = defaultdict(list)
        for pk, role, publishing in chunk:
            groups[(role, publishing)].append(pk)
        for (role, publishing), ids in groups.items():
            values: dict[str, object] = {"score_role": role}
            if publishing:
                values["published_at"] = now
            ItemReview.objects.filter(pk__in=ids).update(**values)


def add_detailed(delta: Delta, *, store_id: int, day: date, values: Sequence[int | None]) -> None:
    for prefix, value in zip(("described", "communication", "shipping"), values, strict=True):
        if value is not None:
            add_delta(delta, store_id, day, f"{prefix}_sum", value)
            add_delta(delta, store_id, day, f"{prefix}_n", 1)


def apply_delta(delta: Delta) -> None:
    """Add the changes to the buckets with one upsert (additive, so concurrent writers compose)."""
    rows = [(key, values) for key, values in delta.items() if any(values.values())]
    if not rows:
        return
    table = StoreScoreDay._meta.db_table
    columns = ", ".join(BUCKET_FIELDS)
    updates = ", ".join(f"{f} = {table}.{f} + excluded.{f}" for f in BUCKET_FIELDS)
    placeholders = ", ".join(["(" + ", ".join(["%s"] * (2 + len(BUCKET_FIELDS))) + ")"] * len(rows))
    params: list[Any] = []
    # Sorted so that two writers touching the same buckets lock them in the same order.
    for (store_id, day), values in sorted(rows, key=lambda item: item[0]):
        params += [store_id, day, *(values.get(f, 0) for f in BUCKET_FIELDS)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (store_id, day, {columns}) VALUES {placeholders} "  # noqa: S608
            f"ON CONFLICT (store_id, day) DO UPDATE SET {updates}",
            params,
        )


# --- From scratch ---------------------------------------------------------------------------


def buckets_from_raw(*, store_id: int) -> tuple[dict[date, dict[str, int]], dict[int, str]]:
    """Compute one store's buckets and roles from the raw reviews, ignoring what is stored."""
    merge_days = rules_now().score_merge_days
    by_buyer: dict[int, list[RatingRow]] = defaultdict(list)
    reviews = (
        ItemReview.objects.filter(store_id=store_id, published_at__isnull=False)
        .values_list("id", "buyer_id", "published_at", "removed_at", "stars", "score_role")
        .iterator(chunk_size=5000)
    )
    for pk, buyer_id, published_at, removed_at, stars, role in reviews:
        assert published_at is not None
        by_buyer[buyer_id].append(RatingRow(pk, store_id, buyer_id, published_at, removed_at is not None, stars, role))
    buckets: dict[date, dict[str, int]] = defaultdict(lambda: dict.fromkeys(BUCKET_FIELDS, 0))
    roles: dict[int, str] = {}
    for rows in by_buyer.values():
        chain = chain_roles(rows, merge_days=merge_days)
        roles.update(chain)
        for row in rows:
            field = contribution(chain[row.id], row.stars)
            if field:
                buckets[utc_day(row.published_at)][field] += 1
    ratings = StoreRating.objects.filter(store_id=store_id, published_at__isnull=False).values_list(
        "published_at", "as_described", "communication", "shipping"
    )
    for published_at, *values in ratings.iterator(chunk_size=5000):
        assert published_at is not None
        day = utc_day(published_at)
        for prefix, value in zip(("described", "communication", "shipping"), values, strict=True):
            if value is not None:
                buckets[day][f"{prefix}_sum"] += value
                buckets[day][f"{prefix}_n"] += 1
    return {day: values for day, values in buckets.items() if any(values.values())}, roles


def store_score_recount(*, store_id: int) -> int:
    """Rebuild one store's buckets and roles from the raw reviews; returns buckets corrected.

    Holds the store's exclusive advisory lock so that no publication interleaves.
    """
    with transaction.atomic():
        lock_store_exclusive(store_id)
        expected, roles = buckets_from_raw(store_id=store_id)
        stored = {
            row["day"]: row
            for row in StoreScoreDay.objects.filter(store_id=store_id).values("id", "day", *BUCKET_FIELDS)
        }
        corrected = 0
        for day, values in expected.items():
            current = stored.pop(day, None)
            if current is None:
                StoreScoreDay.objects.create(store_id=store_id, day=day, **values)
                corrected += 1
            elif any(current[f] != values[f] for f in BUCKET_FIELDS):
                StoreScoreDay.objects.filter(pk=current["id"]).update(**values)
                corrected += 1
        for leftover in stored.values():
            if any(leftover[f] for f in BUCKET_FIELDS):
                corrected += 1
            StoreScoreDay.objects.filter(pk=leftover["id"]).delete()
        corrected += _recount_product_stars(store_id)
        wrong_roles: dict[str, list[int]] = defaultdict(list)
        current_roles = ItemReview.objects.filter(store_id=store_id, published_at__isnull=False).values_list(
            "id", "score_role"
        )
        for pk, role in current_roles.iterator(chunk_size=5000):
            if roles.get(pk, "") != role:
                wrong_roles[roles.get(pk, "")].append(pk)
        for role, ids in wrong_roles.items():
            for start in range(0, len(ids), 5000):
                ItemReview.objects.filter(pk__in=ids[start : start + 5000]).update(score_role=role)
        if corrected or wrong_roles:
            content_changed(topic="feedback", store_id=store_id)
    return corrected


def _recount_product_stars(store_id: int) -> int:
    """Make the store's products' star counts equal the public reviews; returns rows corrected."""
    expected = {
        (product_id, stars): n
        for product_id, stars, n in ItemReview.objects.filter(
            store_id=store_id, published_at__isnull=False, removed_at__isnull=True
        )
        .values_list("product_id", "stars")
        .annotate(n=models.Count("pk"))
        .order_by()
    }
    stored = {(row.product_id, row.stars): row for row in ProductStarCount.objects.filter(product__store_id=store_id)}
    corrected = 0
    for key in expected.keys() | stored.keys():
        want, row = expected.get(key, 0), stored.get(key)
        if row is None:
            ProductStarCount.objects.create(product_id=key[0], stars=key[1], count=want)
            corrected += 1
        elif row.count != want:
            ProductStarCount.objects.filter(pk=row.pk).update(count=want)
            corrected += 1
    return corrected


def stores_with_feedback() -> list[int]:
    return list(FeedbackWindow.objects.values_list("store_id", flat=True).distinct().order_by("store_id"))
