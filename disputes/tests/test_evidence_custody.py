"""Evidence that cannot be changed quietly: the served bytes' SHA-256 on the case pages, and a
custody log of every staff view of a case's evidence (never of the parties' own views)."""

import hashlib
import importlib

import pytest
from django.apps import apps
from django.urls import reverse

from disputes import services
from disputes.models import EvidenceAccess
from disputes.services import complaints
from disputes.tests.helpers import DAY, open_dispute, validated_photo
from portal.models import Photo
from portal.tests.factories import UserFactory
from portal.uploads import photo_process

Kind = EvidenceAccess.Kind


@pytest.fixture
def case(buyer, seller, store, now):
    dispute = open_dispute(buyer=buyer, store=store, now=now - DAY, photos=1)
    message = services.dispute_post_message(
        dispute_id=dispute.pk, actor=seller, text="Our photo", photos=[validated_photo()], now=now
    )
    photos = [*dispute.photos.all(), *message.photos.all()]
    for photo in photos:
        photo_process(photo_id=photo.pk)
    return dispute, [Photo.objects.get(pk=photo.pk) for photo in photos]


def _served_bytes(client, photo):
    response = client.get(reverse("portal:photo", args=[photo.uuid]))
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def test_the_digest_is_the_sha256_of_the_bytes_served(client, case, buyer, seller, staff):
    _dispute, photos = case
    for photo in photos:
        for user in (buyer, seller, staff):
            client.force_login(user)
            body = _served_bytes(client, photo)
            assert photo.sha256 == hashlib.sha256(body).hexdigest()
        # Of the re-encoded file, never of the upload (metadata dropped, pixels re-encoded).
        assert photo.sha256 != hashlib.sha256(validated_photo().content).hexdigest()


def test_a_photo_still_processing_or_failed_has_no_digest(buyer, store, now):
    dispute = open_dispute(buyer=buyer, store=store, now=now, photos=1)
    assert dispute.photos.get().sha256 is None


def test_the_case_pages_show_the_digest(client, case, buyer, seller, staff):
    dispute, photos = case
    for user, url in (
        (buyer, reverse("disputes:detail", args=[dispute.pk])),
        (seller, reverse("disputes:detail", args=[dispute.pk])),
        (staff, reverse("admin:disputes_dispute_change", args=[dispute.pk])),
    ):
        client.force_login(user)
        html = client.get(url).content.decode()
        for photo in photos:
            assert f'data-sha256="{photo.sha256}"' in html, (user, url)
            assert f"{photo.sha256[:12]}…" in html


def test_complaint_attachments_show_the_digest(client, buyer, now):
    complaint = complaints.complaint_submit(
        author=buyer, subject="site", text="Broken", now=now, photos=[validated_photo()]
    )
    photo = complaint.photos.get()
    photo_process(photo_id=photo.pk)
    photo.refresh_from_db()
    client.force_login(buyer)
    html = client.get(reverse("disputes:complaint_detail", args=[complaint.pk])).content.decode()
    assert f'data-sha256="{photo.sha256}"' in html
    assert photo.sha256 == hashlib.sha256(_served_bytes(client, photo)).hexdigest()


def test_opening_the_admin_case_page_is_logged_each_time(client, case, staff):
    dispute, _photos = case
    client.force_login(staff)
    url = reverse("admin:disputes_dispute_change", args=[dispute.pk])
    assert client.get(url).status_code == 200
    assert client.get(url).status_code == 200
    entries = list(EvidenceAccess.objects.filter(dispute=dispute))
    assert [(e.kind, e.staff_id, e.staff_email, e.photo_id) for e in entries] == [
        (Kind.CASE_PAGE, staff.pk, staff.email, None)
    ] * 2


