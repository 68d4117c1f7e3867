"""Every non-trivial read of the feedback app.

Sealed content never leaves this module for anyone but its author: public reads filter on
`published_at IS NOT NULL AND removed_at IS NULL`; the other side of a window only learns
*whether* its counterpart has rated (`buyer_rated_at` / `seller_rated_at`).
"""

import hmac
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import Avg, Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Sum, prefetch_related_objects
from django.db.models.functions import Coalesce, Greatest
from django.http import Http404

from feedback.models import (
    AdditionalReview,
    FeedbackWindow,
    ItemReview,
    ProductStarCount,
    SellerRating,
    StoreRating,
    StoreScoreDay,
)
from feedback.receipts import ReceiptCheck, receipt_of
from feedback.scoring import star_class, utc_day
from portal.models import OrderItem, Photo, Product, RequestUser, Store, User
from portal.pagination import Cursor, cursor_decode, cursor_encode, page_split, rows_after
from portal.rules import next_change_after, rules_at
from portal.selectors import user_is_store_member
from portal.uploads import photo_can_view

PAGE_SIZE = 10
PUBLIC = Q(published_at__isnull=False, removed_at__isnull=True)


# --- Loading one object for a user ------------------------------------------------------------


def window_find_for_buyer(*, user: User, order_id: int) -> FeedbackWindow | None:
    """The buyer's window of this order, or None (no such order of theirs, or not completed)."""
    return (
        FeedbackWindow.objects.select_related("order", "store")
        .prefetch_related(
            Prefetch("order__items", queryset=OrderItem.objects.select_related("product").order_by("pk")),
            Prefetch(
                "item_reviews",
                queryset=ItemReview.objects.select_related("order_item__product").prefetch_related("photos"),
            ),
        )
        .filter(order_id=order_id, buyer=user)
        .first()
    )


def window_get_for_buyer(*, user: User, order_id: int) -> FeedbackWindow:
    window = window_find_for_buyer(user=user, order_id=order_id)
    if window is None:
        raise Http404("No such order.")
    return window


def window_get_for_seller(*, user: User, slug: str, order_id: int) -> FeedbackWindow:
    window = (
        FeedbackWindow.objects.select_related("order", "store", "buyer")
        .filter(order_id=order_id, store__slug=slug, store__members__user=user)
        .first()
    )
    if window is None:
        raise Http404("No such order.")
    return window


def review_get_for_buyer(*, user: User, review_id: int) -> ItemReview:
    review = (
        ItemReview.objects.select_related("product", "store", "window", "revision_request")
        .filter(pk=review_id, buyer=user)
        .first()
    )
    if review is None:
        raise Http404("No such review.")
    return review


def review_get_for_seller(*, user: User, slug: str, review_id: int) -> ItemReview:
    """A public review of one of the user's stores (sealed ones are not the seller's to see)."""
    review = (
        ItemReview.objects.select_related("product", "store", "buyer", "window")
        .filter(PUBLIC, pk=review_id, store__slug=slug, store__members__user=user)
        .first()
    )
    if review is None:
        raise Http404("No such review.")
    return review


def additional_get_for_seller(*, user: User, slug: str, additional_id: int) -> AdditionalReview:
    additional = (
        AdditionalReview.objects.select_related("store", "window__order")
        .filter(pk=additional_id, store__slug=slug, store__members__user=user)
        .first()
    )
    if additional is None:
        raise Http404("No such review.")
    return additional


def review_get_public(*, review_id: int) -> ItemReview:
    review = ItemReview.objects.select_related("product", "store", "buyer").filter(PUBLIC, pk=review_id).first()
    if review is None:
        raise Http404("No such review.")
    return review


def review_photo_get_for_user(*, user: RequestUser, photo_uuid: Any) -> Photo:
    """A photo of a review or additional review that the user may see, in any processing state.

    The pages poll this while the worker re-encodes a photo, so it must answer for photos that
    are not ready yet: the same rule as serving (`photo_can_view`), 404 for anything else.
    """
    photo = (
        Photo.objects.filter(uuid=photo_uuid)
        .filter(
            Exists(ItemReview.photos.through.objects.filter(photo_id=OuterRef("pk")))
            | Exists(AdditionalReview.photos.through.objects.filter(photo_id=OuterRef("pk")))
        )
        .first()
    )
    if photo is None or not photo_can_view(user=user, photo=photo):
        raise Http404("No such photo.")
    return photo


