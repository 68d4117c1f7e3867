"""Review photos: who may see them, and what a page shows while the worker has not processed them."""

import io
import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from feedback import services
from feedback.models import FeedbackWindow, ItemReview
from feedback.tests.conftest import buyer_rates, complete_order, seller_rates
from portal.models import Photo
from portal.tests.factories import UserFactory
from portal.uploads import photo_process, validate_photo


def _photo(name="p.jpg", colour=(200, 30, 30)):
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, "JPEG")
    return validate_photo(SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg"))


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def moderator(db):
    user = UserFactory(email="mod@example.com", is_staff=True)
    user.groups.add(Group.objects.get(name="Moderators"))
    return user


@pytest.fixture
def published_with_photos(media, buyer, seller, store):
    """A published one-item order whose review and additional review each carry a processed photo."""
    now = timezone.now()
    order = complete_order(buyer, store, at=now - timedelta(days=2), items=1)
    window = FeedbackWindow.objects.select_related("order").get(order=order)
    buyer_rates(window, buyer, stars=1, text="Broken on arrival", photos=[_photo("review.jpg")], now=now)
    seller_rates(window, seller, now=now)
    services.additional_review_submit(
        window_id=window.pk, author=buyer, text="Still broken", photos=[_photo("later.jpg")], now=now
    )
    for photo in Photo.objects.all():
        photo_process(photo_id=photo.pk)
    review = ItemReview.objects.get(window=window)
    additional_photo = window.additional_review.photos.get()
    return review, review.photos.get(), additional_photo


def _status(client, user, photo, variant="photo"):
    client.logout()
    if user is not None:
        client.force_login(user)
    return client.get(reverse(f"portal:{variant}", args=[photo.uuid])).status_code


def test_removed_reviews_photos_and_its_additional_reviews_photos_are_404_to_the_public(
    client, published_with_photos, buyer, seller, other_buyer, staff, moderator
):
    review, review_photo, additional_photo = published_with_photos
    for photo in (review_photo, additional_photo):
        for variant in ("photo", "photo_thumbnail"):
            assert _status(client, None, photo, variant) == 200
            assert _status(client, other_buyer, photo, variant) == 200
    services.review_moderate(review_id=review.pk, moderator=moderator, decision="remove", now=timezone.now())
    for photo in (review_photo, additional_photo):
        for variant in ("photo", "photo_thumbnail"):
            assert _status(client, None, photo, variant) == 404
            assert _status(client, other_buyer, photo, variant) == 404
            assert _status(client, seller, photo, variant) == 404
            # Staff still see removed content, and so does its author.
            assert _status(client, staff, photo, variant) == 200
            assert _status(client, buyer, photo, variant) == 200


def test_additional_review_photos_stay_public_while_another_review_of_the_order_is(
    media, client, buyer, seller, store, other_buyer, moderator
):
    now = timezone.now()
    order = complete_order(buyer, store, at=now - timedelta(days=2), items=2)
    window = FeedbackWindow.objects.select_related("order").get(order=order)
    buyer_rates(window, buyer, stars=2, now=now)
    seller_rates(window, seller, now=now)
    services.additional_review_submit(window_id=window.pk, author=buyer, text="Later", photos=[_photo()], now=now)
    photo = Photo.objects.get()
    photo_process(photo_id=photo.pk)
    first, second = ItemReview.objects.filter(window=window).order_by("pk")
    services.review_moderate(review_id=first.pk, moderator=moderator, decision="remove", now=now)
    # The follow-up is still shown under the other item's public review.
    assert _status(client, other_buyer, photo) == 200
    services.review_moderate(review_id=second.pk, moderator=moderator, decision="remove", now=now)
    assert _status(client, other_buyer, photo) == 404
    assert _status(client, None, photo) == 404


THUMB_IMG = re.compile(r'<img[^>]*src="(/photos/[0-9a-f-]+/thumb/)"')


def test_a_photo_not_yet_processed_shows_a_placeholder_then_its_thumbnail(client, media, buyer, store, other_buyer):
    now = timezone.now()
    order = complete_order(buyer, store, at=now - timedelta(hours=1), items=1)
    client.force_login(buyer)
    item = order.items.get()
    upload = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 120, 30)).save(upload, "JPEG")
    sent = client.post(
        reverse("feedback:review_form", args=[order.pk]),
        {
            f"stars_{item.pk}": "4",
            f"text_{item.pk}": "Nice",
            f"photos_{item.pk}": SimpleUploadedFile("a.jpg", upload.getvalue(), "image/jpeg"),
        },
        follow=True,
    )
    photo = Photo.objects.get()
    assert photo.status == Photo.Status.PROCESSING  # the worker has not run
    html = sent.content.decode()
    assert "Photo processing…" in html
    poll = reverse("feedback:review_photo", args=[photo.uuid])
    assert f'hx-get="{poll}"' in html
    # No image on the page points at a thumbnail that would answer 404.
    for src in THUMB_IMG.findall(html):
        assert client.get(src).status_code == 200
    assert reverse("portal:photo_thumbnail", args=[photo.uuid]) not in html
    assert client.get(poll).status_code == 204  # still processing: nothing to swap
    # Nobody else learns about a sealed review's photo.
    client.force_login(other_buyer)
    assert client.get(poll).status_code == 404
    client.logout()
    assert client.get(poll).status_code == 404

    photo_process(photo_id=photo.pk)
    client.force_login(buyer)
    swapped = client.get(poll)
    assert swapped.status_code == 200
    thumb = reverse("portal:photo_thumbnail", args=[photo.uuid])
    assert f'src="{thumb}"' in swapped.content.decode()
    assert 'alt="Your photo"' in swapped.content.decode()
    page = client.get(reverse("feedback:review_form", args=[order.pk])).content.decode()
    assert THUMB_IMG.findall(page) == [thumb]
    assert "Photo processing…" not in page
    assert client.get(thumb).status_code == 200


def test_the_photo_poll_is_404_for_photos_that_are_not_review_photos(client, media, buyer):
    from portal.uploads import photo_store

    photo = photo_store(owner=buyer, photo=_photo())
    client.force_login(buyer)
    assert client.get(reverse("feedback:review_photo", args=[photo.uuid])).status_code == 404
    assert client.get("/feedback/photos/not-a-uuid/").status_code == 404
