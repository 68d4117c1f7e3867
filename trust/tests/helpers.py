"""Texts of every source written through the owning apps' services."""

from datetime import timedelta

from disputes import services as dispute_services
from disputes.tests.helpers import open_dispute
from feedback import services as feedback_services
from feedback.models import FeedbackWindow, ItemReview
from messaging import services as messaging_services
from messaging.models import Side
from portal.models import Order
from portal.tests.factories import ProductFactory, make_order

DAY = timedelta(days=1)


def completed_window(buyer, store, *, at):
    order = make_order(
        buyer=buyer, store=store, status=Order.Status.COMPLETED, products=[ProductFactory(store=store)], at=at - 3 * DAY
    )
    return FeedbackWindow.objects.select_related("order").get(order=order)


def published_review(buyer, seller, store, *, at, text="Fine."):
    window = completed_window(buyer, store, at=at)
    item = window.order.items.get()
    feedback_services.review_submit(
        window_id=window.pk,
        author=buyer,
        items=[feedback_services.ItemInput(order_item_id=item.pk, stars=2, text=text)],
        now=at + timedelta(hours=1),
    )
    feedback_services.seller_rating_submit(window_id=window.pk, author=seller, stars=5, now=at + timedelta(hours=2))
    return ItemReview.objects.get(window=window)


def write(source, text, *, buyer, seller, store, at):
    """Write `text` as `source` through its service; returns (source id, author, other party)."""
    if source == "message":
        message, _new = messaging_services.conversation_start(buyer=buyer, store=store, text="Hello", now=at)
        reply = messaging_services.message_send(
            conversation_id=message.conversation_id, sender=seller, side=Side.STORE, text=text, now=at + DAY / 24
        )
        return reply.pk, seller, buyer
    if source == "reply":
        review = published_review(buyer, seller, store, at=at)
        reply = feedback_services.reply_submit(author=seller, text=text, review_id=review.pk, now=at + DAY)
        return reply.pk, seller, buyer
    if source == "additional_review":
        review = published_review(buyer, seller, store, at=at)
        additional = feedback_services.additional_review_submit(
            window_id=review.window_id, author=buyer, text=text, now=at + DAY
        )
        return additional.pk, buyer, None
    if source == "dispute_message":
        dispute = open_dispute(buyer=buyer, store=store, now=at)
        post = dispute_services.dispute_post_message(dispute_id=dispute.pk, actor=seller, text=text, now=at + DAY / 24)
        return post.pk, seller, buyer
    raise AssertionError(source)