# --- Buyer ------------------------------------------------------------------------------------


def windows_for_buyer(*, user: User, limit: int = 100) -> list[FeedbackWindow]:
    return list(
        FeedbackWindow.objects.filter(buyer=user)
        .select_related("order", "store", "additional_review")
        .order_by("-completed_at", "-pk")[:limit]
    )


def _awaiting_buyer(*, user: User, now: datetime) -> QuerySet[FeedbackWindow]:
    return FeedbackWindow.objects.filter(
        buyer=user, state=FeedbackWindow.State.PENDING, buyer_rated_at__isnull=True, closes_at__gt=now
    )


def windows_awaiting_buyer(*, user: User, now: datetime, limit: int = 5) -> list[FeedbackWindow]:
    """Open windows the buyer has still to rate, soonest closing first (the home page's list)."""
    return list(
        _awaiting_buyer(user=user, now=now).select_related("order", "store").order_by("closes_at", "pk")[:limit]
    )


def windows_awaiting_buyer_count(*, user: User, now: datetime) -> int:
    return _awaiting_buyer(user=user, now=now).count()


def window_for_order(*, order_id: int) -> FeedbackWindow | None:
    return FeedbackWindow.objects.filter(order_id=order_id).first()


# --- Seller -----------------------------------------------------------------------------------


def _to_rate(*, store: Store, now: datetime) -> QuerySet[FeedbackWindow]:
    """Open windows where the store has still to rate the buyer.

    A window past its end but not yet closed by the sweep (at most a minute) is not offered.
    """
    return FeedbackWindow.objects.filter(
        store=store, state=FeedbackWindow.State.PENDING, seller_rated_at__isnull=True, closes_at__gt=now
    )


def windows_to_rate(*, store: Store, now: datetime, limit: int = 10) -> list[FeedbackWindow]:
    """Open windows where the store has still to rate the buyer, soonest closing first."""
    return list(_to_rate(store=store, now=now).select_related("order", "buyer").order_by("closes_at", "pk")[:limit])


def windows_to_rate_count(*, store: Store, now: datetime) -> int:
    return _to_rate(store=store, now=now).count()


def _awaiting_reply(*, store: Store) -> QuerySet[ItemReview]:
    return ItemReview.objects.filter(PUBLIC, store=store, has_reply=False, is_automatic=False)


def reviews_awaiting_reply(*, store: Store, limit: int = 10) -> list[ItemReview]:
    return list(
        _awaiting_reply(store=store).select_related("product", "buyer").order_by("-published_at", "-pk")[:limit]
    )


def reviews_awaiting_reply_count(*, store: Store) -> int:
    return _awaiting_reply(store=store).count()


def buyer_ratings_received(*, buyer: User) -> tuple[int, float | None]:
    """How many published ratings sellers gave this buyer, and their average stars.

    Sealed ratings (not yet published) never count: the buyer's record must not tell a
    store what another store, or this one, has rated while the window is still sealed.
    Ratings removed by moderation never count either.
    """
    totals = SellerRating.objects.filter(buyer=buyer, published_at__isnull=False, removed_at__isnull=True).aggregate(
        count=Count("pk"), average=Avg("stars")
    )
    average = totals["average"]
    return totals["count"], float(average) if average is not None else None


# --- Public review lists (keyset pagination) ------------------------------------------------

SORTS = ("newest", "highest", "lowest", "photos", "helpful")
# Automatic ratings are counted up to this many for the one line that stands for them.
AUTOMATIC_COUNT_CAP = 1000


@dataclass(frozen=True)
class ReviewFilters:
    stars: int | None = None
    with_photos: bool = False
    with_additional: bool = False
    sort: str = "newest"
    # Show the automatic ratings themselves (the lists otherwise only count them).
    automatic: bool = False

    def as_query(self) -> dict[str, str]:
        query: dict[str, str] = {}
        if self.stars:
            query["stars"] = str(self.stars)
        if self.with_photos:
            query["photos"] = "1"
        if self.with_additional:
            query["additional"] = "1"
        if self.sort != "newest":
            query["sort"] = self.sort
        if self.automatic:
            query["automatic"] = "1"
        return query