@pytest.mark.parametrize(("route", "kind"), [("portal:photo", Kind.PHOTO), ("portal:photo_thumbnail", Kind.THUMBNAIL)])
def test_every_staff_fetch_of_an_evidence_photo_is_logged(client, case, staff, route, kind):
    dispute, photos = case
    client.force_login(staff)
    for photo in photos:
        assert client.get(reverse(route, args=[photo.uuid])).status_code == 200
    assert client.get(reverse(route, args=[photos[0].uuid])).status_code == 200
    entries = list(EvidenceAccess.objects.filter(dispute=dispute).order_by("pk"))
    assert [(e.kind, e.staff_id, e.photo_id, e.photo_sha256) for e in entries] == [
        (kind, staff.pk, photo.pk, photo.sha256) for photo in [*photos, photos[0]]
    ]


def test_the_parties_own_views_are_not_logged(client, case, buyer, seller, agent):
    dispute, photos = case
    for user in (buyer, seller, agent):
        client.force_login(user)
        assert client.get(reverse("disputes:detail", args=[dispute.pk])).status_code == 200
        for photo in photos:
            assert client.get(reverse("portal:photo", args=[photo.uuid])).status_code == 200
            assert client.get(reverse("portal:photo_thumbnail", args=[photo.uuid])).status_code == 200
    assert not EvidenceAccess.objects.exists()


def test_a_staff_member_who_is_a_party_is_not_logged(client, case, seller):
    _dispute, photos = case
    seller.is_staff = True
    seller.save(update_fields=["is_staff"])
    client.force_login(seller)
    assert client.get(reverse("portal:photo", args=[photos[0].uuid])).status_code == 200
    assert not EvidenceAccess.objects.exists()


def test_a_refused_or_missing_photo_logs_nothing(client, case, other_buyer, staff):
    _dispute, photos = case
    client.force_login(other_buyer)
    assert client.get(reverse("portal:photo", args=[photos[0].uuid])).status_code == 404
    client.force_login(staff)
    assert client.get(reverse("portal:photo", args=["00000000-0000-0000-0000-000000000000"])).status_code == 404
    assert not EvidenceAccess.objects.exists()


def test_resolvers_read_the_log_on_the_case_page_and_nobody_edits_it(client, case, staff):
    dispute, photos = case
    client.force_login(staff)
    client.get(reverse("portal:photo", args=[photos[0].uuid]))
    html = client.get(reverse("admin:disputes_dispute_change", args=[dispute.pk])).content.decode()
    assert 'id="custody"' in html
    assert staff.email in html
    assert photos[0].sha256[:12] in html
    entry = EvidenceAccess.objects.first()
    assert client.get(reverse("admin:disputes_evidenceaccess_changelist")).status_code == 200
    assert client.get(reverse("admin:disputes_evidenceaccess_add")).status_code == 403
    assert client.post(reverse("admin:disputes_evidenceaccess_delete", args=[entry.pk])).status_code == 403
    client.post(reverse("admin:disputes_evidenceaccess_change", args=[entry.pk]), {"staff_email": "x@example.com"})
    entry.refresh_from_db()
    assert entry.staff_email == staff.email


def test_staff_without_the_custody_right_do_not_see_the_log(client, case):
    dispute, _photos = case
    clerk = UserFactory(email="clerk@example.com", is_staff=True)
    clerk.user_permissions.add(*apps.get_model("auth", "Permission").objects.filter(codename="view_dispute"))
    client.force_login(clerk)
    html = client.get(reverse("admin:disputes_dispute_change", args=[dispute.pk])).content.decode()
    assert 'id="custody"' not in html
    # Their view is still in the log.
    assert EvidenceAccess.objects.filter(staff=clerk, kind=Kind.CASE_PAGE).count() == 1


def test_the_migration_hashes_existing_files_and_skips_missing_ones(case):
    _dispute, photos = case
    expected = photos[0].sha256
    Photo.objects.update(sha256=None)
    photos[1].image.storage.delete(photos[1].image.name)
    importlib.import_module("portal.migrations.0011_photo_sha256").hash_served_files(apps, None)
    assert Photo.objects.get(pk=photos[0].pk).sha256 == expected
    assert Photo.objects.get(pk=photos[1].pk).sha256 is None
