"""Store keys, feedback: rating buyers, invitations, the reviews' change feed, replies, revision
requests, reports and the score — through `feedback.services` and `feedback.selectors` only.

Every object is looked up inside the key's store (another store's is a 404). Only published
reviews are ever read: sealed content never leaves, not even to its own store.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, Literal

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from ninja import Header, Path, Query, Router, Schema
from pydantic import Field

from api.auth import request_key, request_store, store_key
from api.pagination import DEFAULT_LIMIT, MAX_LIMIT, decode_cursor, keyset_page
from api.routers.public import ReviewOut, ScoreOut, review_out, score_out
from api.schemas import KEY_PROBLEMS, dump, problems, utc
from api.writes import api_write, json_response
from feedback import selectors as feedback_selectors
from feedback import services as feedback_services
from feedback.forms import ReplyForm, ReportForm, SellerRatingForm
from feedback.models import FeedbackWindow, ItemReview, ReviewReport
from portal.models import User
from portal.pagination import Cursor, cursor_encode
from portal.selectors import user_is_store_member

router = Router(tags=["feedback"])

ID = Path(..., ge=1, le=2**63 - 1)
UPDATED_SINCE = Query(
    None,
    max_length=64,
    description="Only reviews that changed after this moment (ISO 8601; UTC if no offset).",
    format="date-time",
)
IdempotencyKey = Header(
    None,
    alias="Idempotency-Key",
    max_length=255,
    description="Send the same key again to get the first response again instead of a second effect.",
)


def store_actor(request: HttpRequest) -> User:
    """The person a store key acts as in the store's services: the member who created the key,
    or the store's owner once that person has left the store."""
    key = request_key(request)
    store = request_store(request)
    if key.created_by is not None and user_is_store_member(user=key.created_by, store_id=store.pk):
        return key.created_by
    return store.owner


def form_check(form: forms.Form) -> dict[str, Any]:
    """The page form's own checks and messages; its errors name the request's fields."""
    if not form.is_valid():
        raise ValidationError({field: list(errors) for field, errors in form.errors.items()})
    return form.cleaned_data


def parse_moment(value: str) -> datetime | None:
    """An ISO 8601 moment (UTC when it has no offset), or None for anything else; no Unix times."""
    try:
        moment = parse_datetime(value.strip())
    except ValueError:
        return None
    if moment is None:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def as_not_found(error: PermissionDenied) -> Http404:
    return Http404(str(error))


@contextmanager
def service_fields(codes: dict[str, str]) -> Iterator[None]:
    """Name the request field a service's plain ValidationError is about, by its code
    (`{"required": "text"}`); state errors (closed, done) stay about the whole request."""
    try:
        yield
    except ValidationError as error:
        if hasattr(error, "error_dict") or error.code not in codes:
            raise
        raise ValidationError({codes[error.code]: error.messages}) from None


# --- Schemas ---------------------------------------------------------------------------------


class AwaitingOut(Schema):
    order_id: int
    order_number: str
    order_ref: str | None = Field(description="The marketplace's reference of the order, when it came through the API.")
    buyer_name: str
    completed_at: datetime
    closes_at: datetime = Field(description="The store can rate the buyer until then.")
    buyer_rated: bool = Field(description="Whether the buyer has rated (what they wrote stays sealed until both have).")
    invited_again_at: datetime | None = Field(description="When *Invite review* was pressed (once per order).")


