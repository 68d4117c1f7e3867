"""Serving photos: only to the owner, staff and whoever a registered check allows; never as a page."""

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from portal import uploads
from portal.models import Photo
from portal.tests import hostile

HOSTILE_NAME = 'evil"\r\nContent-Type: text/html\r\n\r\n<script>.png'


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture
def access_checks(monkeypatch):
    """Start from the apps' registered checks and forget whatever a test adds."""
    checks = list(uploads._access_checks)
    monkeypatch.setattr(uploads, "_access_checks", checks)
    return checks


def stored(owner, content: bytes, name: str, *, process: bool = True) -> Photo:
    photo = uploads.photo_store(owner=owner, photo=uploads.validate_photo(SimpleUploadedFile(name, content)))
    if not process:
        return photo
    processed = uploads.photo_process(photo_id=photo.pk)
    assert processed is not None
    return processed


@pytest.fixture
def polyglot(buyer, media):
    photo = stored(buyer, hostile.polyglot_png(), HOSTILE_NAME)
    assert photo.status == Photo.Status.READY
    return photo


def urls(photo: Photo) -> list[str]:
    return [
        reverse("portal:photo", args=[photo.uuid]),
        reverse("portal:photo_thumbnail", args=[photo.uuid]),
    ]


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_owner_gets_the_reencoded_photo_inline_under_a_server_made_name(client, buyer, polyglot):
    client.force_login(buyer)
    full, thumb = (client.get(url) for url in urls(polyglot))

    assert full.status_code == 200
    assert full["Content-Type"] == "image/png"
    assert full["Content-Disposition"] == f'inline; filename="{polyglot.uuid.hex}.png"'
    assert thumb.status_code == 200
    assert thumb["Content-Type"] == "image/webp"
    assert thumb["Content-Disposition"] == f'inline; filename="{polyglot.uuid.hex}-thumb.webp"'
    for response in (full, thumb):
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Cache-Control"] == "private, max-age=3600"
        assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
        data = body(response)
        assert b"<script" not in data
        assert b"<html" not in data


def test_the_uploaded_name_never_reaches_a_header(client, buyer, polyglot):
    # Kept as text only: no path, no CRLF, no quotes or angle brackets.
    assert polyglot.original_name == "html script.png"
    client.force_login(buyer)
    for url in urls(polyglot):
        response = client.get(url)
        headers = "\n".join(f"{key}: {value}" for key, value in response.items())
        assert "evil" not in headers
        assert "script" not in headers
        assert "text/html" not in headers


def test_staff_may_see_any_photo(client, staff, polyglot):
    client.force_login(staff)
    for url in urls(polyglot):
        assert client.get(url).status_code == 200


def test_another_user_and_anonymous_get_404(client, other_buyer, seller, polyglot):
    for url in urls(polyglot):
        assert client.get(url).status_code == 404
    for user in (other_buyer, seller):
        client.force_login(user)
        for url in urls(polyglot):
            assert client.get(url).status_code == 404


def test_post_is_refused_alike_for_owner_and_stranger(client, buyer, other_buyer, polyglot):
    for user in (buyer, other_buyer):
        client.force_login(user)
        for url in urls(polyglot):
            assert client.post(url).status_code == 405


def test_unknown_photo_is_404(client, buyer, db):
    client.force_login(buyer)
    assert client.get(reverse("portal:photo", args=[uuid.uuid4()])).status_code == 404


def test_registered_check_grants_exactly_what_it_says(client, buyer, other_buyer, media, access_checks):
    shared = stored(buyer, hostile.small_jpeg(), "shared.jpg")
    private = stored(buyer, hostile.small_jpeg(), "private.jpg")
    seen = []

    def shared_in_conversation(user, photo) -> bool:
        seen.append((user.pk, photo.pk))
        return user.pk == other_buyer.pk and photo.pk == shared.pk

    assert uploads.register_photo_access(shared_in_conversation) is shared_in_conversation
    uploads.register_photo_access(shared_in_conversation)
    assert access_checks.count(shared_in_conversation) == 1

    client.force_login(other_buyer)
    for url in urls(shared):
        response = client.get(url)
        assert response.status_code == 200
        assert response["Cache-Control"] == "private, max-age=3600"
    for url in urls(private):
        assert client.get(url).status_code == 404
    assert (other_buyer.pk, private.pk) in seen


def test_photo_still_processing_or_failed_is_404_even_for_its_owner(client, buyer, staff, media, access_checks):
    processing = stored(buyer, hostile.small_jpeg(), "wait.jpg", process=False)
    failed = stored(buyer, hostile.small_jpeg(), "bad.jpg", process=False)
    storage = failed.quarantine.storage
    storage.delete(failed.quarantine.name)
    assert uploads.photo_process(photo_id=failed.pk).status == Photo.Status.FAILED
    uploads.register_photo_access(lambda user, photo: True)

    for user in (buyer, staff):
        client.force_login(user)
        for photo in (processing, failed):
            for url in urls(photo):
                assert client.get(url).status_code == 404


def test_ready_photo_whose_file_was_lost_is_404_not_500(client, buyer, media):
    photo = stored(buyer, hostile.small_jpeg(), "lost.jpg")
    photo.image.storage.delete(photo.image.name)
    client.force_login(buyer)
    full, thumb = urls(photo)
    assert client.get(full).status_code == 404
    assert client.get(thumb).status_code == 200


def test_photo_get_for_user_hides_existence(buyer, other_buyer, media):
    photo = stored(buyer, hostile.small_jpeg(), "mine.jpg")
    assert uploads.photo_get_for_user(user=buyer, photo_uuid=str(photo.uuid)) == photo
    with pytest.raises(uploads.Http404):
        uploads.photo_get_for_user(user=other_buyer, photo_uuid=str(photo.uuid))
    with pytest.raises(uploads.Http404):
        uploads.photo_get_for_user(user=buyer, photo_uuid=str(uuid.uuid4()))
