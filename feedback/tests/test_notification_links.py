"""Feedback notifications open the review form, the revision form or the order, for each side."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from feedback import services
from feedback.models import FeedbackWindow, ItemReview, ModerationDecision
from feedback.tests.conftest import buyer_rates, complete_order, seller_rates
from messaging.models import Notification
from messaging.tests.notification_links import assert_notifications_open_their_objects
from portal.tests.factories import UserFactory


def test_feedback_notifications_open_their_objects(client, buyer, seller, store, staff):
    start = timezone.now() - timedelta(days=42)
    window = FeedbackWindow.objects.get(order=complete_order(buyer, store, at=start, items=1))
    services.review_invite(window_id=window.pk, actor=seller, now=start + timedelta(days=1))
    assert services.feedback_reminders_sweep(now=timezone.now()) == 1
    buyer_rates(window, buyer, stars=3, text="Slow.", now=timezone.now() - timedelta(hours=3))
    seller_rates(window, seller, now=timezone.now() - timedelta(hours=2))
    review = ItemReview.objects.get(window=window)
    services.revision_request(review_id=review.pk, actor=seller, now=timezone.now() - timedelta(hours=1))

    # The owner's copy of "published" opens the store's order page, the buyer's the buyer's.
    published = {n.recipient_id: n.link() for n in Notification.objects.filter(kind="feedback_published")}
    assert published == {
        buyer.pk: reverse("portal:order_detail", args=[window.order_id]),
        seller.pk: reverse("portal:store_order_detail", args=[store.slug, window.order_id]),
    }
    assert_notifications_open_their_objects(
        client,
        kinds=[
            "feedback_invitation",
            "feedback_invitation_extra",
            "feedback_reminder",
            "feedback_published",
            "feedback_revision_requested",
        ],
        stranger=UserFactory(),
    )

    services.review_moderate(
        review_id=review.pk, moderator=staff, decision=ModerationDecision.Decision.REMOVE, now=timezone.now()
    )
    assert_notifications_open_their_objects(
        client, kinds=["feedback_review_removed"], stranger=UserFactory(), lists=[reverse("feedback:my_feedback")]
    )
