"""The feedback app's notification kinds and its rule for who may see review photos."""

from typing import Any

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from portal.models import Photo
from portal.notify import NotificationKind, register_notification_kind


def register() -> None:
    register_notification_kind(
        "feedback_invitation",
        NotificationKind(
            title=_("How was order %(number)s?"),
            body=_(
                "Your order %(number)s is complete. Rate the items and the store within %(days)s days: "
                "your review stays sealed until the seller has rated you too."
            ),
            sms=True,
        ),
    )
    register_notification_kind(
        "feedback_invitation_extra",
        NotificationKind(
            title=_("%(store)s would value your review of order %(number)s"),
            body=_("The store %(store)s invites you to rate order %(number)s. Your honest opinion helps other buyers."),
            sms=True,
        ),
    )
    register_notification_kind(
        "feedback_reminder",
        NotificationKind(
            title=_("%(days)s days left to rate order %(number)s"),
            body=_("The feedback window of order %(number)s closes in %(days)s days. Rate it before then."),
            sms=True,
        ),
    )
    register_notification_kind(
        "feedback_published",
        NotificationKind(
            title=_("Feedback on order %(number)s is published"),
            body=_("Both sides have rated order %(number)s, so both ratings are now visible."),
        ),
    )
    register_notification_kind(
        "feedback_revision_requested",
        NotificationKind(
            title=_("The seller asks you to reconsider a review"),
            body=_(
                "The seller has solved the problem, they say, and asks whether you would raise your stars. "
                "You have %(days)s days; you are free to leave the review as it is."
            ),
        ),
    )
    register_notification_kind(
        "feedback_review_removed",
        NotificationKind(
            title=_("One of your reviews was removed"),
            body=_("A moderator removed one of your reviews after a report. It no longer counts in the store score."),
        ),
    )


def photo_is_public_review(user: Any, photo: Photo) -> bool:
    """Anyone may see a photo of public review content; removed content's photos are not public.

    A review's photos are public while it is published and not removed. An additional review
    has no moderation of its own: it is shown under its order's public reviews, so its photos
    are public only while at least one review of the same order is (moderation that removes
    the order's reviews takes the follow-up's photos with them). Owners and staff are let in
    by the core before this check.
    """
    from feedback.models import AdditionalReview, ItemReview

    public = Q(published_at__isnull=False, removed_at__isnull=True)
    if ItemReview.objects.filter(public, photos=photo).exists():
        return True
    public_review_of_window = ItemReview.objects.filter(public, window_id=OuterRef("window_id"))
    return AdditionalReview.objects.filter(Exists(public_review_of_window), photos=photo).exists()
