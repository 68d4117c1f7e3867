"""The moderators' removals of replies, additional reviews and ratings of buyers: hidden, kept, logged, once."""

from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.core.exceptions import ValidationError
from django.urls import reverse

from feedback import selectors, services
from feedback.models import AdditionalReview, SellerRating, SellerReply
from portal.tests.factories import UserFactory

from .conftest import T0, buyer_rates, seller_rates

pytestmark = pytest.mark.django_db
HOUR = timedelta(hours=1)


@pytest.fixture
def moderator(db):
    return UserFactory(email="mod@example.com", is_staff=True, is_superuser=True)


@pytest.fixture
def published(window, buyer, seller):
    buyer_rates(window, buyer, stars=4, text="Good", now=T0 + HOUR)
    seller_rates(window, seller, stars=2, text="Slow to pay", now=T0 + 2 * HOUR)
    return window


def _page(client, review):
    return client.get(reverse("portal:product_page", args=[review.store.slug, review.product.slug])).content.decode()


def test_a_removed_reply_shows_the_placeholder_and_is_logged_once(client, published, seller, moderator):
    review = published.item_reviews.select_related("store", "product").order_by("pk").first()
    reply = services.reply_submit(author=seller, text="Liar, I will find you", review_id=review.pk, now=T0 + 3 * HOUR)
    assert "Liar, I will find you" in _page(client, review)
    assert services.reply_remove_by_moderator(reply_id=reply.pk, moderator=moderator, now=T0 + 4 * HOUR)
    assert not services.reply_remove_by_moderator(reply_id=reply.pk, moderator=moderator, now=T0 + 5 * HOUR)
    page = _page(client, review)
    assert "Liar, I will find you" not in page
    assert "Removed by moderation" in page
    stored = SellerReply.objects.get(pk=reply.pk)
    assert (stored.text, stored.removed_at) == ("Liar, I will find you", T0 + 4 * HOUR)
    assert LogEntry.objects.filter(object_id=str(reply.pk), user=moderator).count() == 1


def test_a_removed_additional_review_is_hidden_but_kept(client, published, buyer, moderator):
    additional = services.additional_review_submit(
        window_id=published.pk, author=buyer, text="Call me for a deal", now=T0 + timedelta(days=1)
    )
    review = published.item_reviews.select_related("store", "product").order_by("pk").first()
    assert services.additional_review_remove_by_moderator(
        additional_id=additional.pk, moderator=moderator, now=T0 + timedelta(days=2)
    )
    assert "Call me for a deal" not in _page(client, review)
    assert AdditionalReview.objects.get(pk=additional.pk).text == "Call me for a deal"
    client.force_login(moderator)
    staff = client.get(reverse("admin:feedback_feedbackwindow_change", args=[published.pk])).content.decode()
    assert "Call me for a deal" in staff


def test_a_removed_rating_of_a_buyer_leaves_the_buyers_record(client, published, buyer, moderator):
    rating = SellerRating.objects.get(window=published)
    assert selectors.buyer_ratings_received(buyer=buyer) == (1, 2.0)
    assert services.seller_rating_remove_by_moderator(rating_id=rating.pk, moderator=moderator, now=T0 + 3 * HOUR)
    assert selectors.buyer_ratings_received(buyer=buyer) == (0, None)
    assert SellerRating.objects.get(pk=rating.pk).stars == 2
    client.force_login(buyer)
    page = client.get(reverse("feedback:review_form", args=[published.order_id])).content.decode()
    assert "Slow to pay" not in page
    assert "Removed by moderation" in page


def test_a_missing_object_is_a_validation_error(moderator):
    with pytest.raises(ValidationError):
        services.reply_remove_by_moderator(reply_id=999999, moderator=moderator, now=T0)
    with pytest.raises(ValidationError):
        services.seller_rating_remove_by_moderator(rating_id=999999, moderator=moderator, now=T0)
