"""The feedback events published to `portal.events` (the webhooks' outbox), one call per change.

Sealed feedback never appears here: a review's stars and text are first published with
`review.published`, and the later events name the review by id.
"""

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from feedback.models import AdditionalReview, FeedbackWindow, ItemReview, RevisionRequest, SellerReply
from portal.events import iso, order_reference, publish, stores_listening


def _review_reference(review: ItemReview) -> dict[str, Any]:
    return {
        "id": review.pk,
        "order": order_reference(review.window.order),
        "order_item_id": review.order_item_id,
        "product_id": review.product_id,
    }


def _publish_review(event_type: str, review: ItemReview, extra: dict[str, Any], *, now: datetime) -> None:
    publish(
        event_type=event_type,
        store_id=review.store_id,
        subject=f"review:{review.pk}",
        payload={"review": _review_reference(review), **extra},
        now=now,
    )


def windows_published(
    *, window_ids: Sequence[int], store_ids: Collection[int], window_ended: bool, now: datetime
) -> None:
    """`feedback.window_closed` per window, then `review.published` per review it published (automatic ones too).

    `store_ids` are the windows' stores, which the caller has in hand (the sweep's claim
    returns them): asking the database again would cost a statement per batch.
    """
    # The close sweep publishes thousands of windows a run: ask once who listens, and build
    # payloads only for those stores.
    listening = stores_listening(event_types=("feedback.window_closed", "review.published"), store_ids=store_ids)
    if not listening:
        return
    windows = (
        FeedbackWindow.objects.filter(pk__in=window_ids, store_id__in=listening)
        .select_related("order__store")
        .order_by("pk")
    )
    reviews: dict[int, list[ItemReview]] = {}
    # A review a moderator removed while it was sealed is never sent: its stars and text stay private.
    published_now = ItemReview.objects.filter(
        window_id__in=window_ids, store_id__in=listening, published_at=now, removed_at__isnull=True
    )
    for review in published_now.order_by("pk"):
        reviews.setdefault(review.window_id, []).append(review)
    for window in windows:
        published = reviews.get(window.pk, [])
        publish(
            event_type="feedback.window_closed",
            store_id=window.store_id,
            subject=f"order:{window.order_id}",
            payload={
                "window_id": window.pk,
                "order": order_reference(window.order),
                "reason": "window_ended" if window_ended else "both_rated",
                "published_at": iso(now),
                "review_ids": [review.pk for review in published],
            },
            now=now,
        )
        for review in published:
            review.window = window
            _publish_review(
                "review.published",
                review,
                {
                    "stars": review.stars,
                    "text": review.text,
                    "is_automatic": review.is_automatic,
                    "photo_count": review.photo_count,
                    "published_at": iso(review.published_at),
                },
                now=now,
            )


def reply_posted(*, reply: SellerReply, now: datetime) -> None:
    """`review.reply_posted`, about the review answered (for an additional review: the order's first review)."""
    additional_id = reply.additional_review_id
    reviews = ItemReview.objects.select_related("window__order__store")
    item_review_id = reply.item_review_id
    if item_review_id is not None:
        review = reviews.get(pk=item_review_id)
    else:
        assert additional_id is not None  # a reply answers a review or an additional review
        additional = AdditionalReview.objects.filter(pk=additional_id).values_list("window_id", flat=True)
        window_id = additional.get()
        review = reviews.filter(window_id=window_id).order_by("pk")[0]
    _publish_review(
        "review.reply_posted",
        review,
        {"additional_review_id": additional_id, "reply": {"id": reply.pk, "text": reply.text, "posted_at": iso(now)}},
        now=now,
    )


def review_removed(*, review: ItemReview, now: datetime) -> None:
    review = ItemReview.objects.select_related("window__order__store").get(pk=review.pk)
    _publish_review("review.removed", review, {"removed_at": iso(review.removed_at)}, now=now)


def additional_posted(*, additional: AdditionalReview, now: datetime) -> None:
    window = FeedbackWindow.objects.select_related("order__store").get(pk=additional.window_id)
    publish(
        event_type="review.additional_posted",
        store_id=additional.store_id,
        subject=f"order:{window.order_id}",
        payload={
            "additional_review": {
                "id": additional.pk,
                "text": additional.text,
                "posted_at": iso(additional.created_at),
            },
            "order": order_reference(window.order),
            "review_ids": list(window.item_reviews.order_by("pk").values_list("pk", flat=True)),
        },
        now=now,
    )


def revision_requested(*, request: RevisionRequest, now: datetime) -> None:
    review = ItemReview.objects.select_related("window__order__store").get(pk=request.review_id)
    _publish_review(
        "review.revision_requested",
        review,
        {"requested_at": iso(request.requested_at), "answer_due_at": iso(request.answer_due_at)},
        now=now,
    )


def revised(*, review: ItemReview, old_stars: int, now: datetime) -> None:
    review = ItemReview.objects.select_related("window__order__store").get(pk=review.pk)
    _publish_review(
        "review.revised",
        review,
        {
            "old_stars": old_stars,
            "stars": review.stars,
            "note": review.revision_note,
            "revised_at": iso(review.revised_at),
        },
        now=now,
    )