class AwaitingPage(Schema):
    items: list[AwaitingOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


class BuyerRatingIn(Schema):
    stars: int = Field(json_schema_extra={"minimum": 1, "maximum": 5}, description="1 to 5.")
    text: str = Field(default="", description="Optional comment, at most 1000 characters.")


class WindowOut(Schema):
    order_id: int
    order_number: str
    state: Literal["pending", "published"] = Field(
        description="pending: sealed until the buyer rates or the window closes."
    )
    seller_rated_at: datetime | None
    invited_again_at: datetime | None
    published_at: datetime | None


class ReplyIn(Schema):
    text: str = Field(description="The public reply, at most 1000 characters.")


class ReplyCreatedOut(Schema):
    text: str
    created_at: datetime


class RevisionOut(Schema):
    requested_at: datetime
    answer_due_at: datetime
    answered_at: datetime | None
    old_stars: int
    new_stars: int | None


class ReportIn(Schema):
    reason: str = Field(description="One of " + ", ".join(f"`{value}`" for value in ReviewReport.Reason.values) + ".")
    details: str = Field(default="", description="Optional, at most 500 characters.")


class ReportOut(Schema):
    review_id: int
    reason: str
    status: str
    created_at: datetime


class ChangeOut(Schema):
    kind: Literal[
        "published",
        "revised",
        "reply_posted",
        "additional_posted",
        "additional_reply_posted",
        "revision_requested",
        "removed",
    ]
    at: datetime


class ReviewChangeOut(Schema):
    review_id: int
    product_slug: str
    state: Literal["published", "removed"] = Field(description="A removed review comes without its content.")
    automatic: bool = Field(description="An automatic rating left when the window closed.")
    changed_at: datetime = Field(description="The latest of `changes`: the feed's order.")
    changes: list[ChangeOut] = Field(description="What happened to the review, oldest first.")
    review: ReviewOut | None = Field(description="The review as the public sees it; null once removed.")
    revision: RevisionOut | None


class ReviewChangePage(Schema):
    items: list[ReviewChangeOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page. Keep the last page's "
        "last `changed_at` as the next `updated_since`."
    )


# --- Helpers ---------------------------------------------------------------------------------


def window_out(window: FeedbackWindow) -> dict[str, object]:
    return {
        "order_id": window.order_id,
        "order_number": window.order.number,
        "state": window.state,
        "seller_rated_at": utc(window.seller_rated_at),
        "invited_again_at": utc(window.extra_invited_at),
        "published_at": utc(window.published_at),
    }


def revision_out(review: ItemReview) -> dict[str, object] | None:
    request = getattr(review, "revision_request", None)
    if request is None:
        return None
    return {
        "requested_at": utc(request.requested_at),
        "answer_due_at": utc(request.answer_due_at),
        "answered_at": utc(request.answered_at),
        "old_stars": request.old_stars,
        "new_stars": request.new_stars,
    }


def changes_of(review: ItemReview) -> list[tuple[str, datetime]]:
    reply = getattr(review, "reply", None) if review.has_reply else None
    request = getattr(review, "revision_request", None)
    additional = review.additional
    additional_reply = getattr(additional, "reply", None) if additional is not None and additional.has_reply else None
    moments: list[tuple[str, datetime | None]] = [
        ("published", review.published_at),
        ("revision_requested", request.requested_at if request is not None else None),
        ("revised", review.revised_at),
        ("reply_posted", reply.created_at if reply is not None else None),
        ("additional_posted", additional.created_at if additional is not None else None),
        ("additional_reply_posted", additional_reply.created_at if additional_reply is not None else None),
        ("removed", review.removed_at),
    ]
    return sorted(((kind, at) for kind, at in moments if at is not None), key=lambda change: change[1])


def change_out(request: HttpRequest, review: ItemReview) -> dict[str, object]:
    removed = review.removed_at is not None
    changes = changes_of(review)
    if removed:
        # A removal tells that the review is gone, never what it said or what followed it.
        changes = [change for change in changes if change[0] in {"published", "removed"}]
    return {
        "review_id": review.pk,
        "product_slug": review.product.slug,
        "state": "removed" if removed else "published",
        "automatic": review.is_automatic,
        "changed_at": utc(review.changed_at),  # type: ignore[attr-defined]
        "changes": [{"kind": kind, "at": utc(at)} for kind, at in changes],
        "review": None if removed else review_out(request, review),
        "revision": None if removed else revision_out(review),
    }


# --- Rating buyers and inviting reviews -------------------------------------------------------


@router.get(
    "/store/feedback/awaiting",
    auth=store_key("feedback:read"),
    response={200: AwaitingPage, **problems(*KEY_PROBLEMS)},
    summary="Orders awaiting the store's rating of the buyer",
)
def awaiting_list(
    request: HttpRequest,
    cursor: str | None = Query(None, max_length=200),
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
) -> HttpResponse:
    """Completed orders whose feedback window is open and whose buyer the store has not rated yet, newest first."""
    windows = feedback_selectors.windows_awaiting_seller(store=request_store(request), now=timezone.now())
    page, next_cursor = keyset_page(windows, cursor=cursor, limit=limit, moment_field="completed_at")
    items = [
        {
            "order_id": window.order_id,
            "order_number": window.order.number,
            "order_ref": window.order.external_ref or None,
            "buyer_name": window.buyer.public_name,
            "completed_at": utc(window.completed_at),
            "closes_at": utc(window.closes_at),
            "buyer_rated": window.buyer_rated_at is not None,
            "invited_again_at": utc(window.extra_invited_at),
        }
        for window in page
    ]
    return json_response(dump(AwaitingPage, {"items": items, "next_cursor": next_cursor}))


@router.post(
    "/store/orders/{order_id}/buyer-rating",
    auth=store_key("feedback:write"),
    response={201: WindowOut, **problems(*KEY_PROBLEMS, 404)},
    summary="Rate the buyer of an order",
)
def buyer_rate(
    request: HttpRequest, payload: BuyerRatingIn, order_id: int = ID, idempotency_key: str | None = IdempotencyKey
) -> HttpResponse:
    """The store's rating of the buyer, once per order while the window is open; it stays sealed
    until the buyer has rated too (or the window closes)."""

    def action() -> tuple[int, str]:
        store = request_store(request)
        window = feedback_selectors.window_get_for_store(store=store, order_id=order_id)
        data = form_check(SellerRatingForm({"stars": str(payload.stars), "text": payload.text}))
        try:
            with service_fields({"stars": "stars", "too_long": "text"}):
                feedback_services.seller_rating_submit(
                    window_id=window.pk,
                    author=store_actor(request),
                    stars=data["stars"],
                    text=data["text"],
                    now=timezone.now(),
                )
        except PermissionDenied as error:
            raise as_not_found(error) from None
        return 201, dump(WindowOut, window_out(feedback_selectors.window_get_for_store(store=store, order_id=order_id)))

    return api_write(request, action, idempotency_key=idempotency_key)


@router.post(
    "/store/orders/{order_id}/review-invitation",
    auth=store_key("feedback:write"),
    response={201: WindowOut, **problems(*KEY_PROBLEMS, 404)},
    summary="Invite the buyer to review the order again",
)
def review_invite(
    request: HttpRequest, order_id: int = ID, idempotency_key: str | None = IdempotencyKey
) -> HttpResponse:
    """*Invite review*: one extra invitation per order, with the platform's text, while the buyer
    has not rated and the window is open."""

    def action() -> tuple[int, str]:
        store = request_store(request)
        window = feedback_selectors.window_get_for_store(store=store, order_id=order_id)
        try:
            feedback_services.review_invite(window_id=window.pk, actor=store_actor(request), now=timezone.now())
        except PermissionDenied as error:
            raise as_not_found(error) from None
        return 201, dump(WindowOut, window_out(feedback_selectors.window_get_for_store(store=store, order_id=order_id)))

    return api_write(request, action, idempotency_key=idempotency_key)


# --- Reviews ---------------------------------------------------------------------------------


@router.get(
    "/store/reviews",
    auth=store_key("feedback:read"),
    response={200: ReviewChangePage, **problems(*KEY_PROBLEMS)},
    summary="The store's reviews and what changed since a moment",
)
def review_changes(
    request: HttpRequest,
    updated_since: str | None = UPDATED_SINCE,
    cursor: str | None = Query(None, max_length=200),
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
) -> HttpResponse:
    """A change feed of the store's published reviews, oldest change first: publications
    (automatic ratings too), revisions, replies, additional reviews and their replies, revision
    requests and removals. A review appears once, with its latest state; a removed review
    appears as a removal without its content. Sealed reviews never appear."""
    after = None
    if cursor:
        position = decode_cursor(cursor)
        if position is not None:
            after = (position.moment, position.pk)
    since = None
    if updated_since is not None:
        since = parse_moment(updated_since)
        if since is None:
            message = str(forms.DateTimeField.default_error_messages["invalid"])
            raise ValidationError({"updated_since": message})
    rows = feedback_selectors.review_changes(store=request_store(request), since=since, after=after, limit=limit + 1)
    page = rows[:limit]
    next_cursor = None
    if len(rows) > limit:
        last = page[-1]
        next_cursor = cursor_encode(Cursor(last.changed_at, last.pk))  # type: ignore[attr-defined]
    items = [change_out(request, review) for review in page]
    return json_response(dump(ReviewChangePage, {"items": items, "next_cursor": next_cursor}))


@router.get(
    "/store/reviews/{review_id}",
    auth=store_key("feedback:read"),
    response={200: ReviewOut, **problems(*KEY_PROBLEMS, 404)},
    summary="One published review of the store",
)
def store_review(request: HttpRequest, review_id: int = ID) -> HttpResponse:
    """A published review of the key's store; a sealed review or another store's is a 404."""
    review = feedback_selectors.review_get_for_store(store=request_store(request), review_id=review_id)
    return json_response(dump(ReviewOut, review_out(request, review)))


def _reply(
    request: HttpRequest, payload: ReplyIn, idempotency_key: str | None, find: Callable[[], object], **target: int
) -> HttpResponse:
    def action() -> tuple[int, str]:
        find()
        data = form_check(ReplyForm({"text": payload.text}))
        try:
            with service_fields({"required": "text", "too_long": "text"}):
                reply = feedback_services.reply_submit(
                    author=store_actor(request), text=data["text"], now=timezone.now(), **target
                )
        except PermissionDenied as error:
            raise as_not_found(error) from None
        return 201, dump(ReplyCreatedOut, {"text": reply.text, "created_at": utc(reply.created_at)})

    return api_write(request, action, idempotency_key=idempotency_key)


@router.post(
    "/store/reviews/{review_id}/reply",
    auth=store_key("feedback:write"),
    response={201: ReplyCreatedOut, **problems(*KEY_PROBLEMS, 404)},
    summary="Reply to a review",
)
def review_reply(
    request: HttpRequest, payload: ReplyIn, review_id: int = ID, idempotency_key: str | None = IdempotencyKey
) -> HttpResponse:
    """The store's one public reply to a published, written review."""
    store = request_store(request)
    return _reply(
        request,
        payload,
        idempotency_key,
        lambda: feedback_selectors.review_get_for_store(store=store, review_id=review_id),
        review_id=review_id,
    )


@router.post(
    "/store/additional-reviews/{additional_id}/reply",
    auth=store_key("feedback:write"),
    response={201: ReplyCreatedOut, **problems(*KEY_PROBLEMS, 404)},
    summary="Reply to an additional review",
)
def additional_reply(
    request: HttpRequest, payload: ReplyIn, additional_id: int = ID, idempotency_key: str | None = IdempotencyKey
) -> HttpResponse:
    """The store's one public reply to the buyer's additional review."""
    store = request_store(request)
    return _reply(
        request,
        payload,
        idempotency_key,
        lambda: feedback_selectors.additional_get_for_store(store=store, additional_id=additional_id),
        additional_id=additional_id,
    )


@router.post(
    "/store/reviews/{review_id}/revision-request",
    auth=store_key("feedback:write"),
    response={201: RevisionOut, **problems(*KEY_PROBLEMS, 404)},
    summary="Ask the buyer to reconsider a review",
)
def revision_request(
    request: HttpRequest, review_id: int = ID, idempotency_key: str | None = IdempotencyKey
) -> HttpResponse:
    """Once per review, within the window's days after publication, for fewer than five stars."""

    def action() -> tuple[int, str]:
        feedback_selectors.review_get_for_store(store=request_store(request), review_id=review_id)
        try:
            revision = feedback_services.revision_request(
                review_id=review_id, actor=store_actor(request), now=timezone.now()
            )
        except PermissionDenied as error:
            raise as_not_found(error) from None
        return 201, dump(
            RevisionOut,
            {
                "requested_at": utc(revision.requested_at),
                "answer_due_at": utc(revision.answer_due_at),
                "answered_at": None,
                "old_stars": revision.old_stars,
                "new_stars": None,
            },
        )

    return api_write(request, action, idempotency_key=idempotency_key)


@router.post(
    "/store/reviews/{review_id}/reports",
    auth=store_key("feedback:write"),
    response={201: ReportOut, **problems(*KEY_PROBLEMS, 404)},
    summary="Report a review to the moderators",
)
def review_report(
    request: HttpRequest, payload: ReportIn, review_id: int = ID, idempotency_key: str | None = IdempotencyKey
) -> HttpResponse:
    """Report a published review of the store within 30 days of its publication, once."""

    def action() -> tuple[int, str]:
        feedback_selectors.review_get_for_store(store=request_store(request), review_id=review_id)
        data = form_check(ReportForm({"reason": payload.reason, "details": payload.details}))
        try:
            with service_fields({"reason": "reason", "too_long": "details"}):
                report = feedback_services.review_report(
                    review_id=review_id,
                    reporter=store_actor(request),
                    reason=data["reason"],
                    details=data["details"],
                    now=timezone.now(),
                )
        except PermissionDenied as error:
            raise as_not_found(error) from None
        return 201, dump(
            ReportOut,
            {
                "review_id": review_id,
                "reason": report.reason,
                "status": report.status,
                "created_at": utc(report.created_at),
            },
        )

    return api_write(request, action, idempotency_key=idempotency_key)


# --- The score -------------------------------------------------------------------------------


@router.get(
    "/store/score",
    auth=store_key("feedback:read"),
    response={200: ScoreOut, **problems(*KEY_PROBLEMS)},
    summary="The store's score with its explanation",
)
def store_score(request: HttpRequest) -> HttpResponse:
    """The score of the store page: counted, merged, left out and older ratings, detailed ratings, stars."""
    return json_response(dump(ScoreOut, score_out(request_store(request))))
