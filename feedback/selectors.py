"""Every non-trivial read of the feedback app.

Sealed content never leaves this module for anyone but its author: public reads filter on
`published_at IS NOT NULL AND removed_at IS NULL`; the other side of a window only learns
*whether* its counterpart has rated (`buyer_rated_at` / `seller_rated_at`).
"""

import base64
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Avg, Count, Prefetch, Q, QuerySet, Sum
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
from feedback.scoring import star_class, utc_day
from portal.models import OrderItem, Photo, Product, Store, StoreMember, User

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


# --- Buyer ------------------------------------------------------------------------------------


def windows_for_buyer(*, user: User, limit: int = 100) -> list[FeedbackWindow]:
    return list(
        FeedbackWindow.objects.filter(buyer=user)
        .select_related("order", "store", "additional_review")
        .order_by("-completed_at", "-pk")[:limit]
    )


def windows_awaiting_buyer(*, user: User, now: datetime, limit: int = 5) -> list[FeedbackWindow]:
    """Open windows the buyer has still to rate, soonest closing first (the home page's list)."""
    return list(
        FeedbackWindow.objects.filter(
            buyer=user, state=FeedbackWindow.State.PENDING, buyer_rated_at__isnull=True, closes_at__gt=now
        )
        .select_related("order", "store")
        .order_by("closes_at", "pk")[:limit]
    )


def window_for_order(*, order_id: int) -> FeedbackWindow | None:
    return FeedbackWindow.objects.filter(order_id=order_id).first()


# --- Seller -----------------------------------------------------------------------------------


def windows_to_rate(*, store: Store, now: datetime, limit: int = 10) -> list[FeedbackWindow]:
    """Open windows where the store has still to rate the buyer, soonest closing first.

    A window past its end but not yet closed by the sweep (at most a minute) is not offered.
    """
    return list(
        FeedbackWindow.objects.filter(
            store=store, state=FeedbackWindow.State.PENDING, seller_rated_at__isnull=True, closes_at__gt=now
        )
        .select_related("order", "buyer")
        .order_by("closes_at", "pk")[:limit]
    )


def reviews_awaiting_reply(*, store: Store, limit: int = 10) -> list[ItemReview]:
    return list(
        ItemReview.objects.filter(PUBLIC, store=store, has_reply=False, is_automatic=False)
        .select_related("product", "buyer")
        .order_by("-published_at", "-pk")[:limit]
    )


def buyer_ratings_received(*, buyer: User) -> tuple[int, float | None]:
    """How many published ratings sellers gave this buyer, and their average stars.

    Sealed ratings (not yet published) never count: the buyer's record must not tell a
    store what another store, or this one, has rated while the window is still sealed.
    """
    totals = SellerRating.objects.filter(buyer=buyer, published_at__isnull=False).aggregate(
        count=Count("pk"), average=Avg("stars")
    )
    average = totals["average"]
    return totals["count"], float(average) if average is not None else None


# --- Public review lists (keyset pagination) ------------------------------------------------


@dataclass(frozen=True)
class ReviewFilters:
    stars: int | None = None
    with_photos: bool = False
    with_additional: bool = False

    def as_query(self) -> dict[str, str]:
        query: dict[str, str] = {}
        if self.stars:
            query["stars"] = str(self.stars)
        if self.with_photos:
            query["photos"] = "1"
        if self.with_additional:
            query["additional"] = "1"
        return query


def filters_from_params(params: Any) -> ReviewFilters:
    stars_raw = params.get("stars") or ""
    stars = int(stars_raw) if stars_raw in {"1", "2", "3", "4", "5"} else None
    return ReviewFilters(
        stars=stars, with_photos=params.get("photos") == "1", with_additional=params.get("additional") == "1"
    )


def encode_cursor(review: ItemReview) -> str:
    assert review.published_at is not None
    raw = f"{review.published_at.isoformat()}|{review.pk}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[datetime, int] | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        moment, pk = raw.split("|")
        parsed = datetime.fromisoformat(moment)
        if parsed.tzinfo is None:
            return None
        return parsed, int(pk)
    except (ValueError, UnicodeDecodeError):
        return None


@dataclass
class ReviewPage:
    reviews: list[ItemReview]
    next_cursor: str | None
    filters: ReviewFilters = field(default_factory=ReviewFilters)


def _review_feed(base: QuerySet[ItemReview], filters: ReviewFilters, cursor: str | None, size: int) -> ReviewPage:
    """One page, newest first, by (published_at, id) keyset: constant cost at any depth.

    A fixed number of queries whatever the number of reviews: the page itself (with
    buyer, product and reply joined) and its photos; when the page shows additional
    reviews, those (with their replies) and their photos.
    """
    reviews = base.filter(PUBLIC)
    if filters.stars:
        reviews = reviews.filter(stars=filters.stars)
    if filters.with_photos:
        reviews = reviews.filter(photo_count__gt=0)
    if filters.with_additional:
        reviews = reviews.filter(has_additional=True)
    position = decode_cursor(cursor)
    if position is not None:
        moment, pk = position
        # `published_at <= moment` bounds the index range scan; the OR only trims ties.
        reviews = reviews.filter(Q(published_at__lte=moment) & (Q(published_at__lt=moment) | Q(pk__lt=pk)))
    ready_photos = Photo.objects.filter(status=Photo.Status.READY).order_by("pk")
    page = list(
        reviews.select_related("buyer", "product", "reply")
        .prefetch_related(Prefetch("photos", queryset=ready_photos))
        .order_by("-published_at", "-pk")[: size + 1]
    )
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
    next_cursor = encode_cursor(page[size - 1]) if len(page) > size else None
    return ReviewPage(reviews=page[:size], next_cursor=next_cursor, filters=filters)


def product_reviews(
    *, product: Product, filters: ReviewFilters, cursor: str | None = None, size: int = PAGE_SIZE
) -> ReviewPage:
    return _review_feed(ItemReview.objects.filter(product=product), filters, cursor, size)


def store_reviews(*, store: Store, cursor: str | None = None, size: int = PAGE_SIZE) -> ReviewPage:
    return _review_feed(ItemReview.objects.filter(store=store), ReviewFilters(), cursor, size)


@dataclass(frozen=True)
class StarSummary:
    count: int
    average: float | None
    distribution: list[tuple[int, int, int]]  # (stars, count, percent rounded to 10)


def product_star_summary(*, product: Product) -> StarSummary:
    """Average and distribution from the stored per-product counts: one read of five rows at most."""
    counts = dict(ProductStarCount.objects.filter(product=product, count__gt=0).values_list("stars", "count"))
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
    window_days = settings.OPINIA_SCORE_WINDOW_DAYS
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
        merge_days=settings.OPINIA_SCORE_MERGE_DAYS,
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


def user_is_member(*, user: Any, store: Store) -> bool:
    return bool(user.is_authenticated and StoreMember.objects.filter(user=user, store=store).exists())
