"""Removing the content of a case, for every source the signals file: hidden from readers, kept for staff."""

from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group
from django.urls import reverse

from api import services as api_services
from api.models import ApiKey
from api.scopes import STORE_SCOPES
from api.tests.conftest import ApiClient
from disputes.models import DisputeMessage
from disputes.tests.helpers import open_dispute
from feedback import selectors as feedback_selectors
from feedback import services as feedback_services
from feedback.models import AdditionalReview, SellerRating, SellerReply
from messaging.models import Notification
from portal.tests.factories import UserFactory
from trust import services
from trust.models import Case, CaseDecision, Source

from .conftest import T0
from .helpers import completed_window, published_review, write

pytestmark = pytest.mark.django_db

OFFER = "Hi! Coupon for 5 stars, ok?"
PLACEHOLDER = "Removed by moderation"
DAY3 = timedelta(days=3)


@pytest.fixture
def moderator(db):
    user = UserFactory(email="mod@example.com", is_staff=True)
    user.groups.set(Group.objects.filter(name="Moderators"))
    return user


def _decide(client, case, decision="remove"):
    return client.post(reverse("admin:trust_case_decide", args=[case.pk]), {"decision": decision})


def _case(source):
    services.checks_sweep(now=T0 + timedelta(days=3))
    return Case.objects.filter(source=source).first()


def _public_api(store, product):
    return ApiClient(None).get(f"/api/v1/public/stores/{store.slug}/products/{product.slug}/reviews").content.decode()


def _product_page(client, review):
    return client.get(reverse("portal:product_page", args=[review.store.slug, review.product.slug])).content.decode()


def _check_decided_once(client, case, *, author, obj):
    """The common end of every removal: logged twice over, the author told, a second decision refused."""
    case.refresh_from_db()
    assert case.status == Case.Status.REMOVED
    assert CaseDecision.objects.filter(case=case, decision="remove").count() == 1
    assert LogEntry.objects.filter(object_id=str(obj.pk), content_type__model=obj._meta.model_name).exists()
    assert Notification.objects.get(kind="trust_content_removed").recipient == author
    response = _decide(client, case, "warn")
    assert response.status_code == 200
    assert "Cannot move case" in response.content.decode()
    assert CaseDecision.objects.filter(case=case).count() == 1


def test_every_source_the_signals_file_can_be_removed_but_a_days_burst():
    sources = {source for source in Source.values if services.case_can_remove(Case(source=source))}
    assert sources == set(Source.values) - {Source.STORE_DAY}


def test_a_burst_case_is_still_refused(client, moderator, store):
    case = Case.objects.create(
        kind=Case.Kind.BURST, source=Source.STORE_DAY, source_id=store.pk, store=store, created_at=T0
    )
    client.force_login(moderator)
    response = _decide(client, case)
    assert "This content cannot be removed from a case." in response.content.decode()
    assert Case.objects.get(pk=case.pk).status == Case.Status.OPEN


def test_a_reply_to_a_review_is_hidden_on_the_public_page_and_in_the_api(client, moderator, buyer, seller, store):
    reply_id, author, _other = write("reply", OFFER, buyer=buyer, seller=seller, store=store, at=T0)
    reply = SellerReply.objects.select_related("item_review__product", "item_review__store").get(pk=reply_id)
    review = reply.item_review
    # Warm the public caches first: the removal must renew them.
    assert "Coupon for 5 stars" in _product_page(client, review)
    assert "Coupon for 5 stars" in _public_api(store, review.product)
    case = _case(Source.REPLY)
    client.force_login(moderator)
    _decide(client, case)
    reply.refresh_from_db()
    assert reply.removed_at is not None
    assert reply.text == OFFER
    client.logout()
    page = _product_page(client, review)
    assert "Coupon for 5 stars" not in page
    assert PLACEHOLDER in page
    api = _public_api(store, review.product)
    assert "Coupon for 5 stars" not in api
    assert PLACEHOLDER in api
    client.force_login(moderator)
    staff_page = client.get(reverse("admin:feedback_itemreview_change", args=[review.pk])).content.decode()
    assert "Coupon for 5 stars" in staff_page
    _check_decided_once(client, case, author=author, obj=reply)


