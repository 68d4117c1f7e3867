"""Two workers processing the same photo at once on PostgreSQL: one set of files, one result."""

import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from portal import uploads
from portal.models import Photo
from portal.tests import hostile


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_record_one_set_of_files(buyer, settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    validated = uploads.validate_photo(SimpleUploadedFile("race.jpg", hostile.small_jpeg(640, 480)))
    photo = uploads.photo_store(owner=buyer, photo=validated)
    # Both workers read the row as still processing before either of them encodes.
    both_started = threading.Barrier(2, timeout=10)
    real_reencode = uploads._reencode

    def reencode_together(content, source_format):
        both_started.wait()
        return real_reencode(content, source_format)

    monkeypatch.setattr(uploads, "_reencode", reencode_together)
    results: list[Photo | None] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            results.append(uploads.photo_process(photo_id=photo.pk))
        except BaseException as error:  # surfaced below: a thread's exception would vanish otherwise
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert [result.status for result in results] == [Photo.Status.READY, Photo.Status.READY]
    photo.refresh_from_db()
    assert photo.status == Photo.Status.READY
    # The loser's files are gone, the quarantined upload too: exactly the winner's pair is left.
    assert hostile.files_under(tmp_path / "media") == sorted([photo.image.name, photo.thumbnail.name])
    assert {result.image.name for result in results} == {photo.image.name}
