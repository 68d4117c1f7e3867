from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError

from feedback import selectors, services
from feedback.models import AdditionalReview, ItemReview, ModerationDecision, ReviewReport, SellerReply
from feedback.tests.conftest import T0, buyer_rates, seller_rates

PUBLISHED = T0 + timedelta(days=2)


@pytest.fixture
def published(window, buyer, seller):
    buyer_rates(window, buyer, stars=2, text="Scratched", now=T0 + timedelta(days=1))
    seller_rates(window, seller, stars=5, now=PUBLISHED)
    window.refresh_from_db()
    return window


@pytest.fixture
def review(published):
    return ItemReview.objects.filter(window=published).order_by("pk").first()


@pytest.fixture
def moderator(db):
    from portal.tests.factories import UserFactory

    user = UserFactory(email="mod@example.com", is_staff=True)
    user.groups.add(Group.objects.get_or_create(name="Moderators")[0])
    return user


# --- Additional review (150 days after completion) ----------------------------------------


def test_additional_review_until_day_150_not_a_second_later(published, buyer):
    with pytest.raises(ValidationError, match="passed"):
        services.additional_review_submit(
            window_id=published.pk, author=buyer, text="Still fine", now=T0 + timedelta(days=150)
        )
    services.additional_review_submit(
        window_id=published.pk, author=buyer, text="Still fine", now=T0 + timedelta(days=150) - timedelta(seconds=1)
    )
    assert AdditionalReview.objects.get(window=published).text == "Still fine"
    assert set(ItemReview.objects.filter(window=published).values_list("has_additional", flat=True)) == {True}
    with pytest.raises(ValidationError, match="already"):
        services.additional_review_submit(window_id=published.pk, author=buyer, text="Again", now=PUBLISHED)


def test_no_additional_review_before_publication_or_by_others(window, buyer, other_buyer):
    buyer_rates(window, buyer, now=T0 + timedelta(days=1))
    with pytest.raises(ValidationError, match="once it is published"):
        services.additional_review_submit(window_id=window.pk, author=buyer, text="More", now=T0 + timedelta(days=2))
    with pytest.raises(PermissionDenied):
        services.additional_review_submit(
            window_id=window.pk, author=other_buyer, text="More", now=T0 + timedelta(days=2)
        )


# --- Seller reply ---------------------------------------------------------------------------


def test_one_reply_per_review_and_per_additional_review(published, review, seller, agent, buyer):
    services.reply_submit(author=agent, text="Sorry, we will send a new one.", review_id=review.pk, now=PUBLISHED)
    with pytest.raises(ValidationError, match="already has a reply"):
        services.reply_submit(author=seller, text="Again", review_id=review.pk, now=PUBLISHED)
    review.refresh_from_db()
    assert review.has_reply
    assert review.text == "Scratched"  # the buyer's words are never touched
    additional = services.additional_review_submit(window_id=published.pk, author=buyer, text="Fixed", now=PUBLISHED)
    services.reply_submit(author=seller, text="Glad to hear", additional_id=additional.pk, now=PUBLISHED)
    assert SellerReply.objects.count() == 2


def test_no_reply_to_sealed_reviews_or_from_strangers(window, buyer, other_seller, seller):
    buyer_rates(window, buyer, now=T0 + timedelta(days=1))
    sealed = ItemReview.objects.filter(window=window).first()
    with pytest.raises(ValidationError):
        services.reply_submit(author=seller, text="Hi", review_id=sealed.pk, now=T0 + timedelta(days=1))
    with pytest.raises(PermissionDenied):
        services.reply_submit(author=other_seller, text="Hi", review_id=sealed.pk, now=T0 + timedelta(days=1))


# --- Revision request (30 days) and answer (10 days) ------------------------------------------


def test_revision_request_within_30_days_once(published, review, seller):
    with pytest.raises(ValidationError, match="passed"):
        services.revision_request(review_id=review.pk, actor=seller, now=PUBLISHED + timedelta(days=30))
    services.revision_request(review_id=review.pk, actor=seller, now=PUBLISHED + timedelta(days=30, seconds=-1))
    with pytest.raises(ValidationError, match="already requested"):
        services.revision_request(review_id=review.pk, actor=seller, now=PUBLISHED + timedelta(days=1))