def test_an_additional_review_and_its_reply_are_hidden(client, moderator, buyer, seller, store):
    additional_id, author, _other = write("additional_review", OFFER, buyer=buyer, seller=seller, store=store, at=T0)
    additional = AdditionalReview.objects.get(pk=additional_id)
    reply = feedback_services.reply_submit(
        author=seller,
        text="Thanks, a bonus for 5 stars again!",
        additional_id=additional.pk,
        now=T0 + timedelta(days=2),
    )
    review = additional.window.item_reviews.select_related("product", "store").get()
    assert "Coupon for 5 stars" in _product_page(client, review)
    case = _case(Source.ADDITIONAL_REVIEW)
    client.force_login(moderator)
    _decide(client, case)
    additional.refresh_from_db()
    assert additional.removed_at is not None
    client.logout()
    page = _product_page(client, review)
    assert "Coupon for 5 stars" not in page
    assert PLACEHOLDER in page
    api = _public_api(store, review.product)
    assert "Coupon for 5 stars" not in api
    assert PLACEHOLDER in api
    # The reply to it is moderated on its own.
    assert "bonus for 5 stars again" in page
    client.force_login(moderator)
    staff_page = client.get(reverse("admin:feedback_feedbackwindow_change", args=[additional.window_id]))
    assert "Coupon for 5 stars" in staff_page.content.decode()
    _check_decided_once(client, case, author=author, obj=additional)
    assert feedback_services.reply_remove_by_moderator(reply_id=reply.pk, moderator=moderator, now=T0 + DAY3)
    api = _public_api(store, review.product)
    assert "bonus for 5 stars again" not in api
    assert "bonus for 5 stars again" not in _product_page(client, review)


def test_a_dispute_message_is_hidden_on_the_dispute_page_and_in_the_api(client, moderator, buyer, seller, store):
    message_id, author, _other = write("dispute_message", OFFER, buyer=buyer, seller=seller, store=store, at=T0)
    message = DisputeMessage.objects.get(pk=message_id)
    case = _case(Source.DISPUTE_MESSAGE)
    client.force_login(moderator)
    _decide(client, case)
    message.refresh_from_db()
    assert message.removed_at is not None
    assert message.text == OFFER
    client.force_login(buyer)
    page = client.get(reverse("disputes:detail", args=[message.dispute_id])).content.decode()
    assert "Coupon for 5 stars" not in page
    assert PLACEHOLDER in page
    key = api_services.api_key_issue(
        kind=ApiKey.Kind.STORE, store=store, name="Helpdesk", scopes=list(STORE_SCOPES), actor=seller, now=T0
    )
    api = ApiClient(key.secret).get(f"/api/v1/store/disputes/{message.dispute_id}").content.decode()
    assert "Coupon for 5 stars" not in api
    assert PLACEHOLDER in api
    # The dispute's admin page is the resolvers' (moderators do not read disputes); staff see the text there.
    client.force_login(UserFactory(email="resolver@example.com", is_staff=True, is_superuser=True))
    staff_page = client.get(reverse("admin:disputes_dispute_change", args=[message.dispute_id])).content.decode()
    assert PLACEHOLDER in staff_page
    assert "Coupon for 5 stars" in staff_page
    client.force_login(moderator)
    _check_decided_once(client, case, author=author, obj=message)


def test_a_retaliating_rating_of_a_buyer_stops_counting_and_is_hidden(client, moderator, buyer, seller, store):
    window = completed_window(buyer, store, at=T0)
    open_dispute(buyer=buyer, store=store, now=T0 + timedelta(hours=1), order=window.order)
    feedback_services.seller_rating_submit(
        window_id=window.pk, author=seller, stars=1, text="Never again", now=T0 + timedelta(hours=2)
    )
    rating = SellerRating.objects.get(window=window)
    SellerRating.objects.filter(pk=rating.pk).update(published_at=T0 + timedelta(hours=3))
    assert feedback_selectors.buyer_ratings_received(buyer=buyer) == (1, 1.0)
    case = _case(Source.SELLER_RATING)
    client.force_login(moderator)
    _decide(client, case)
    rating.refresh_from_db()
    assert rating.removed_at is not None
    assert rating.stars == 1
    assert feedback_selectors.buyer_ratings_received(buyer=buyer) == (0, None)
    staff_page = client.get(reverse("admin:feedback_sellerrating_change", args=[rating.pk])).content.decode()
    assert "Never again" in staff_page
    _check_decided_once(client, case, author=seller, obj=rating)


def test_removing_twice_through_the_services_changes_nothing_the_second_time(moderator, buyer, seller, store):
    review = published_review(buyer, seller, store, at=T0)
    reply = feedback_services.reply_submit(author=seller, text="Thanks", review_id=review.pk, now=T0 + DAY3)
    assert feedback_services.reply_remove_by_moderator(reply_id=reply.pk, moderator=moderator, now=T0 + DAY3)
    assert not feedback_services.reply_remove_by_moderator(reply_id=reply.pk, moderator=moderator, now=T0 + 2 * DAY3)
    reply.refresh_from_db()
    assert reply.removed_at == T0 + DAY3
    assert LogEntry.objects.filter(object_id=str(reply.pk)).count() == 1
