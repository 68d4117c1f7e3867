"""Each event type is written to the outbox by the service that makes the change, in its transaction."""

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from disputes import services as disputes
from disputes import sweeps as dispute_sweeps
from disputes.models import Dispute, PenaltyEntry
from disputes.services import complaints
from disputes.tests.helpers import open_dispute
from feedback import services as feedback
from feedback.models import FeedbackWindow, ItemReview
from feedback.tests.conftest import buyer_rates, complete_order, seller_rates
from messaging import services as messaging
from portal.events import EVENT_TYPES
from portal.models import Order
from portal.tests.factories import make_order
from webhooks import services
from webhooks.models import WebhookDelivery, WebhookEvent

DAY = timedelta(days=1)


@pytest.fixture
def now():
    return timezone.now().replace(microsecond=0)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def marketplace(db):
    """The marketplace's endpoint, subscribed to everything: every event lands in the outbox."""
    return services.endpoint_create(
        store=None,
        actor=None,
        url="https://hooks.example.com/opinia",
        description="",
        event_types=EVENT_TYPES,
        now=timezone.now(),
    )


def _events(event_type):
    return list(WebhookEvent.objects.filter(type=event_type).order_by("pk"))


def _published(buyer, seller, store, now, *, stars=3):
    order = complete_order(buyer, store, at=now, items=1)
    window = FeedbackWindow.objects.select_related("order").get(order=order)
    buyer_rates(window, buyer, stars=stars, text="Works, slow shipping", now=now + DAY)
    seller_rates(window, seller, now=now + 2 * DAY)
    return window, ItemReview.objects.get(window=window)


def test_order_completed(buyer, store, now):
    order = make_order(buyer=buyer, store=store, status=Order.Status.COMPLETED, at=now)
    [event] = _events("order.completed")
    assert event.subject == f"order:{order.pk}"
    assert event.store_id == store.pk
    assert event.payload["order"] == {
        "id": order.pk,
        "number": order.number,
        "store": {"id": store.pk, "slug": store.slug},
    }
    assert WebhookDelivery.objects.filter(event=event).count() == 1


def test_mutual_publication_closes_the_window_and_publishes_the_review_never_before(buyer, seller, store, now):
    order = complete_order(buyer, store, at=now, items=1)
    window = FeedbackWindow.objects.get(order=order)
    buyer_rates(window, buyer, stars=4, text="Sealed words", now=now + DAY)
    assert _events("review.published") == []
    assert "Sealed words" not in str(list(WebhookEvent.objects.values_list("payload", flat=True)))
    seller_rates(window, seller, now=now + 2 * DAY)
    [closed] = _events("feedback.window_closed")
    [published] = _events("review.published")
    review = ItemReview.objects.get(window=window)
    assert (closed.subject, closed.payload["reason"], closed.payload["review_ids"]) == (
        f"order:{order.pk}",
        "both_rated",
        [review.pk],
    )
    assert published.subject == f"review:{review.pk}"
    assert (published.payload["stars"], published.payload["text"], published.payload["is_automatic"]) == (
        4,
        "Sealed words",
        False,
    )


def test_the_window_close_sweep_publishes_automatic_ratings(buyer, seller, store, now):
    order = complete_order(buyer, store, at=now, items=2)
    window = FeedbackWindow.objects.get(order=order)
    seller_rates(window, seller, stars=5, now=now + DAY)
    feedback.feedback_windows_close_sweep(now=window.closes_at)
    [closed] = _events("feedback.window_closed")
    assert closed.payload["reason"] == "window_ended"
    published = _events("review.published")
    assert len(published) == 2
    assert {event.payload["is_automatic"] for event in published} == {True}
    assert {event.payload["stars"] for event in published} == {4}


def test_review_reply_posted(buyer, seller, store, now):
    _window, review = _published(buyer, seller, store, now)
    reply = feedback.reply_submit(author=seller, text="Sorry about the wait", review_id=review.pk, now=now + 3 * DAY)
    [event] = _events("review.reply_posted")
    assert event.subject == f"review:{review.pk}"
    assert event.payload["reply"]["id"] == reply.pk
    assert event.payload["reply"]["text"] == "Sorry about the wait"