def filters_from_params(params: Any) -> ReviewFilters:
    """Filters from a query string; anything unknown falls back to the default, never an error."""
    stars_raw = params.get("stars") or ""
    stars = int(stars_raw) if stars_raw in {"1", "2", "3", "4", "5"} else None
    sort = params.get("sort") or "newest"
    return ReviewFilters(
        stars=stars,
        with_photos=params.get("photos") == "1",
        with_additional=params.get("additional") == "1",
        sort=sort if sort in SORTS else "newest",
        automatic=params.get("automatic") == "1",
    )


def _group_of(review: ItemReview, sort: str) -> int | None:
    if sort in ("highest", "lowest"):
        return review.stars
    if sort == "photos":
        return 1 if review.photo_count > 0 else 0
    if sort == "helpful":
        return review.helpful_count
    return None


def review_cursor(review: ItemReview, sort: str = "newest") -> Cursor:
    """Where the page after `review` starts: after it, inside its sort group (stars, or with photos or not)."""
    assert review.published_at is not None
    return Cursor(review.published_at, review.pk, _group_of(review, sort))


def encode_cursor(review: ItemReview, sort: str = "newest") -> str:
    return cursor_encode(review_cursor(review, sort))


@dataclass
class ReviewPage:
    reviews: list[ItemReview]
    next_cursor: str | None
    filters: ReviewFilters = field(default_factory=ReviewFilters)
    # Public automatic ratings that match the filters, counted up to AUTOMATIC_COUNT_CAP.
    automatic_count: int = 0

    @property
    def automatic_capped(self) -> bool:
        return self.automatic_count >= AUTOMATIC_COUNT_CAP


def _sort_groups(filters: ReviewFilters) -> list[tuple[int | None, Q]]:
    """The groups a sort walks in order, each read newest first.

    Sorting by stars or by photos is newest-first inside a handful of groups (five star
    values, with or without photos). Reading each group through its own index range
    (`review_*_stars`, `review_*_photos`, the feeds) keeps every page, at any depth, a few
    short index scans: one ORDER BY stars, published_at would need the whole group sorted.
    """
    if filters.sort in ("highest", "lowest"):
        values = (5, 4, 3, 2, 1) if filters.sort == "highest" else (1, 2, 3, 4, 5)
        return [(value, Q(stars=value)) for value in values if not filters.stars or value == filters.stars]
    if filters.sort == "photos":
        groups: list[tuple[int | None, Q]] = [(1, Q(photo_count__gt=0))]
        if not filters.with_photos:
            groups.append((0, Q(photo_count=0)))
        return groups
    return [(None, Q())]


def _most_helpful(selected: QuerySet[ItemReview], position: Cursor | None, size: int) -> list[ItemReview]:
    """Most helpful first, then newest: one keyset read of (helpful_count, published_at, id).

    The cursor's group is the last row's count: the next page is the rows with fewer votes,
    or as many and older (`review_*_helpful`).
    """
    condition = Q()
    if position is not None and position.group is not None:
        votes = position.group
        condition = Q(helpful_count__lt=votes) | (
            Q(helpful_count=votes) & rows_after(position, moment_field="published_at")
        )
    return list(selected.filter(condition).order_by("-helpful_count", "-published_at", "-pk")[: size + 1])


def _grouped_page(
    selected: QuerySet[ItemReview], filters: ReviewFilters, position: Cursor | None, size: int
) -> list[ItemReview]:
    """The sorts walked in groups (newest, stars, photos): one UNION ALL of each group's range."""
    groups = _sort_groups(filters)
    if position is not None:
        keys = [key for key, _condition in groups]
        if position.group not in keys:
            position = None  # a cursor of another sort, or tampered with: start at the top
        else:
            groups = groups[keys.index(position.group) :]
    parts = [
        selected.filter(
            condition, rows_after(position, moment_field="published_at") if position is not None and index == 0 else Q()
        ).order_by("-published_at", "-pk")[: size + 1]
        for index, (_key, condition) in enumerate(groups)
    ]
    rows = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    # The same order as each part's ORDER BY, then the groups in turn (sorts are stable).
    rank = {key: index for index, (key, _condition) in enumerate(groups)}
    page = sorted(rows, key=lambda review: (review.published_at, review.pk), reverse=True)
    page = sorted(page, key=lambda review: rank[_group_of(review, filters.sort)])[: size + 1]
    return page