def test_revision_answer_within_10_days_raises_never_lowers(published, review, seller, buyer):
    asked = PUBLISHED + timedelta(days=3)
    services.revision_request(review_id=review.pk, actor=seller, now=asked)
    with pytest.raises(ValidationError, match="never lower"):
        services.revision_answer(review_id=review.pk, author=buyer, stars=1, note="", now=asked)
    with pytest.raises(ValidationError, match="passed"):
        services.revision_answer(review_id=review.pk, author=buyer, stars=5, note="ok", now=asked + timedelta(days=10))
    services.revision_answer(
        review_id=review.pk, author=buyer, stars=5, note="Replaced quickly", now=asked + timedelta(days=10, seconds=-1)
    )
    review.refresh_from_db()
    assert (review.original_stars, review.stars, review.revision_note) == (2, 5, "Replaced quickly")
    with pytest.raises(ValidationError, match="No revision"):
        services.revision_answer(review_id=review.pk, author=buyer, stars=5, note="", now=asked)


def test_revision_moves_a_counted_rating_between_classes(published, review, seller, buyer, store):
    before = selectors.store_score(store=store, now=PUBLISHED)
    assert (before.positive, before.negative, before.merged) == (0, 1, 1)
    services.revision_request(review_id=review.pk, actor=seller, now=PUBLISHED)
    services.revision_answer(review_id=review.pk, author=buyer, stars=4, note="", now=PUBLISHED)
    after = selectors.store_score(store=store, now=PUBLISHED)
    assert (after.positive, after.negative, after.merged) == (1, 0, 1)


# --- Reports (30 days) and moderation -----------------------------------------------------------


def test_report_within_30_days_once_per_reporter(published, review, seller, other_buyer):
    with pytest.raises(ValidationError, match="30 days"):
        services.review_report(
            review_id=review.pk, reporter=seller, reason="extortion", now=PUBLISHED + timedelta(days=30)
        )
    services.review_report(
        review_id=review.pk, reporter=seller, reason="extortion", now=PUBLISHED + timedelta(days=30, seconds=-1)
    )
    with pytest.raises(ValidationError, match="already reported"):
        services.review_report(review_id=review.pk, reporter=seller, reason="offensive", now=PUBLISHED)
    services.review_report(review_id=review.pk, reporter=other_buyer, reason="unrelated", now=PUBLISHED)
    assert ReviewReport.objects.filter(review=review, status="open").count() == 2


def test_sealed_reviews_cannot_be_reported_and_nobody_reports_their_own(window, buyer, seller):
    buyer_rates(window, buyer, now=T0 + timedelta(days=1))
    sealed = ItemReview.objects.filter(window=window).first()
    with pytest.raises(PermissionDenied):
        services.review_report(review_id=sealed.pk, reporter=seller, reason="unrelated", now=T0 + timedelta(days=1))
    seller_rates(window, seller, now=T0 + timedelta(days=1))
    with pytest.raises(ValidationError, match="own"):
        services.review_report(review_id=sealed.pk, reporter=buyer, reason="unrelated", now=T0 + timedelta(days=1))


def test_removal_hides_the_review_and_takes_it_out_of_the_score(published, review, seller, moderator, store, product):
    services.review_report(review_id=review.pk, reporter=seller, reason="offensive", now=PUBLISHED)
    services.review_moderate(review_id=review.pk, moderator=moderator, decision="remove", note="Insults", now=PUBLISHED)
    review.refresh_from_db()
    assert review.removed_at == PUBLISHED
    assert ItemReview.objects.filter(pk=review.pk).exists()  # never deleted
    assert review.score_role == ItemReview.ScoreRole.REMOVED
    assert ReviewReport.objects.get(review=review).status == "removed"
    decision = ModerationDecision.objects.get(review=review)
    assert (decision.moderator, decision.decision, decision.note) == (moderator, "remove", "Insults")
    score = selectors.store_score(store=store, now=PUBLISHED)
    # The other item of the order was merged into the removed one; now it counts instead.
    assert (score.negative, score.merged, score.removed) == (1, 0, 1)
    page = selectors.product_reviews(product=review.product, filters=selectors.ReviewFilters())
    assert review not in page.reviews


def test_keep_closes_the_reports(published, review, seller, moderator):
    services.review_report(review_id=review.pk, reporter=seller, reason="competitor", now=PUBLISHED)
    services.review_moderate(review_id=review.pk, moderator=moderator, decision="keep", now=PUBLISHED)
    review.refresh_from_db()
    assert review.removed_at is None
    assert ReviewReport.objects.get(review=review).status == "kept"


def test_only_moderators_decide(review, seller):
    with pytest.raises(PermissionDenied):
        services.review_moderate(review_id=review.pk, moderator=seller, decision="remove", now=PUBLISHED)
