"""The public read API (no key): what the marketplace shows on its own pages, cacheable.

Only published content: the feedback selectors used here are the ones of the public pages.
"""

import hashlib
from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from ninja import Path, Query, Router, Schema
from pydantic import Field

from api.auth import public_rate_check
from api.pagination import invalid_cursor
from api.schemas import Problem, dump, utc
from feedback import selectors as feedback_selectors
from feedback.models import ItemReview
from portal import fragments
from portal import selectors as portal_selectors
from portal.models import Store
from portal.pagination import cursor_decode

router = Router(tags=["public"])

CACHE_CONTROL = "public, max-age=60"
SLUG_PATTERN = r"^[-a-zA-Z0-9_]{1,220}$"


class StarCount(Schema):
    stars: int = Field(ge=1, le=5)
    count: int
    percent: int = Field(description="Share of all ratings, rounded to 10.")


class StarSummaryOut(Schema):
    count: int
    average: float | None
    distribution: list[StarCount]


class DetailedRatings(Schema):
    described: float | None = Field(description="Item as described, average of 1–5.")
    communication: float | None
    shipping: float | None


class ScoreOut(Schema):
    store_slug: str
    store_name: str
    window_days: int = Field(description="Ratings of the last this many days are counted.")
    merge_days: int = Field(description="Ratings by one buyer within this many days count once.")
    positive: int
    neutral: int
    negative: int
    counted: int = Field(description="Ratings counted in the window.")
    merged: int = Field(description="Ratings merged into another of the same buyer.")
    left_out: int = Field(description="Ratings left out (removed by moderation).")
    older: int = Field(description="Ratings older than the window.")
    positive_percent: float | None
    feedback_score: int = Field(description="All-time positive minus negative.")
    detailed: DetailedRatings
    stars: StarSummaryOut


class PhotoOut(Schema):
    url: str
    thumbnail_url: str


class ReplyOut(Schema):
    text: str
    created_at: datetime


class AdditionalOut(Schema):
    text: str
    created_at: datetime
    photos: list[PhotoOut]
    reply: ReplyOut | None


class ReviewOut(Schema):
    id: int
    product_slug: str
    stars: int = Field(ge=1, le=5)
    text: str
    buyer_name: str
    published_at: datetime
    revised: bool
    helpful_count: int = Field(ge=0, description="How many signed-in people marked the review helpful.")
    photos: list[PhotoOut]
    reply: ReplyOut | None
    additional: AdditionalOut | None


class ReviewPageOut(Schema):
    summary: StarSummaryOut
    automatic_count: int = Field(description="Automatic ratings (no words), counted up to 1000, not listed.")
    items: list[ReviewOut]
    next_cursor: str | None


def summary_out(summary: feedback_selectors.StarSummary) -> dict[str, object]:
    return {
        "count": summary.count,
        "average": summary.average,
        "distribution": [{"stars": s, "count": c, "percent": p} for s, c, p in summary.distribution],
    }


def photos_out(request: HttpRequest, photos: object) -> list[dict[str, str]]:
    return [
        {
            "url": request.build_absolute_uri(reverse("portal:photo", args=[photo.uuid])),
            "thumbnail_url": request.build_absolute_uri(reverse("portal:photo_thumbnail", args=[photo.uuid])),
        }
        for photo in photos.all()  # type: ignore[attr-defined]
    ]


def reply_out(review: object) -> dict[str, object] | None:
    reply = getattr(review, "reply", None)
    if reply is None:
        return None
    return {"text": reply.shown_text, "created_at": utc(reply.created_at)}


def review_out(request: HttpRequest, review: ItemReview) -> dict[str, object]:
    additional = getattr(review, "additional", None)
    return {
        "id": review.pk,
        "product_slug": review.product.slug,
        "stars": review.stars,
        "text": review.text,
        "buyer_name": review.buyer.public_name,
        "published_at": utc(review.published_at),
        "revised": review.revised_at is not None,
        "helpful_count": review.helpful_count,
        "photos": photos_out(request, review.photos),
        "reply": reply_out(review) if review.has_reply else None,
        "additional": {
            "text": additional.shown_text,
            "created_at": utc(additional.created_at),
            "photos": photos_out(request, additional.photos),
            "reply": reply_out(additional) if additional.has_reply else None,
        }
        if additional is not None
        else None,
    }


def score_out(store: Store, *, now: datetime | None = None) -> dict[str, object]:
    """The score the store page shows, with its explanation (the public API and store keys alike)."""
    score = feedback_selectors.store_score(store=store, now=now or timezone.now())
    return {
        "store_slug": store.slug,
        "store_name": store.name,
        "window_days": score.window_days,
        "merge_days": score.merge_days,
        "positive": score.positive,
        "neutral": score.neutral,
        "negative": score.negative,
        "counted": score.counted,
        "merged": score.merged,
        "left_out": score.removed,
        "older": score.older,
        "positive_percent": score.positive_percent,
        "feedback_score": score.feedback_score,
        "detailed": {
            "described": score.described,
            "communication": score.communication,
            "shipping": score.shipping,
        },
        "stars": summary_out(feedback_selectors.store_star_summary(store=store)),
    }