def _shown_filters(filters: ReviewFilters) -> ReviewFilters:
    # Automatic ratings alike (four stars, no words, no photos): newest first only.
    return ReviewFilters(automatic=True) if filters.automatic else filters


def _automatic_count(base: QuerySet[ItemReview], filters: ReviewFilters) -> int:
    """Public automatic ratings matching the filters, counted up to AUTOMATIC_COUNT_CAP (0 where not shown)."""
    filters = _shown_filters(filters)
    if filters.automatic or filters.with_photos or filters.with_additional:
        return 0
    automatic = base.filter(PUBLIC, is_automatic=True)
    if filters.stars:
        automatic = automatic.filter(stars=filters.stars)
    # Automatic ratings have neither photos nor additional reviews; their count is capped
    # so that it stays an index-only scan of `review_*_automatic` however many there are.
    return automatic.order_by()[:AUTOMATIC_COUNT_CAP].count()


def _review_feed(
    base: QuerySet[ItemReview],
    filters: ReviewFilters,
    cursor: str | None,
    size: int,
    *,
    automatic_count: int | None = None,
) -> ReviewPage:
    """One page in the chosen order, by a (group, published_at, id) keyset: constant cost at any depth.

    A fixed number of queries whatever the number of reviews or the depth: the page itself
    (one statement: the groups still to read are one UNION ALL, with buyer, product and
    reply joined), its photos, and the count of automatic ratings; when the page shows
    additional reviews, those (with their replies) and their photos. A caller that knows the
    count of automatic ratings (it does not move with the cursor) passes `automatic_count`.
    """
    public = base.filter(PUBLIC)
    filters = _shown_filters(filters)
    reviews = public.filter(is_automatic=filters.automatic)
    if filters.stars:
        reviews = reviews.filter(stars=filters.stars)
    if filters.with_photos:
        reviews = reviews.filter(photo_count__gt=0)
    if filters.with_additional:
        reviews = reviews.filter(has_additional=True)
    selected = reviews.select_related("buyer", "product", "reply")
    if filters.sort == "helpful":
        page = _most_helpful(selected, cursor_decode(cursor), size)
    else:
        page = _grouped_page(selected, filters, cursor_decode(cursor), size)
    page, next_cursor = page_split(page, size=size, cursor_of=lambda review: review_cursor(review, filters.sort))
    ready_photos = Photo.objects.filter(status=Photo.Status.READY).order_by("pk")
    prefetch_related_objects(page, Prefetch("photos", queryset=ready_photos))
    # Additional reviews are fetched apart rather than joined: three more joins cost the
    # planner more than these two small queries, which run only when the page has any.
    windows = {review.window_id for review in page if review.has_additional}
    if windows:
        additional = {
            a.window_id: a
            for a in AdditionalReview.objects.filter(window_id__in=windows)
            .select_related("reply")
            .prefetch_related(Prefetch("photos", queryset=ready_photos))
        }
        for review in page:
            review.additional = additional.get(review.window_id)
    if automatic_count is None:
        automatic_count = _automatic_count(base, filters)
    return ReviewPage(reviews=page, next_cursor=next_cursor, filters=filters, automatic_count=automatic_count)


def product_reviews(
    *,
    product: Product,
    filters: ReviewFilters,
    cursor: str | None = None,
    size: int = PAGE_SIZE,
    automatic_count: int | None = None,
) -> ReviewPage:
    return _review_feed(
        ItemReview.objects.filter(product=product), filters, cursor, size, automatic_count=automatic_count
    )


def product_automatic_count(*, product: Product, filters: ReviewFilters) -> int:
    """The count `product_reviews` shows beside the list (the same at every position)."""
    return _automatic_count(ItemReview.objects.filter(product=product), filters)


def store_reviews(
    *,
    store: Store,
    filters: ReviewFilters | None = None,
    cursor: str | None = None,
    size: int = PAGE_SIZE,
    automatic_count: int | None = None,
) -> ReviewPage:
    return _review_feed(
        ItemReview.objects.filter(store=store),
        filters or ReviewFilters(),
        cursor,
        size,
        automatic_count=automatic_count,
    )