def test_review_removed(buyer, seller, store, staff, now):
    _window, review = _published(buyer, seller, store, now)
    feedback.review_moderate(review_id=review.pk, moderator=staff, decision="remove", now=now + 3 * DAY)
    [event] = _events("review.removed")
    assert event.payload["review"]["id"] == review.pk
    assert event.payload["removed_at"]


def test_a_sealed_review_removed_by_a_moderator_is_never_announced_nor_sent(buyer, seller, store, staff, now):
    order = complete_order(buyer, store, at=now, items=1)
    window = FeedbackWindow.objects.get(order=order)
    buyer_rates(window, buyer, stars=1, text="Sealed and removed", now=now + DAY)
    review = ItemReview.objects.get(window=window)
    feedback.review_moderate(review_id=review.pk, moderator=staff, decision="remove", now=now + DAY)
    assert _events("review.removed") == []
    seller_rates(window, seller, now=now + 2 * DAY)
    [closed] = _events("feedback.window_closed")
    assert closed.payload["review_ids"] == []
    assert _events("review.published") == []
    assert _events("review.removed") == []
    assert "Sealed and removed" not in str(list(WebhookEvent.objects.values_list("payload", flat=True)))


def test_a_sealed_review_removed_before_the_window_ends_is_not_sent_by_the_close_sweep(
    buyer, seller, store, staff, now
):
    order = complete_order(buyer, store, at=now, items=1)
    window = FeedbackWindow.objects.get(order=order)
    buyer_rates(window, buyer, stars=2, text="Removed while sealed", now=now + DAY)
    review = ItemReview.objects.get(window=window)
    feedback.review_moderate(review_id=review.pk, moderator=staff, decision="remove", now=now + DAY)
    feedback.feedback_windows_close_sweep(now=window.closes_at)
    [closed] = _events("feedback.window_closed")
    assert (closed.payload["reason"], closed.payload["review_ids"]) == ("window_ended", [])
    assert _events("review.published") == []
    assert _events("review.removed") == []
    assert "Removed while sealed" not in str(list(WebhookEvent.objects.values_list("payload", flat=True)))


def test_review_additional_posted(buyer, seller, store, now):
    window, review = _published(buyer, seller, store, now)
    additional = feedback.additional_review_submit(
        window_id=window.pk, author=buyer, text="Still fine", now=now + 5 * DAY
    )
    [event] = _events("review.additional_posted")
    assert event.payload["additional_review"]["id"] == additional.pk
    assert event.payload["review_ids"] == [review.pk]


def test_review_revision_requested_and_revised(buyer, seller, store, now):
    _window, review = _published(buyer, seller, store, now, stars=3)
    feedback.revision_request(review_id=review.pk, actor=seller, now=now + 3 * DAY)
    [requested] = _events("review.revision_requested")
    assert requested.subject == f"review:{review.pk}"
    assert requested.payload["answer_due_at"]
    feedback.revision_answer(review_id=review.pk, author=buyer, stars=5, note="Solved", now=now + 4 * DAY)
    [revised] = _events("review.revised")
    assert (revised.payload["old_stars"], revised.payload["stars"], revised.payload["note"]) == (3, 5, "Solved")
    assert revised.sequence > requested.sequence  # same subject, in order


def test_dispute_opened_offer_made_escalated(buyer, seller, store, now):
    dispute = open_dispute(buyer=buyer, store=store, now=now)
    [opened] = _events("dispute.opened")
    assert opened.subject == f"dispute:{dispute.pk}"
    assert opened.payload["dispute"]["requested"]["currency"] == dispute.order.currency
    disputes.dispute_make_offer(
        dispute_id=dispute.pk, actor=seller, kind=Dispute.Outcome.PARTIAL_REFUND, amount=Decimal("5.00"), now=now + DAY
    )
    [offer] = _events("dispute.offer_made")
    assert offer.payload["offer"]["refund"] == {"amount": "5.00", "currency": dispute.order.currency}
    assert offer.payload["offer"]["side"] == "seller"
    disputes.dispute_escalate(dispute_id=dispute.pk, actor=buyer, now=now + 3 * DAY)
    [escalated] = _events("dispute.escalated")
    assert escalated.payload["automatic"] is False
    assert [opened.sequence, offer.sequence, escalated.sequence] == [1, 2, 3]