def etag_of(body: str) -> str:
    return '"' + hashlib.sha256(body.encode()).hexdigest()[:32] + '"'


def cached_json(request: HttpRequest, body: str, *, etag: str | None = None) -> HttpResponse:
    """200 with an ETag of the body, or 304 when the client holds that version already."""
    etag = etag or etag_of(body)
    held = {tag.strip().removeprefix("W/") for tag in request.headers.get("If-None-Match", "").split(",")}
    response = (
        HttpResponse(status=304) if etag in held or "*" in held else HttpResponse(body, content_type="application/json")
    )
    response["ETag"] = etag
    response["Cache-Control"] = CACHE_CONTROL
    return response


@router.get(
    "/public/stores/{slug}/score",
    response={200: ScoreOut, 304: None, 404: Problem, 422: Problem, 429: Problem},
    summary="A store's score",
)
def store_score(request: HttpRequest, slug: str = Path(..., pattern=SLUG_PATTERN)) -> HttpResponse:
    """The score the store page shows, with its explanation: counted, merged, left out, older."""
    public_rate_check(request)
    store = portal_selectors.store_get_public(slug=slug)

    def build() -> tuple[tuple[str, str], datetime]:
        now = timezone.now()
        body = dump(ScoreOut, score_out(store, now=now))
        # Until a rating leaves the window by the clock alone, if no rating comes first.
        return (body, etag_of(body)), feedback_selectors.store_score_changes_at(store=store, now=now)

    body, etag = fragments.cached(**store_score_part(store_id=store.pk), build=build)
    return cached_json(request, body, etag=etag)


def store_score_part(*, store_id: int) -> dict[str, Any]:
    """Where `store_score` keeps its answer (`fragments.cached`'s arguments but the build), for the
    operation and for the reads answered ahead of the middleware (`api.public_reads`) alike: until
    the store's ratings or its name change, or the clock moves a rating out of the window."""
    return {"name": "api.store_score", "topics": ["feedback", "profile"], "store_id": store_id, "localized": False}


@router.get(
    "/public/stores/{slug}/products/{product_slug}/reviews",
    response={200: ReviewPageOut, 304: None, 404: Problem, 422: Problem, 429: Problem},
    summary="A product's published reviews",
)
def product_reviews(
    request: HttpRequest,
    slug: str = Path(..., pattern=SLUG_PATTERN),
    product_slug: str = Path(..., pattern=SLUG_PATTERN),
    cursor: str | None = Query(None, max_length=200),
) -> HttpResponse:
    """Published reviews of the product, newest first, with the product's star summary."""
    public_rate_check(request)
    if cursor and cursor_decode(cursor) is None:
        raise invalid_cursor()
    # By ids: the answer is the cached page of the product's store as long as its reviews have not
    # changed, and the product itself is read only to build it.
    product_id, store_id = portal_selectors.product_ids_public_by_slugs(store_slug=slug, product_slug=product_slug)

    def build() -> tuple[tuple[str, str], None]:
        product = portal_selectors.product_get_public_by_slugs(store_slug=slug, product_slug=product_slug)
        page = feedback_selectors.product_reviews(
            product=product, filters=feedback_selectors.ReviewFilters(), cursor=cursor
        )
        data = {
            "summary": summary_out(feedback_selectors.product_star_summary(product=product)),
            "automatic_count": page.automatic_count,
            "items": [review_out(request, review) for review in page.reviews],
            "next_cursor": page.next_cursor,
        }
        body = dump(ReviewPageOut, data)
        return (body, etag_of(body)), None

    body, etag = fragments.cached(
        **product_reviews_part(request, product_id=product_id, store_id=store_id, cursor=cursor), build=build
    )
    return cached_json(request, body, etag=etag)


def product_reviews_part(request: HttpRequest, *, product_id: int, store_id: int, cursor: str | None) -> dict[str, Any]:
    """Where `product_reviews` keeps its answer (`fragments.cached`'s arguments but the build), for
    the operation and for the reads answered ahead of the middleware (`api.public_reads`) alike.

    The same page for every caller until the store's reviews change (the product page's HTML
    list is kept the same way, under the same version); photo links are absolute, so per host.
    """
    return {
        "name": "api.product_reviews",
        "topics": ["feedback"],
        "store_id": store_id,
        "variant": (product_id, cursor, request.scheme, request.get_host()),
        "localized": False,
    }