def store_automatic_count(*, store: Store, filters: ReviewFilters) -> int:
    """The count `store_reviews` shows beside the list (the same at every position)."""
    return _automatic_count(ItemReview.objects.filter(store=store), filters)


def product_photo_strip(*, product: Product, limit: int = 12) -> list[Photo]:
    """The latest buyers' photos of a product's public reviews, newest review first; one query.

    Walks the product's public reviews with photos newest first (`review_product_photos`)
    and stops after `limit` ready photos, whatever the number of reviews.
    """
    return list(
        Photo.objects.filter(
            status=Photo.Status.READY,
            item_reviews__product=product,
            item_reviews__published_at__isnull=False,
            item_reviews__removed_at__isnull=True,
            item_reviews__photo_count__gt=0,
        )
        .annotate(review_stars=F("item_reviews__stars"), review_id=F("item_reviews__pk"))
        .order_by("-item_reviews__published_at", "-item_reviews__pk", "pk")[:limit]
    )


@dataclass(frozen=True)
class StarSummary:
    count: int
    average: float | None
    distribution: list[tuple[int, int, int]]  # (stars, count, percent rounded to 10)


def product_star_summary(*, product: Product) -> StarSummary:
    """Average and distribution from the stored per-product counts: one read of five rows at most."""
    return _star_summary(
        dict(ProductStarCount.objects.filter(product=product, count__gt=0).values_list("stars", "count"))
    )


def store_star_summary(*, store: Store) -> StarSummary:
    """The store's published ratings by stars: its products' stored counts added up (one grouped read).

    The same numbers as the product pages' distributions (every public rating, all time);
    the daily score buckets keep only positive, neutral and negative, not the stars.
    """
    counts = dict(
        ProductStarCount.objects.filter(product__store=store, count__gt=0)
        .values_list("stars")
        .annotate(n=Sum("count"))
        .order_by()
    )
    return _star_summary({int(stars): int(n) for stars, n in counts.items()})


def _star_summary(counts: dict[int, int]) -> StarSummary:
    total = sum(counts.values())
    average = sum(stars * n for stars, n in counts.items()) / total if total else None
    distribution = [
        (stars, counts.get(stars, 0), round(counts.get(stars, 0) * 10 / total) * 10 if total else 0)
        for stars in range(5, 0, -1)
    ]
    return StarSummary(
        count=total, average=round(average, 1) if average is not None else None, distribution=distribution
    )


# --- Store score ------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoreScore:
    window_days: int
    merge_days: int
    positive: int
    neutral: int
    negative: int
    merged: int
    removed: int
    older: int
    feedback_score: int
    described: float | None
    communication: float | None
    shipping: float | None

    @property
    def counted(self) -> int:
        return self.positive + self.neutral + self.negative

    @property
    def positive_percent(self) -> float | None:
        rated = self.positive + self.negative
        return round(self.positive * 100 / rated, 1) if rated else None


def _avg(total: int | None, count: int | None) -> float | None:
    return round(total / count, 1) if total and count else None


SCORE_FIELDS = ("positive", "neutral", "negative", "merged", "removed")
DETAIL_FIELDS = ("described_sum", "described_n", "communication_sum", "communication_n", "shipping_sum", "shipping_n")
# One pass over the store's daily buckets (a few hundred rows a year), written out once:
# the ORM's sixteen filtered aggregates cost more to compile than to run. Whole days after
# the cutoff's day come from the buckets; the cutoff's own day is read from the raw rows.
_SCORE_COLUMNS = ", ".join(
    [f"coalesce(sum({f}) FILTER (WHERE day > %(cutoff_day)s), 0)" for f in (*SCORE_FIELDS, *DETAIL_FIELDS)]
    + [f"coalesce(sum({f}), 0)" for f in SCORE_FIELDS]
)
SCORE_SQL = f"SELECT {_SCORE_COLUMNS} FROM {StoreScoreDay._meta.db_table} WHERE store_id = %(store)s"  # noqa: S608