def test_dispute_resolved(buyer, seller, store, now):
    dispute = open_dispute(buyer=buyer, store=store, now=now)
    disputes.dispute_accept_offer(dispute_id=dispute.pk, actor=seller, now=now + DAY)
    [event] = _events("dispute.resolved")
    assert event.payload["dispute"]["status"] == Dispute.Status.RESOLVED
    assert event.payload["refund"]["amount"] == str(dispute.requested_amount)


def _ignored_refusal(*, buyer, store, opened):
    order = make_order(buyer=buyer, store=store, status=Order.Status.PAID, at=opened - 10 * DAY)
    dispute = disputes.dispute_open(
        order_id=order.pk,
        buyer=buyer,
        reason=Dispute.Reason.REFUSED_TO_SHIP,
        requested_outcome=Dispute.Outcome.FULL_REFUND,
        description="Paid ten days ago, never shipped.",
        now=opened,
    )
    dispute_sweeps.sweep_dispute_deadlines(now=dispute.seller_response_due_at)
    return dispute


def test_penalty_added_store_restricted_and_lifted(buyer, other_buyer, store, seller, now):
    first = _ignored_refusal(buyer=buyer, store=store, opened=now - 10 * DAY)
    _ignored_refusal(buyer=other_buyer, store=store, opened=now - 9 * DAY)
    penalties = _events("penalty.added")
    assert [event.payload["penalty"]["points"] for event in penalties] == [12, 12]
    [restricted] = _events("store.restricted")
    assert restricted.subject == f"store:{store.pk}"
    assert restricted.payload["points"] == 24
    expiry = PenaltyEntry.objects.get(dispute=first).expires_at
    dispute_sweeps.stores_lift_restrictions(now=expiry)
    [lifted] = _events("store.restriction_lifted")
    assert lifted.payload == {
        "store": {"id": store.pk, "slug": store.slug},
        "restriction_id": restricted.payload["restriction_id"],
        "points": 12,
        "lifted_at": expiry.isoformat().replace("+00:00", "Z"),
    }
    assert [penalties[0].sequence, penalties[1].sequence, restricted.sequence, lifted.sequence] == [1, 2, 3, 4]


def test_message_received_from_a_buyer_but_not_the_stores_answer(buyer, seller, store, now):
    message, _new = messaging.conversation_start(buyer=buyer, store=store, text="Is it in stock?", now=now)
    [event] = _events("message.received")
    assert event.subject == f"conversation:{message.conversation_id}"
    assert event.payload["message"]["text"] == "Is it in stock?"
    messaging.message_send(
        conversation_id=message.conversation_id, sender=seller, side="store", text="Yes", now=now + DAY
    )
    assert len(_events("message.received")) == 1


def test_complaint_answered(buyer, staff, now):
    complaint = complaints.complaint_submit(author=buyer, subject="site", text="Search is broken", now=now)
    complaints.complaint_take(complaint_id=complaint.pk, staff=staff, now=now)
    complaints.complaint_answer(complaint_id=complaint.pk, staff=staff, answer="Fixed.", now=now + DAY)
    [event] = _events("complaint.answered")
    assert event.store_id is None  # the author's business and the platform's
    assert event.payload["complaint"]["id"] == complaint.pk
    assert "Fixed." not in str(event.payload)
    assert "Search is broken" not in str(event.payload)


def test_every_event_type_is_covered_here():
    source = Path(__file__).read_text()
    assert [event_type for event_type in EVENT_TYPES if f'"{event_type}"' not in source] == []
