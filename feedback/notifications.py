"""The feedback app's notification kinds and its rule for who may see review photos."""

from collections.abc import Mapping
from typing import Any

from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from portal.models import Photo, RequestUser
from portal.notify import NotificationKind, register_notification_kind, register_notification_topic


def _review_form(params: Mapping[str, Any]) -> str:
    return reverse("feedback:review_form", args=[int(params["order_id"])])


def _order_page(params: Mapping[str, Any]) -> str:
    """The store's copy opens the store's order page, the buyer's copy the buyer's."""
    order_id = int(params["order_id"])
    if params.get("store_slug"):
        return reverse("portal:store_order_detail", args=[params["store_slug"], order_id])
    return reverse("portal:order_detail", args=[order_id])


def _revision_form(params: Mapping[str, Any]) -> str:
    return reverse("feedback:revision_answer", args=[int(params["review_id"])])


def _my_feedback(params: Mapping[str, Any]) -> str:
    # The removed review itself is hidden; the buyer's list of reviews says which one it was.
    return reverse("feedback:my_feedback")


def register() -> None:
    register_notification_topic("feedback", _("Reviews and ratings"))
    register_notification_kind(
        "feedback_invitation",
        NotificationKind(
            title=_("How was order %(number)s?"),
            body=_(
                "Your order %(number)s is complete. Rate the items and the store within %(days)s days: "
                "your review stays sealed until the seller has rated you too."
            ),
            sms=True,
            link=_review_form,
            topic="feedback",
        ),
    )
    register_notification_kind(
        "feedback_invitation_extra",
        NotificationKind(
            title=_("%(store)s would value your review of order %(number)s"),
            body=_("The store %(store)s invites you to rate order %(number)s. Your honest opinion helps other buyers."),
            sms=True,
            link=_review_form,
            topic="feedback",
        ),
    )
    register_notification_kind(
        "feedback_reminder",
        NotificationKind(
            title=_("%(days)s days left to rate order %(number)s"),
            body=_("The feedback window of order %(number)s closes in %(days)s days. Rate it before then."),
            sms=True,
            link=_review_form,
            topic="feedback",
        ),
    )
    register_notification_kind(
        "feedback_published",
        NotificationKind(
            title=_("Feedback on order %(number)s is published"),
            body=_("Both sides have rated order %(number)s, so both ratings are now visible."),
            link=_order_page,
            topic="feedback",
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
            link=_revision_form,
            topic="feedback",
        ),
    )
    register_notification_kind(
        "feedback_review_removed",
        NotificationKind(
            title=_("One of your reviews was removed"),
            body=_("A moderator removed one of your reviews after a report. It no longer counts in the store score."),
            link=_my_feedback,
            topic="feedback",
        ),
    )


def photo_is_public_review(user: RequestUser, photo: Photo) -> bool:
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
