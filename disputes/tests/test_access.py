"""BOLA matrix: every dispute, penalty and complaint URL and every evidence photo is a 404 to strangers."""

import pytest
from django.urls import reverse

from disputes import services
from disputes.models import Dispute
from disputes.services import complaints
from disputes.tests.helpers import DAY, dispute_in_state, open_dispute, validated_photo
from portal.tests.factories import make_order
from portal.uploads import photo_process

S = Dispute.Status

DISPUTE_URLS = ["detail", "offer", "accept", "message", "escalate", "cancel", "return_shipped", "return_received"]
COMPLAINT_URLS = ["complaint_detail", "complaint_rate", "complaint_follow_up", "complaint_close"]


@pytest.fixture
def case(buyer, seller, store, now):
    dispute = open_dispute(buyer=buyer, store=store, now=now - DAY, photos=1)
    message = services.dispute_post_message(
        dispute_id=dispute.pk, actor=seller, text="Our photo", photos=[validated_photo()], now=now
    )
    photos = [*dispute.photos.all(), *message.photos.all()]
    for photo in photos:
        photo_process(photo_id=photo.pk)
    return dispute, photos


@pytest.fixture
def strangers(other_buyer, other_seller):
    return [other_buyer, other_seller]


@pytest.mark.parametrize("name", DISPUTE_URLS)
@pytest.mark.parametrize("method", ["get", "post"])
def test_dispute_urls_are_404_to_strangers(client, case, strangers, name, method):
    dispute, _photos = case
    url = reverse(f"disputes:{name}", args=[dispute.pk])
    for stranger in strangers:
        client.force_login(stranger)
        response = getattr(client, method)(url, {"kind": "full_refund", "text": "x", "tracking_number": "x"})
        assert response.status_code == 404, (stranger, name, method)
    dispute.refresh_from_db()
    assert dispute.status == S.AWAITING_SELLER
    assert dispute.messages.count() == 1


@pytest.mark.parametrize("name", DISPUTE_URLS)
def test_dispute_urls_send_anonymous_users_to_login(client, case, name):
    dispute, _photos = case
    response = client.post(reverse(f"disputes:{name}", args=[dispute.pk]))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_parties_reach_the_case(client, case, buyer, seller, agent):
    dispute, _photos = case
    for user in (buyer, seller, agent):
        client.force_login(user)
        assert client.get(reverse("disputes:detail", args=[dispute.pk])).status_code == 200


@pytest.mark.parametrize("variant", ["portal:photo", "portal:photo_thumbnail"])
def test_evidence_photos_only_for_parties_and_staff(client, case, buyer, seller, agent, staff, strangers, variant):
    _dispute, photos = case
    assert len(photos) == 2
    for photo in photos:
        url = reverse(variant, args=[photo.uuid])
        for user in (buyer, seller, agent, staff):
            client.force_login(user)
            assert client.get(url).status_code == 200, (user, url)
        for stranger in strangers:
            client.force_login(stranger)
            assert client.get(url).status_code == 404
        client.logout()
        assert client.get(url).status_code == 404


@pytest.mark.parametrize("method", ["get", "post"])
def test_opening_on_someone_elses_order_is_404(client, buyer, other_buyer, store, now, method):
    order = make_order(buyer=buyer, store=store, status="shipped", at=now - 3 * DAY)
    client.force_login(other_buyer)
    response = getattr(client, method)(reverse("disputes:open", args=[order.pk]), {"reason": "damaged"})
    assert response.status_code == 404
    assert not Dispute.objects.exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_store_pages_are_404_to_non_members(
    client, store, other_buyer, other_seller, seller, buyer, staff, now, method
):
    dispute = dispute_in_state(
        status=S.ESCALATED, buyer=buyer, seller=seller, store=store, staff=staff, now=now - 4 * DAY
    )
    services.dispute_resolve_by_staff(
        dispute_id=dispute.pk, staff=staff, resolution="full_refund", responsibility="seller", note="", now=now
    )
    entry = dispute.penalties.get()
    urls = [
        reverse("disputes:store", args=[store.slug]),
        reverse("disputes:penalties", args=[store.slug]),
        reverse("disputes:appeal", args=[store.slug, entry.pk]),
        reverse("disputes:appeal", args=["erins-shop", entry.pk]),
    ]
    for stranger in (other_buyer, other_seller, buyer):
        client.force_login(stranger)
        for url in urls:
            response = getattr(client, method)(url, {"text": "appeal"})
            assert response.status_code == 404, (stranger, url)
    assert not entry.__class__.objects.filter(appeal__isnull=False).exists()


@pytest.mark.parametrize("name", COMPLAINT_URLS)
@pytest.mark.parametrize("method", ["get", "post"])
def test_complaint_urls_are_404_to_everyone_but_the_author(client, buyer, other_buyer, seller, now, name, method):
    complaint = complaints.complaint_submit(
        author=buyer, subject="site", text="Broken", photos=[validated_photo()], now=now
    )
    url = reverse(f"disputes:{name}", args=[complaint.pk])
    for stranger in (other_buyer, seller):
        client.force_login(stranger)
        assert getattr(client, method)(url, {"rating": "5", "text": "x"}).status_code == 404
    complaint.refresh_from_db()
    assert complaint.status == "new"


def test_complaint_attachments_only_for_the_author_and_staff(client, buyer, other_buyer, seller, staff, now):
    complaint = complaints.complaint_submit(
        author=buyer, subject="site", text="Broken", photos=[validated_photo()], now=now
    )
    photo = complaint.photos.get()
    photo_process(photo_id=photo.pk)
    url = reverse("portal:photo", args=[photo.uuid])
    for user, expected in ((buyer, 200), (staff, 200), (other_buyer, 404), (seller, 404)):
        client.force_login(user)
        assert client.get(url).status_code == expected
