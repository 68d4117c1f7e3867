from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from feedback import services
from feedback.models import FeedbackWindow, ItemReview, SellerRating, StoreRating
from feedback.tests.conftest import T0, buyer_rates, complete_order, seller_rates
from messaging.models import Notification


def test_completion_opens_a_window_with_the_rules_in_force(buyer, store, settings):
    settings.OPINIA_FEEDBACK_WINDOW_DAYS = 45
    order = complete_order(buyer, store)
    window = FeedbackWindow.objects.get(order=order)
    assert window.state == FeedbackWindow.State.PENDING
    assert window.completed_at == order.completed_at == T0
    assert window.closes_at == T0 + timedelta(days=45)
    assert window.reminder_due_at == T0 + timedelta(days=40)
    assert window.additional_until == T0 + timedelta(days=150)
    settings.OPINIA_FEEDBACK_WINDOW_DAYS = 7  # a later rule change never rewrites this order
    window.refresh_from_db()
    assert window.closes_at == T0 + timedelta(days=45)
    invitation = Notification.objects.get(recipient=buyer, kind="feedback_invitation")
    assert order.number in invitation.title()


def test_buyer_rating_stays_sealed_until_the_seller_rates(window, buyer, seller):
    buyer_rates(window, buyer, stars=2, text="Broken on arrival", now=T0 + timedelta(days=1))
    window.refresh_from_db()
    assert window.state == FeedbackWindow.State.PENDING
    assert window.buyer_rated_at == T0 + timedelta(days=1)
    assert not ItemReview.objects.filter(window=window, published_at__isnull=False).exists()

    seller_rates(window, seller, stars=4, now=T0 + timedelta(days=2))
    window.refresh_from_db()
    assert window.state == FeedbackWindow.State.PUBLISHED
    assert window.published_at == T0 + timedelta(days=2)
    assert set(ItemReview.objects.filter(window=window).values_list("published_at", flat=True)) == {window.published_at}
    assert SellerRating.objects.get(window=window).published_at == window.published_at


def test_seller_first_then_buyer_publishes_both_with_detailed_ratings(window, buyer, seller):
    seller_rates(window, seller, stars=5, now=T0 + timedelta(days=1))
    assert SellerRating.objects.get(window=window).published_at is None
    buyer_rates(window, buyer, stars=4, now=T0 + timedelta(days=3), details=(5, 4, None))
    rating = StoreRating.objects.get(window=window)
    assert (rating.as_described, rating.communication, rating.shipping) == (5, 4, None)
    assert rating.published_at == T0 + timedelta(days=3)
    assert SellerRating.objects.get(window=window).published_at == T0 + timedelta(days=3)


def test_sealed_feedback_cannot_be_changed(window, buyer, seller):
    buyer_rates(window, buyer, stars=3, now=T0 + timedelta(days=1))
    with pytest.raises(ValidationError, match="already rated"):
        buyer_rates(window, buyer, stars=5, now=T0 + timedelta(days=2))
    seller_rates(window, seller, stars=5, now=T0 + timedelta(days=1))
    with pytest.raises(ValidationError):
        seller_rates(window, seller, stars=1, now=T0 + timedelta(days=2))
    assert set(ItemReview.objects.filter(window=window).values_list("stars", flat=True)) == {3}


def test_buyer_can_rate_one_second_before_the_window_closes_but_not_at(buyer, store):
    early = FeedbackWindow.objects.get(order=complete_order(buyer, store))
    late = FeedbackWindow.objects.get(order=complete_order(buyer, store))
    buyer_rates(early, buyer, now=T0 + timedelta(days=45) - timedelta(seconds=1))
    with pytest.raises(ValidationError, match="closed"):
        buyer_rates(late, buyer, now=T0 + timedelta(days=45))


def test_only_the_buyer_rates_and_only_members_rate_the_buyer(window, other_buyer, other_seller, buyer):
    with pytest.raises(PermissionDenied):
        buyer_rates(window, other_buyer, now=T0 + timedelta(days=1))
    with pytest.raises(PermissionDenied):
        seller_rates(window, other_seller, now=T0 + timedelta(days=1))
    with pytest.raises(PermissionDenied):
        seller_rates(window, buyer, now=T0 + timedelta(days=1))


def test_agent_may_rate_the_buyer(window, agent):
    seller_rates(window, agent, stars=4, now=T0 + timedelta(days=1))
    assert SellerRating.objects.get(window=window).author == agent


def test_every_item_must_be_rated_with_one_to_five_stars(window, buyer):
    first = window.order.items.order_by("pk").first()
    with pytest.raises(ValidationError, match="every item"):
        services.review_submit(
            window_id=window.pk,
            author=buyer,
            items=[services.ItemInput(order_item_id=first.pk, stars=5)],
            now=T0 + timedelta(days=1),
        )
    with pytest.raises(ValidationError):
        buyer_rates(window, buyer, stars=6, now=T0 + timedelta(days=1))
    with pytest.raises(ValidationError):
        buyer_rates(window, buyer, stars=4, text="x" * 1001, now=T0 + timedelta(days=1))
    assert not ItemReview.objects.exists()


def test_stars_are_a_database_check(window, buyer):
    from django.db import IntegrityError, transaction

    item = window.order.items.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        ItemReview.objects.create(
            window=window,
            order_item=item,
            product=item.product,
            store=window.store,
            buyer=buyer,
            stars=0,
            created_at=T0,
        )


def test_extra_invitation_once_while_open_and_unrated(window, seller, buyer):
    services.review_invite(window_id=window.pk, actor=seller, now=T0 + timedelta(days=3))
    assert Notification.objects.filter(recipient=buyer, kind="feedback_invitation_extra").count() == 1
    with pytest.raises(ValidationError, match="already been invited"):
        services.review_invite(window_id=window.pk, actor=seller, now=T0 + timedelta(days=4))
    assert Notification.objects.filter(recipient=buyer, kind="feedback_invitation_extra").count() == 1


def test_no_extra_invitation_after_the_buyer_rated_or_for_strangers(window, seller, buyer, other_seller):
    with pytest.raises(PermissionDenied):
        services.review_invite(window_id=window.pk, actor=other_seller, now=T0 + timedelta(days=1))
    buyer_rates(window, buyer, now=T0 + timedelta(days=1))
    with pytest.raises(ValidationError, match="no longer"):
        services.review_invite(window_id=window.pk, actor=seller, now=T0 + timedelta(days=2))


def test_reminder_five_days_before_close_once(window, buyer):
    due = T0 + timedelta(days=40)
    assert services.feedback_reminders_sweep(now=due - timedelta(seconds=1)) == 0
    assert services.feedback_reminders_sweep(now=due) == 1
    assert services.feedback_reminders_sweep(now=due + timedelta(hours=1)) == 0
    assert Notification.objects.filter(recipient=buyer, kind="feedback_reminder").count() == 1


def test_no_reminder_when_the_buyer_has_rated(window, buyer):
    buyer_rates(window, buyer, now=T0 + timedelta(days=1))
    assert services.feedback_reminders_sweep(now=T0 + timedelta(days=41)) == 0