def _cutoff_day_part(*, store: Store, cutoff: datetime) -> dict[str, int]:
    """What the cutoff's UTC day adds to the window: its ratings published after the cutoff.

    The window is exact to the second (a rating 180 days old minus one second counts; at
    180 days it does not), while buckets are whole days: only this one day is read raw,
    through the store's time-ordered indexes, so the cost does not grow with the store.
    """
    day_end = datetime.combine(utc_day(cutoff) + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    part = dict.fromkeys((*SCORE_FIELDS, *DETAIL_FIELDS), 0)
    in_part = Q(store=store, published_at__gt=cutoff, published_at__lt=day_end)
    public = ItemReview.objects.filter(in_part, removed_at__isnull=True).exclude(score_role="")
    for role, stars, count in public.values_list("score_role", "stars").annotate(n=Count("pk")).order_by():
        if role == ItemReview.ScoreRole.COUNTED:
            part[star_class(stars)] += count
        elif role == ItemReview.ScoreRole.MERGED:
            part["merged"] += count
    part["removed"] = ItemReview.objects.filter(in_part, removed_at__isnull=False).count()
    detailed = StoreRating.objects.filter(in_part).aggregate(
        described_sum=Sum("as_described"),
        described_n=Count("as_described"),
        communication_sum=Sum("communication"),
        communication_n=Count("communication"),
        shipping_sum=Sum("shipping"),
        shipping_n=Count("shipping"),
    )
    for name, value in detailed.items():
        part[name] += int(value or 0)
    return part


def store_score(*, store: Store, now: datetime) -> StoreScore:
    """The score header: whole days from the daily buckets, the cutoff's day from raw rows."""
    rules = rules_at(now)
    window_days = rules.score_window_days
    cutoff = now - timedelta(days=window_days)
    with connection.cursor() as cursor:
        cursor.execute(SCORE_SQL, {"cutoff_day": utc_day(cutoff), "store": store.pk})
        row = [int(v) for v in cursor.fetchone() or ()]
    window = dict(zip((*SCORE_FIELDS, *DETAIL_FIELDS), row[:11], strict=True))
    for name, value in _cutoff_day_part(store=store, cutoff=cutoff).items():
        window[name] += value
    all_time = dict(zip(SCORE_FIELDS, row[11:], strict=True))
    return StoreScore(
        window_days=window_days,
        merge_days=rules.score_merge_days,
        positive=window["positive"],
        neutral=window["neutral"],
        negative=window["negative"],
        merged=window["merged"],
        removed=window["removed"],
        older=sum(all_time.values()) - sum(window[f] for f in SCORE_FIELDS),
        feedback_score=all_time["positive"] - all_time["negative"],
        described=_avg(window["described_sum"], window["described_n"]),
        communication=_avg(window["communication_sum"], window["communication_n"]),
        shipping=_avg(window["shipping_sum"], window["shipping_n"]),
    )


def store_score_changes_at(*, store: Store, now: datetime) -> datetime:
    """The next moment the score header changes by the clock alone, with no new rating.

    The oldest rating still in the window leaves it (exactly OPINIA_SCORE_WINDOW_DAYS after its
    publication), or the UTC day ends (the weekly chart's last week). Two index reads.
    """
    window = timedelta(days=rules_at(now).score_window_days)
    cutoff = now - window
    moments = [datetime.combine(utc_day(now) + timedelta(days=1), datetime.min.time(), tzinfo=UTC)]
    for model in (ItemReview, StoreRating):
        oldest = (
            model.objects.filter(store=store, published_at__gt=cutoff)
            .order_by("published_at")
            .values_list("published_at", flat=True)
            .first()
        )
        if oldest is not None:
            moments.append(oldest + window)
    rules_change = next_change_after(now)  # a new version may change the score window
    if rules_change is not None:
        moments.append(rules_change)
    return min(moments)


@dataclass(frozen=True)
class WeekScore:
    """One 7-day week of a store's counted ratings (UTC days, as the buckets are)."""

    start: date
    end: date
    positive: int
    neutral: int
    negative: int

    @property
    def positive_percent(self) -> float | None:
        """As the score: positive ÷ (positive + negative); None for a week with neither."""
        rated = self.positive + self.negative
        return round(self.positive * 100 / rated, 1) if rated else None


def store_score_weeks(*, store: Store, now: datetime, weeks: int = 26) -> list[WeekScore]:
    """The last `weeks` weeks of the score, oldest first, the last one ending today (UTC).

    Summed from the daily buckets, so each week follows the score's rules (merged ratings
    counted once, removed ones left out) at one read of at most 7 × `weeks` rows.
    """
    today = utc_day(now)
    first = today - timedelta(days=7 * weeks - 1)
    rows = StoreScoreDay.objects.filter(store=store, day__gte=first, day__lte=today).values_list(
        "day", "positive", "neutral", "negative"
    )
    sums = [[0, 0, 0] for _ in range(weeks)]
    for day, positive, neutral, negative in rows:
        week = sums[(day - first).days // 7]
        week[0] += positive
        week[1] += neutral
        week[2] += negative
    return [
        WeekScore(
            start=first + timedelta(days=7 * n),
            end=first + timedelta(days=7 * n + 6),
            positive=positive,
            neutral=neutral,
            negative=negative,
        )
        for n, (positive, neutral, negative) in enumerate(sums)
    ]


def stores_showing_photo(photo_id: int) -> list[tuple[str, int]]:
    """The stores whose public review lists show this photo (a review's or an additional review's)."""
    reviews = ItemReview.objects.filter(PUBLIC, photos=photo_id).values_list("store_id", flat=True)
    additional = AdditionalReview.objects.filter(photos=photo_id).values_list("store_id", flat=True)
    return [("feedback", store_id) for store_id in {*reviews, *additional}]


def stores_showing_buyer(user_id: int) -> list[tuple[str, int]]:
    """The stores whose public review lists show this buyer's name."""
    stores = ItemReview.objects.filter(PUBLIC, buyer_id=user_id).values_list("store_id", flat=True).distinct()
    return [("feedback", store_id) for store_id in stores]


def user_is_member(*, user: User, store: Store) -> bool:
    return user_is_store_member(user=user, store_id=store.pk)


def review_get_for_store(*, store: Store, review_id: int) -> ItemReview:
    """A published review of `store` (the API's store keys); another store's or a sealed one is a 404."""
    ready_photos = Photo.objects.filter(status=Photo.Status.READY).order_by("pk")
    review = (
        ItemReview.objects.select_related("product", "buyer", "reply")
        .prefetch_related(Prefetch("photos", queryset=ready_photos))
        .filter(PUBLIC, store=store, pk=review_id)
        .first()
    )
    if review is None:
        raise Http404("No such review.")
    # As in the public lists and the change feed: the order's additional review, ready photos only.
    review.additional = (
        AdditionalReview.objects.filter(window_id=review.window_id)
        .select_related("reply")
        .prefetch_related(Prefetch("photos", queryset=ready_photos))
        .first()
        if review.has_additional
        else None
    )
    return review


# --- The store's API (store keys): everything inside one store, published content only ---------


def windows_awaiting_seller(*, store: Store, now: datetime) -> QuerySet[FeedbackWindow]:
    """Open windows where the store has still to rate the buyer, newest first (keyset by id)."""
    return _to_rate(store=store, now=now).select_related("order", "buyer").order_by("-pk")


def window_get_for_store(*, store: Store, order_id: int) -> FeedbackWindow:
    """The window of one of `store`'s completed orders; another store's or none is a 404."""
    window = FeedbackWindow.objects.select_related("order", "buyer").filter(store=store, order_id=order_id).first()
    if window is None:
        raise Http404("No such order.")
    return window


def additional_get_for_store(*, store: Store, additional_id: int) -> AdditionalReview:
    additional = AdditionalReview.objects.filter(store=store, pk=additional_id).first()
    if additional is None:
        raise Http404("No such review.")
    return additional


def _changed_at() -> Greatest:
    """The last time anything happened to a published review: publication, revision, removal, its
    reply, the order's additional review and its reply, a revision request."""
    published = F("published_at")
    return Greatest(
        published,
        *(
            Coalesce(F(moment), published)
            for moment in (
                "removed_at",
                "revised_at",
                "reply__created_at",
                "revision_request__requested_at",
                "window__additional_review__created_at",
                "window__additional_review__reply__created_at",
            )
        ),
    )


def review_changes(
    *, store: Store, since: datetime | None, after: tuple[datetime, int] | None, limit: int
) -> list[ItemReview]:
    """The store's published reviews changed after `since`, oldest change first, `limit` of them
    after the keyset position `after` (changed_at, id). Sealed reviews are never read here; each
    row carries `changed_at` and, when it has one, `additional` (with its reply and photos)."""
    rows = (
        ItemReview.objects.filter(store=store, published_at__isnull=False)
        .annotate(changed_at=_changed_at())
        .select_related("product", "buyer", "reply", "revision_request")
    )
    if since is not None:
        rows = rows.filter(changed_at__gt=since)
    if after is not None:
        moment, pk = after
        rows = rows.filter(Q(changed_at__gt=moment) | Q(changed_at=moment, pk__gt=pk))
    page: list[ItemReview] = list(rows.order_by("changed_at", "pk")[:limit])
    ready_photos = Photo.objects.filter(status=Photo.Status.READY).order_by("pk")
    prefetch_related_objects(page, Prefetch("photos", queryset=ready_photos))
    windows = {review.window_id for review in page if review.has_additional}
    if windows:
        additional = {
            a.window_id: a
            for a in AdditionalReview.objects.filter(window_id__in=windows)
            .select_related("reply")
            .prefetch_related(Prefetch("photos", queryset=ready_photos))
        }
        for review in page:
            review.additional = additional.get(review.window_id)
    return page


def review_receipt_check(*, receipt: str, review_id: int | None = None) -> ReceiptCheck:
    """Recompute a public review's receipt from what it shows and compare it with `receipt`.

    With `review_id`, that review is checked; without, the public review that was given this
    receipt at submission. Only public reviews are read: a sealed, removed or missing review
    gives the same "nothing to check" answer, so the page tells nothing about sealed content.
    The stars compared are those published (before any later revision the buyer made).
    """
    public = ItemReview.objects.filter(PUBLIC, is_automatic=False).select_related("window__order")
    if review_id is not None:
        review = public.filter(pk=review_id).first()
    else:
        review = public.filter(receipt=receipt).order_by("pk").first()
    if review is None:
        return ReceiptCheck(matches=None)
    published_stars = review.original_stars if review.original_stars is not None else review.stars
    recomputed = receipt_of(
        order_number=review.window.order.number,
        order_item_id=review.order_item_id,
        stars=published_stars,
        text=review.text,
        submitted_at=review.created_at,
    )
    return ReceiptCheck(
        matches=hmac.compare_digest(recomputed, receipt), review_id=review.pk, revised=review.revised_at is not None
    )


@dataclass(frozen=True)
class ScoreChange:
    """Positive feedback % (as the score: positive ÷ (positive + negative)) now and a week earlier."""

    now: float | None
    week_ago: float | None


def _positive_percent(positive: int, negative: int) -> float | None:
    rated = positive + negative
    return round(positive * 100 / rated, 1) if rated else None


def store_score_change(*, store: Store, now: datetime, days: int = 7) -> ScoreChange:
    """The score's positive % now and `days` earlier, each over its own score window.

    One read of the daily buckets, in whole UTC days for both ends (the window of a week ago
    ends with that day): the two figures are comparable, and the cost does not grow with
    the store. The score header, exact to the second, can differ by the ratings of one day.
    """
    window = timedelta(days=rules_at(now).score_window_days)
    today = utc_day(now)
    then = utc_day(now - timedelta(days=days))
    now_window = Q(day__gt=utc_day(now - window))
    then_window = Q(day__gt=utc_day(now - timedelta(days=days) - window), day__lte=then)
    sums = StoreScoreDay.objects.filter(
        store=store, day__gt=utc_day(now - timedelta(days=days) - window), day__lte=today
    ).aggregate(
        positive_now=Coalesce(Sum("positive", filter=now_window), 0),
        negative_now=Coalesce(Sum("negative", filter=now_window), 0),
        positive_then=Coalesce(Sum("positive", filter=then_window), 0),
        negative_then=Coalesce(Sum("negative", filter=then_window), 0),
    )
    return ScoreChange(
        now=_positive_percent(sums["positive_now"], sums["negative_now"]),
        week_ago=_positive_percent(sums["positive_then"], sums["negative_then"]),
    )
