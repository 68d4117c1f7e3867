"""Every write of the feedback app: windows, reviews, ratings, replies, revisions, reports.

Lock order everywhere: the feedback window row, then the score locks (store shared, then
(store, buyer) pairs; see `feedback.scoring`), then review rows. Photos are written to
storage before any transaction opens (STYLE rule 5).
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from feedback import events, scoring
from feedback.models import (
    AdditionalReview,
    FeedbackWindow,
    HelpfulVote,
    ItemReview,
    ModerationDecision,
    ReviewReport,
    RevisionRequest,
    SellerRating,
    SellerReply,
    StoreRating,
)
from feedback.receipts import receipt_of
from portal.fragments import content_changed
from portal.integrity import integrity_check
from portal.models import Order, OrderItem, Photo, User
from portal.notify import notify
from portal.rules import rules_at
from portal.selectors import user_is_store_member
from portal.uploads import ValidatedPhoto, photo_store


def _check_stars(stars: int, label: str) -> None:
    if not isinstance(stars, int) or not 1 <= stars <= 5:
        raise ValidationError(_("%(what)s needs 1 to 5 stars.") % {"what": label}, code="stars")


def _check_text(text: str) -> None:
    if len(text) > settings.OPINIA_REVIEW_TEXT_MAX:
        raise ValidationError(
            _("Write at most %(limit)d characters.") % {"limit": settings.OPINIA_REVIEW_TEXT_MAX}, code="too_long"
        )


def _is_member(user: User, store_id: int) -> bool:
    return user_is_store_member(user=user, store_id=store_id)


def _store_photos(owner: User, photos: Sequence[ValidatedPhoto], now: datetime) -> list[Photo]:
    if len(photos) > settings.OPINIA_PHOTOS_PER_ITEM:
        raise ValidationError(
            _("Attach at most %(limit)d photos.") % {"limit": settings.OPINIA_PHOTOS_PER_ITEM}, code="too_many"
        )
    return [photo_store(owner=owner, photo=p, now=now) for p in photos]


def _db_time(moment: datetime) -> Any:
    """A datetime as the ORM would bind it (SQLite stores naive UTC text), for raw SQL."""
    return connection.ops.adapt_datetimefield_value(moment)


# --- Windows ------------------------------------------------------------------------------


def window_open(*, order: Order, now: datetime) -> FeedbackWindow:
    """Start the feedback clocks of a completed order and invite the buyer.

    Called inside the transaction that completes the order (receiver of
    `portal.services.register_order_completed_listener`), so the window and the invitation commit with it.
    The rules in force now (`portal.rules`) are copied onto the window, with their version.
    """
    rules = rules_at(now)
    closes_at = now + timedelta(days=rules.feedback_window_days)
    window, created = FeedbackWindow.objects.get_or_create(
        order=order,
        defaults={
            "store_id": order.store_id,
            "buyer_id": order.buyer_id,
            "completed_at": now,
            "closes_at": closes_at,
            "reminder_due_at": closes_at - timedelta(days=rules.feedback_reminder_days),
            "additional_until": now + timedelta(days=rules.additional_review_days),
            "automatic_stars": rules.automatic_rating_stars,
            "revision_request_days": rules.revision_request_days,
            "revision_answer_days": rules.revision_answer_days,
            "report_days": rules.report_days,
            "rules_version": rules.version,
        },
    )
    if created:
        notify(
            user_id=order.buyer_id,
            kind="feedback_invitation",
            params={"number": order.number, "days": rules.feedback_window_days, "order_id": order.pk},
            now=now,
        )
    return window


def _lock_window(window_id: int) -> FeedbackWindow:
    return FeedbackWindow.objects.select_for_update(of=("self",)).select_related("order__store").get(pk=window_id)


def _publish_content(windows: Sequence[tuple[int, int, int]], *, now: datetime, rated: set[int] | None = None) -> None:
    """Publish what exists on windows already marked published, and update the score.

    `windows` holds (window id, store id, buyer id); `rated` (default: all) the windows
    that have item ratings, the only ones that can move a merge chain. Runs in the
    caller's transaction, which holds the window rows; takes the score locks itself.
    """
    if not windows:
        return
    ids = [w[0] for w in windows]
    scoring.lock_stores_shared({w[1] for w in windows})
    pairs = {(w[1], w[2]) for w in windows if rated is None or w[0] in rated}
    scoring.lock_pairs(pairs)
    delta: scoring.Delta = {}
    day = scoring.utc_day(now)
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        _publish_seller_ratings(chunk, now=now)
        for store_id, *values in _publish_store_ratings(chunk, now=now):
            scoring.add_detailed(delta, store_id=store_id, day=day, values=values)
    # Item ratings are published by the same UPDATE that records their place in the score.
    publishing = ids if rated is None else sorted(rated)
    scoring.refresh_pairs(pairs, delta=delta, publish_windows=publishing, now=now)
    for store_id in {w[1] for w in windows}:
        content_changed(topic="feedback", store_id=store_id)


def _publish_seller_ratings(window_ids: Sequence[int], *, now: datetime) -> None:
    """Publish the ratings of the buyer on these windows (one array parameter on PostgreSQL)."""
    if connection.vendor == "postgresql":
        table = SellerRating._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET published_at = %s "  # noqa: S608 - table name from the model
                "WHERE window_id = ANY(%s::bigint[]) AND published_at IS NULL",
                [_db_time(now), list(window_ids)],
            )
        return
    SellerRating.objects.filter(window_id__in=window_ids, published_at__isnull=True).update(published_at=now)


def _publish_store_ratings(
    window_ids: Sequence[int], *, now: datetime
) -> list[tuple[int, int | None, int | None, int | None]]:
    """Publish the detailed ratings of these windows; returns (store, the three ratings) of each."""
    if connection.vendor == "postgresql":
        table = StoreRating._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET published_at = %s "  # noqa: S608 - table name from the model
                "WHERE window_id = ANY(%s::bigint[]) AND published_at IS NULL "
                "RETURNING store_id, as_described, communication, shipping",
                [_db_time(now), list(window_ids)],
            )
            return [(r[0], r[1], r[2], r[3]) for r in cursor.fetchall()]
    pending = StoreRating.objects.filter(window_id__in=window_ids, published_at__isnull=True)
    rows = list(pending.values_list("pk", "store_id", "as_described", "communication", "shipping"))
    StoreRating.objects.filter(pk__in=[r[0] for r in rows]).update(published_at=now)
    return [(r[1], r[2], r[3], r[4]) for r in rows]


def _publish_one(window: FeedbackWindow, *, now: datetime) -> None:
    window.state = FeedbackWindow.State.PUBLISHED
    window.published_at = now
    window.save(update_fields=["state", "published_at"])
    _publish_content([(window.pk, window.store_id, window.buyer_id)], now=now)
    events.windows_published(window_ids=[window.pk], store_ids={window.store_id}, window_ended=False, now=now)
    for user_id in {window.buyer_id, window.order.store.owner_id}:
        # The owner's copy names the store, so that it opens the store's order page.
        store = {} if user_id == window.buyer_id else {"store_slug": window.order.store.slug}
        notify(
            user_id=user_id,
            kind="feedback_published",
            params={"number": window.order.number, "order_id": window.order_id, **store},
            now=now,
        )


@dataclass(frozen=True)
class ItemInput:
    order_item_id: int
    stars: int
    text: str = ""
    photos: Sequence[ValidatedPhoto] = field(default_factory=tuple)


def review_submit(
    *,
    window_id: int,
    author: User,
    items: Sequence[ItemInput],
    as_described: int | None = None,
    communication: int | None = None,
    shipping: int | None = None,
    now: datetime,
) -> FeedbackWindow:
    """The buyer rates every item of the order (and optionally the store) in one go.

    Sealed until the seller has rated too; when the seller already has, both sides are
    published here, in the same transaction. Sealed feedback cannot be changed: a second
    submission is refused.
    """
    for item in items:
        _check_stars(item.stars, _("Every item"))
        _check_text(item.text)
    for value in (as_described, communication, shipping):
        if value is not None:
            _check_stars(value, _("A detailed rating"))
    window = FeedbackWindow.objects.filter(pk=window_id, buyer=author).select_related("order").first()
    if window is None:
        raise PermissionDenied
    _check_buyer_can_rate(window, now)
    stored = {item.order_item_id: _store_photos(author, item.photos, now) for item in items}
    with transaction.atomic():
        window = _lock_window(window_id)
        _check_buyer_can_rate(window, now)
        order_items = {oi.pk: oi for oi in window.order.items.all()}
        if set(order_items) != {item.order_item_id for item in items}:
            raise ValidationError(_("Rate every item of the order."), code="items")
        reviews = ItemReview.objects.bulk_create(
            [
                ItemReview(
                    window=window,
                    order_item_id=item.order_item_id,
                    product_id=order_items[item.order_item_id].product_id,
                    store_id=window.store_id,
                    buyer=author,
                    stars=item.stars,
                    text=item.text.strip(),
                    photo_count=len(stored[item.order_item_id]),
                    created_at=now,
                    receipt=receipt_of(
                        order_number=window.order.number,
                        order_item_id=item.order_item_id,
                        stars=item.stars,
                        text=item.text.strip(),
                        submitted_at=now,
                    ),
                )
                for item in items
            ]
        )
        for review, item in zip(reviews, items, strict=True):
            if stored[item.order_item_id]:
                review.photos.set(stored[item.order_item_id])
        if any(v is not None for v in (as_described, communication, shipping)):
            StoreRating.objects.create(
                window=window,
                store_id=window.store_id,
                as_described=as_described,
                communication=communication,
                shipping=shipping,
                created_at=now,
            )
        window.buyer_rated_at = now
        window.save(update_fields=["buyer_rated_at"])
        if window.seller_rated_at is not None:
            _publish_one(window, now=now)
    return window


def _check_buyer_can_rate(window: FeedbackWindow, now: datetime) -> None:
    if window.state != FeedbackWindow.State.PENDING or now >= window.closes_at:
        raise ValidationError(_("The feedback window of this order has closed."), code="closed")
    if window.buyer_rated_at is not None:
        raise ValidationError(_("You have already rated this order; sealed feedback cannot be changed."), code="done")


def seller_rating_submit(*, window_id: int, author: User, stars: int, text: str = "", now: datetime) -> FeedbackWindow:
    """A member of the store rates the buyer; publishes both sides if the buyer has rated."""
    _check_stars(stars, _("The buyer"))
    _check_text(text)
    with transaction.atomic():
        window = _lock_window(window_id)
        if not _is_member(author, window.store_id):
            raise PermissionDenied
        if window.state != FeedbackWindow.State.PENDING or now >= window.closes_at:
            raise ValidationError(_("The feedback window of this order has closed."), code="closed")
        if window.seller_rated_at is not None:
            raise ValidationError(_("This buyer has already been rated."), code="done")
        rating = SellerRating.objects.create(
            window=window,
            store_id=window.store_id,
            buyer_id=window.buyer_id,
            author=author,
            stars=stars,
            text=text.strip(),
            created_at=now,
        )
        window.seller_rated_at = now
        window.save(update_fields=["seller_rated_at"])
        integrity_check(source="seller_rating", source_id=rating.pk, now=now)
        if window.buyer_rated_at is not None:
            _publish_one(window, now=now)
    return window


# --- The window-close sweep -------------------------------------------------------------------


def _claim_due_windows(*, now: datetime, limit: int) -> list[tuple[int, int, int, bool]]:
    """Mark up to `limit` due windows published; returns (id, store, buyer, buyer rated) of each.

    The compare-and-set: `state = 'pending'` is re-checked by the UPDATE itself, and on
    PostgreSQL `SKIP LOCKED` lets two workers take disjoint batches without waiting.
    """
    table = FeedbackWindow._meta.db_table
    skip_locked = " FOR UPDATE SKIP LOCKED" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET state = 'published', published_at = %s "  # noqa: S608 - names from models
            f"WHERE state = 'pending' AND id IN (SELECT id FROM {table} WHERE state = 'pending' "
            f"AND closes_at <= %s ORDER BY closes_at LIMIT %s{skip_locked}) "
            "RETURNING id, store_id, buyer_id, buyer_rated_at",
            [_db_time(now), _db_time(now), limit],
        )
        # The column itself, not `IS NOT NULL`: SQLite evaluates that expression wrongly in RETURNING.
        return [(r[0], r[1], r[2], r[3] is not None) for r in cursor.fetchall()]


def automatic_review_values(*, true: str, false: str) -> dict[str, str]:
    """What the automatic rating's INSERT writes, by ItemReview field: an SQL expression each.

    Raw SQL applies no Python default, so every NOT NULL field of the model must be here (a
    test compares this with the model's fields); nullable ones not listed stay NULL. The two
    `%s` are the creation and publication moments; `w` is the window, `oi` the order item.
    """
    return {
        "window": "w.id",
        "order_item": "oi.id",
        "product": "oi.product_id",
        "store": "w.store_id",
        "buyer": "w.buyer_id",
        "stars": "w.automatic_stars",
        "text": "''",
        "photo_count": "0",
        "is_automatic": true,
        "created_at": "%s",
        "published_at": "%s",
        "has_additional": false,
        "has_reply": false,
        "revision_note": "''",
        "score_role": "''",
        "receipt": "''",
        "helpful_count": "0",
    }


def _leave_automatic_ratings(window_ids: Sequence[int], *, now: datetime) -> set[int]:
    """Insert the automatic rating on every item of the windows where the seller gave 4–5★
    and the buyer nothing; the unique order item is the final guard. Returns the windows."""
    if not window_ids:
        return set()
    review = ItemReview._meta.db_table
    window = FeedbackWindow._meta.db_table
    rating = SellerRating._meta.db_table
    item = OrderItem._meta.db_table
    chosen_params: list[Any]
    if connection.vendor == "postgresql":
        # One array parameter: the statement's text is the same every batch, and the driver does
        # not split and bind thousands of placeholders (Python time per window).
        chosen, chosen_params = "w.id = ANY(%s::bigint[])", [list(window_ids)]
    else:
        chosen, chosen_params = f"w.id IN ({', '.join(['%s'] * len(window_ids))})", list(window_ids)
    true = "true" if connection.vendor == "postgresql" else "1"
    false = "false" if connection.vendor == "postgresql" else "0"
    values = automatic_review_values(true=true, false=false)
    fields = {field.name: str(field.column) for field in ItemReview._meta.concrete_fields}
    columns = ", ".join(fields[name] for name in values)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {review} ({columns}) "  # noqa: S608 - names from the model
            f"SELECT {', '.join(values.values())} "
            f"FROM {window} w JOIN {rating} sr ON sr.window_id = w.id "
            f"JOIN {item} oi ON oi.order_id = w.order_id "
            f"WHERE {chosen} AND w.buyer_rated_at IS NULL AND sr.stars >= 4 "
            "ON CONFLICT (order_item_id) DO NOTHING RETURNING window_id",
            [_db_time(now), _db_time(now), *chosen_params],
        )
        return {r[0] for r in cursor.fetchall()}


def feedback_windows_close_batch(*, now: datetime, limit: int) -> int:
    """Close one batch of due windows set-based; returns how many windows it closed."""
    with transaction.atomic():
        claimed = _claim_due_windows(now=now, limit=limit)
        if not claimed:
            return 0
        automatic = _leave_automatic_ratings([w[0] for w in claimed if not w[3]], now=now)
        rated = automatic | {w[0] for w in claimed if w[3]}
        _publish_content([(w[0], w[1], w[2]) for w in claimed], now=now, rated=rated)
        events.windows_published(
            window_ids=[w[0] for w in claimed], store_ids={w[1] for w in claimed}, window_ended=True, now=now
        )
    return len(claimed)


def feedback_windows_close_sweep(*, now: datetime, batch_size: int | None = None) -> int:
    """Publish every window whose 45 days are over, leaving automatic ratings; returns windows closed."""
    batch_size = batch_size or settings.OPINIA_SWEEP_BATCH_SIZE
    closed = 0
    while True:
        done = feedback_windows_close_batch(now=now, limit=batch_size)
        closed += done
        if done < batch_size:
            return closed


def feedback_reminders_sweep(*, now: datetime, batch_size: int | None = None) -> int:
    """Remind buyers who have not rated, 5 days before the window closes; each window once."""
    batch_size = batch_size or settings.OPINIA_SWEEP_BATCH_SIZE
    reminded = 0
    while True:
        due = list(
            FeedbackWindow.objects.filter(
                state=FeedbackWindow.State.PENDING,
                reminded_at__isnull=True,
                buyer_rated_at__isnull=True,
                reminder_due_at__lte=now,
                closes_at__gt=now,
            )
            .order_by("reminder_due_at")
            .values_list("pk", "buyer_id", "order_id", "order__number", "closes_at")[:batch_size]
        )
        for window_id, buyer_id, order_id, number, closes_at in due:
            with transaction.atomic():
                claimed = FeedbackWindow.objects.filter(
                    pk=window_id, state=FeedbackWindow.State.PENDING, reminded_at__isnull=True
                ).update(reminded_at=now)
                if not claimed:
                    continue
                notify(
                    user_id=buyer_id,
                    kind="feedback_reminder",
                    params={"number": number, "days": max(1, (closes_at - now).days), "order_id": order_id},
                    now=now,
                )
                reminded += 1
        if len(due) < batch_size:
            return reminded


def review_invite(*, window_id: int, actor: User, now: datetime) -> None:
    """The seller's one extra invitation per order: platform text, while the buyer has not rated."""
    with transaction.atomic():
        window = _lock_window(window_id)
        if not _is_member(actor, window.store_id):
            raise PermissionDenied
        claimed = FeedbackWindow.objects.filter(
            pk=window_id,
            state=FeedbackWindow.State.PENDING,
            buyer_rated_at__isnull=True,
            extra_invited_at__isnull=True,
            closes_at__gt=now,
        ).update(extra_invited_at=now)
        if not claimed:
            if window.extra_invited_at is not None:
                raise ValidationError(_("This buyer has already been invited again."), code="done")
            raise ValidationError(
                _("The buyer can no longer be invited: the buyer has rated or the window has closed."), code="closed"
            )
        notify(
            user_id=window.buyer_id,
            kind="feedback_invitation_extra",
            params={"number": window.order.number, "store": window.order.store.name, "order_id": window.order_id},
            now=now,
        )


# --- After publication ------------------------------------------------------------------------


def additional_review_submit(
    *, window_id: int, author: User, text: str, photos: Sequence[ValidatedPhoto] = (), now: datetime
) -> AdditionalReview:
    """The buyer's one follow-up, after publication and until 150 days after completion."""
    text = text.strip()
    if not text:
        raise ValidationError(_("Write your additional review."), code="required")
    _check_text(text)
    window = FeedbackWindow.objects.filter(pk=window_id, buyer=author).first()
    if window is None:
        raise PermissionDenied
    _check_additional_allowed(window, now)
    stored = _store_photos(author, photos, now)
    with transaction.atomic():
        window = _lock_window(window_id)
        _check_additional_allowed(window, now)
        try:
            with transaction.atomic():
                additional = AdditionalReview.objects.create(
                    window=window, buyer=author, store_id=window.store_id, text=text, created_at=now
                )
        except IntegrityError:
            raise ValidationError(_("You have already added an additional review."), code="done") from None
        if stored:
            additional.photos.set(stored)
        ItemReview.objects.filter(window=window).update(has_additional=True)
        events.additional_posted(additional=additional, now=now)
        integrity_check(source="additional_review", source_id=additional.pk, now=now)
        content_changed(topic="feedback", store_id=window.store_id)
    return additional


def _check_additional_allowed(window: FeedbackWindow, now: datetime) -> None:
    if window.state != FeedbackWindow.State.PUBLISHED or window.buyer_rated_at is None:
        raise ValidationError(_("You can add to your review once it is published."), code="not_published")
    if now >= window.additional_until:
        raise ValidationError(_("The time for an additional review has passed."), code="closed")
    if hasattr(window, "additional_review"):
        raise ValidationError(_("You have already added an additional review."), code="done")


def reply_submit(
    *, author: User, text: str, now: datetime, review_id: int | None = None, additional_id: int | None = None
) -> SellerReply:
    """The store's one public reply to a published review (or additional review)."""
    text = text.strip()
    if not text:
        raise ValidationError(_("Write your reply."), code="required")
    _check_text(text)
    with transaction.atomic():
        if review_id is not None:
            review = ItemReview.objects.select_for_update().filter(pk=review_id).first()
            if review is None or not _is_member(author, review.store_id):
                raise PermissionDenied
            if not review.is_public or review.is_automatic:
                raise ValidationError(_("This review cannot be answered."), code="not_public")
            target_kwargs: dict[str, object] = {"item_review": review}
            reply_store_id = review.store_id
            model: type[ItemReview] | type[AdditionalReview] = ItemReview
            target_id = review.pk
        else:
            if additional_id is None:
                raise ValidationError(_("Nothing to reply to."), code="target")
            additional = AdditionalReview.objects.select_for_update().filter(pk=additional_id).first()
            if additional is None or not _is_member(author, additional.store_id):
                raise PermissionDenied
            target_kwargs = {"additional_review": additional}
            reply_store_id = additional.store_id
            model = AdditionalReview
            target_id = additional.pk
        try:
            with transaction.atomic():
                reply = SellerReply.objects.create(author=author, text=text, created_at=now, **target_kwargs)
        except IntegrityError:
            raise ValidationError(_("This review already has a reply."), code="done") from None
        model.objects.filter(pk=target_id).update(has_reply=True)
        events.reply_posted(reply=reply, now=now)
        integrity_check(source="reply", source_id=reply.pk, now=now)
        content_changed(topic="feedback", store_id=reply_store_id)
    return reply


def revision_request(*, review_id: int, actor: User, now: datetime) -> RevisionRequest:
    """Ask the buyer, once per review and within 30 days of publication, to reconsider."""
    with transaction.atomic():
        review = ItemReview.objects.select_for_update().select_related("window").filter(pk=review_id).first()
        if review is None or not _is_member(actor, review.store_id):
            raise PermissionDenied
        if not review.is_public or review.is_automatic or review.published_at is None:
            raise ValidationError(_("A revision can only be requested for a published review."), code="not_public")
        if now >= review.published_at + timedelta(days=review.window.revision_request_days):
            raise ValidationError(_("The time to request a revision has passed."), code="closed")
        if review.stars == 5:
            raise ValidationError(_("This review already has five stars."), code="max")
        try:
            with transaction.atomic():
                request = RevisionRequest.objects.create(
                    review=review,
                    requested_by=actor,
                    requested_at=now,
                    answer_due_at=now + timedelta(days=review.window.revision_answer_days),
                    old_stars=review.stars,
                )
        except IntegrityError:
            raise ValidationError(_("A revision was already requested for this review."), code="done") from None
        notify(
            user_id=review.buyer_id,
            kind="feedback_revision_requested",
            params={"days": review.window.revision_answer_days, "review_id": review.pk},
            now=now,
        )
        events.revision_requested(request=request, now=now)
    return request


def revision_answer(*, review_id: int, author: User, stars: int, note: str, now: datetime) -> ItemReview:
    """The buyer raises the stars (never lowers them) within 10 days of the request."""
    _check_stars(stars, _("The review"))
    _check_text(note)
    with transaction.atomic():
        review = ItemReview.objects.filter(pk=review_id, buyer=author).first()
        if review is None:
            raise PermissionDenied
        scoring.lock_stores_shared([review.store_id])
        scoring.lock_pairs([(review.store_id, review.buyer_id)])
        review = ItemReview.objects.select_for_update().get(pk=review_id)
        request = RevisionRequest.objects.select_for_update().filter(review=review).first()
        if request is None or request.answered_at is not None:
            raise ValidationError(_("No revision is waiting for your answer."), code="none")
        if now >= request.answer_due_at:
            raise ValidationError(_("The time to revise this review has passed."), code="closed")
        if stars < review.stars:
            raise ValidationError(_("A revision can raise the stars but never lower them."), code="lower")
        old = review.stars
        if review.original_stars is None:
            review.original_stars = old
        review.stars = stars
        review.revised_at = now
        review.revision_note = note.strip()
        review.save(update_fields=["stars", "original_stars", "revised_at", "revision_note"])
        request.answered_at = now
        request.new_stars = stars
        request.save(update_fields=["answered_at", "new_stars"])
        if review.is_public and old != stars:
            scoring.apply_star_delta({(review.product_id, old): -1, (review.product_id, stars): 1})
        if review.score_role == ItemReview.ScoreRole.COUNTED and review.published_at is not None:
            before, after = scoring.star_class(old), scoring.star_class(stars)
            if before != after:
                delta: scoring.Delta = {}
                day = scoring.utc_day(review.published_at)
                scoring.add_delta(delta, review.store_id, day, before, -1)
                scoring.add_delta(delta, review.store_id, day, after, 1)
                scoring.apply_delta(delta)
        events.revised(review=review, old_stars=old, now=now)
        content_changed(topic="feedback", store_id=review.store_id)
    return review


# --- Reporting and moderation ---------------------------------------------------------------


def review_report(*, review_id: int, reporter: User, reason: str, details: str = "", now: datetime) -> ReviewReport:
    """Report a published review within 30 days of publication; once per reporter."""
    if reason not in ReviewReport.Reason.values:
        raise ValidationError(_("Choose a reason."), code="reason")
    if len(details) > 500:
        raise ValidationError(_("Write at most %(limit)d characters.") % {"limit": 500}, code="too_long")
    review = ItemReview.objects.select_related("window").filter(pk=review_id).first()
    if review is None or not review.is_public or review.published_at is None:
        raise PermissionDenied
    if review.buyer_id == reporter.pk:
        raise ValidationError(_("You cannot report your own review."), code="own")
    if now >= review.published_at + timedelta(days=review.window.report_days):
        raise ValidationError(_("Reviews can be reported only within 30 days of publication."), code="closed")
    try:
        with transaction.atomic():
            report = ReviewReport.objects.create(
                review=review, reporter=reporter, reason=reason, details=details.strip(), created_at=now
            )
            integrity_check(source="review_report", source_id=report.pk, now=now)
            return report
    except IntegrityError:
        raise ValidationError(_("You have already reported this review."), code="done") from None


def review_moderate(*, review_id: int, moderator: User, decision: str, note: str = "", now: datetime) -> ItemReview:
    """Keep or remove a review; a removed review is hidden and leaves the score, never deleted."""
    if decision not in ModerationDecision.Decision.values:
        raise ValidationError(_("Unknown decision."), code="decision")
    if not moderator.has_perm("feedback.moderate_review"):
        raise PermissionDenied
    with transaction.atomic():
        head = ItemReview.objects.filter(pk=review_id).values_list("store_id", "buyer_id").first()
        if head is None:
            raise ValidationError(_("No such review."), code="missing")
        scoring.lock_stores_shared([head[0]])
        scoring.lock_pairs([head])
        review = ItemReview.objects.select_for_update().get(pk=review_id)
        ModerationDecision.objects.create(
            review=review, moderator=moderator, decision=decision, note=note.strip(), created_at=now
        )
        open_reports = ReviewReport.objects.filter(review=review, status=ReviewReport.Status.OPEN)
        if decision == ModerationDecision.Decision.REMOVE:
            open_reports.update(status=ReviewReport.Status.REMOVED, decided_at=now)
            if review.removed_at is None:
                review.removed_at = now
                review.save(update_fields=["removed_at"])
                if review.published_at is not None:
                    scoring.refresh_pairs([head])
                notify(
                    user_id=review.buyer_id, kind="feedback_review_removed", params={"review_id": review.pk}, now=now
                )
                if review.published_at is not None:
                    # A sealed review was never announced: removing it must not tell that the buyer rated.
                    events.review_removed(review=review, now=now)
        else:
            open_reports.update(status=ReviewReport.Status.KEPT, decided_at=now)
        content_changed(topic="feedback", store_id=review.store_id)
    return review


def _log_removal(*, moderator: User, obj: SellerReply | AdditionalReview | SellerRating) -> None:
    """The staff's trace of a removal on the object's admin history (untranslated, as the admin stores it)."""
    LogEntry.objects.log_actions(
        user_id=moderator.pk,
        queryset=[obj],
        action_flag=CHANGE,
        change_message=[{"changed": {"fields": ["removed"]}}],
        single_object=True,
    )


def reply_remove_by_moderator(*, reply_id: int, moderator: User, now: datetime) -> bool:
    """Hide a store's reply (to a review or to an additional review) that moderators found breaking the rules.

    Never deleted: the reply keeps its place under the review with a neutral placeholder, staff
    still read it in the admin. Returns whether it was still shown (a second removal changes nothing).
    """
    reply = SellerReply.objects.select_related("item_review", "additional_review").filter(pk=reply_id).first()
    if reply is None:
        raise ValidationError(_("This reply no longer exists."), code="missing")
    target = reply.item_review or reply.additional_review
    assert target is not None
    with transaction.atomic():
        removed = SellerReply.objects.filter(pk=reply_id, removed_at__isnull=True).update(removed_at=now)
        if removed:
            _log_removal(moderator=moderator, obj=reply)
            content_changed(topic="feedback", store_id=target.store_id)
    return bool(removed)


def additional_review_remove_by_moderator(*, additional_id: int, moderator: User, now: datetime) -> bool:
    """Hide a buyer's additional review that moderators found breaking the rules; never deleted.

    Its words give way to a neutral placeholder on every public list and in the API; the store's
    reply to it stays (it is moderated on its own). Returns whether it was still shown.
    """
    additional = AdditionalReview.objects.filter(pk=additional_id).first()
    if additional is None:
        raise ValidationError(_("This additional review no longer exists."), code="missing")
    with transaction.atomic():
        removed = AdditionalReview.objects.filter(pk=additional_id, removed_at__isnull=True).update(removed_at=now)
        if removed:
            _log_removal(moderator=moderator, obj=additional)
            content_changed(topic="feedback", store_id=additional.store_id)
    return bool(removed)


def seller_rating_remove_by_moderator(*, rating_id: int, moderator: User, now: datetime) -> bool:
    """Remove a store's rating of a buyer (e.g. retaliation after a dispute); never deleted.

    A removed rating no longer counts in the buyer's record, and the buyer sees a placeholder
    instead of its comment. Returns whether it was still counted.
    """
    rating = SellerRating.objects.filter(pk=rating_id).first()
    if rating is None:
        raise ValidationError(_("This rating no longer exists."), code="missing")
    with transaction.atomic():
        removed = SellerRating.objects.filter(pk=rating_id, removed_at__isnull=True).update(removed_at=now)
        if removed:
            _log_removal(moderator=moderator, obj=rating)
    return bool(removed)


def store_scores_recount(*, now: datetime) -> int:
    """Rebuild every store's buckets from the raw reviews; returns how many buckets were wrong."""
    return sum(scoring.store_score_recount(store_id=store_id) for store_id in scoring.stores_with_feedback())


def review_mark_helpful(*, review_id: int, voter: User, now: datetime) -> tuple[ItemReview, bool]:
    """Count `voter`'s "helpful" on a public review, once; returns (review, whether this vote was new).

    Refused for the review's author and for the people of the review's store. The unique
    constraint is the guard against two votes at once (a double click, two tabs); the count is
    moved by an F() update in the same transaction, so it always equals the votes. Only the
    review lists' `helpful` version moves: the score header stays cached.
    """
    review = ItemReview.objects.filter(pk=review_id, published_at__isnull=False, removed_at__isnull=True).first()
    if review is None or review.is_automatic:
        raise ItemReview.DoesNotExist
    if review.buyer_id == voter.pk:
        raise ValidationError(_("You cannot mark your own review as helpful."), code="own_review")
    if _is_member(voter, review.store_id):
        raise ValidationError(_("People of the store cannot vote on its reviews."), code="store_member")
    with transaction.atomic():
        try:
            with transaction.atomic():
                HelpfulVote.objects.create(review=review, voter=voter, created_at=now)
        except IntegrityError:
            return review, False
        ItemReview.objects.filter(pk=review.pk).update(helpful_count=F("helpful_count") + 1)
        content_changed(topic="helpful", store_id=review.store_id)
    review.refresh_from_db(fields=["helpful_count"])
    return review, True
