"""Retention of photos: one attached to nothing is deleted, with every stored file, after
OPINIA_UNATTACHED_PHOTO_RETENTION_HOURS; one attached to anything never is."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from portal import uploads
from portal.models import Photo
from portal.tasks import run_sweep
from portal.tests import hostile

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
RETENTION = timedelta(hours=24)
SECOND = timedelta(seconds=1)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def validated(name: str = "photo.jpg") -> uploads.ValidatedPhoto:
    return uploads.validate_photo(SimpleUploadedFile(name, hostile.small_jpeg()))


def stored(owner, *, at: datetime, processed: bool = True) -> Photo:
    """A photo stored at `at` (and re-encoded, unless `processed` is false) that nothing refers to."""
    photo = uploads.photo_store(owner=owner, photo=validated(), now=at)
    if processed:
        uploads.photo_process(photo_id=photo.pk, now=at)
    photo.refresh_from_db()
    return photo


def prune_at(moment: datetime, capture) -> int:
    """Run the sweep as beat would, with the clock at `moment`; the files go after the commit."""
    with time_machine.travel(moment, tick=False), capture(execute=True):
        return run_sweep("photos.prune_unattached")


def test_a_photo_attached_to_nothing_goes_with_its_files_at_the_retention_age(
    buyer, media, django_capture_on_commit_callbacks
):
    ready = stored(buyer, at=T0)
    quarantined = stored(buyer, at=T0, processed=False)
    younger = stored(buyer, at=T0 + SECOND)
    files = sorted([ready.image.name, ready.thumbnail.name, quarantined.quarantine.name])
    younger_files = sorted([younger.image.name, younger.thumbnail.name])
    assert hostile.files_under(media) == sorted(files + younger_files)

    assert prune_at(T0 + RETENTION - SECOND, django_capture_on_commit_callbacks) == 0
    assert Photo.objects.count() == 3
    assert hostile.files_under(media) == sorted(files + younger_files)

    assert prune_at(T0 + RETENTION, django_capture_on_commit_callbacks) == 2
    assert list(Photo.objects.all()) == [younger]
    assert hostile.files_under(media) == younger_files

    # Run again at the same moment: nothing left to do, nothing else touched.
    assert prune_at(T0 + RETENTION, django_capture_on_commit_callbacks) == 0
    assert list(Photo.objects.all()) == [younger]
    assert hostile.files_under(media) == younger_files


def test_the_retention_is_a_setting(buyer, media, settings, django_capture_on_commit_callbacks):
    settings.OPINIA_UNATTACHED_PHOTO_RETENTION_HOURS = 2
    stored(buyer, at=T0)
    assert prune_at(T0 + timedelta(hours=2) - SECOND, django_capture_on_commit_callbacks) == 0
    assert prune_at(T0 + timedelta(hours=2), django_capture_on_commit_callbacks) == 1


def test_a_photo_attached_to_a_message_review_dispute_or_complaint_is_never_pruned(
    buyer, seller, store, media, django_capture_on_commit_callbacks
):
    from disputes.services import dispute_post_message
    from disputes.services.complaints import complaint_submit
    from disputes.tests.helpers import open_dispute
    from feedback.models import FeedbackWindow
    from feedback.tests.conftest import buyer_rates, complete_order
    from messaging.services import conversation_start

    # Each app's own service stores and attaches the photo, as a user's request would.
    window = FeedbackWindow.objects.select_related("order").get(order=complete_order(buyer, store, items=1))
    buyer_rates(window, buyer, now=T0, photos=[validated("review.jpg")])
    dispute = open_dispute(buyer=buyer, store=store, now=T0, photos=1)
    dispute_post_message(dispute_id=dispute.pk, actor=seller, text="See this", photos=[validated("reply.jpg")], now=T0)
    complaint_submit(author=buyer, subject="site", text="Broken", photos=[validated("complaint.jpg")], now=T0)
    message, _created = conversation_start(buyer=buyer, store=store, text="Look", now=T0)
    message.photos.add(stored(buyer, at=T0))
    attached = set(Photo.objects.values_list("pk", flat=True))
    assert len(attached) == 5
    orphan = stored(buyer, at=T0)

    assert prune_at(T0 + 30 * RETENTION, django_capture_on_commit_callbacks) == 1
    assert set(Photo.objects.values_list("pk", flat=True)) == attached
    assert not Photo.objects.filter(pk=orphan.pk).exists()


def test_a_photo_pruned_while_the_worker_encodes_it_leaves_no_row_no_file_and_no_error(
    buyer, media, monkeypatch, django_capture_on_commit_callbacks
):
    photo = stored(buyer, at=T0, processed=False)
    real_reencode = uploads._reencode
    pruned: list[int] = []

    def reencode_then_prune(content, source_format):
        encoded = real_reencode(content, source_format)
        pruned.append(uploads.photos_prune_unattached(now=T0 + RETENTION))
        return encoded

    monkeypatch.setattr(uploads, "_reencode", reencode_then_prune)
    with django_capture_on_commit_callbacks(execute=True):
        assert uploads.photo_process(photo_id=photo.pk, now=T0 + RETENTION) is None
    assert pruned == [1]
    assert not Photo.objects.exists()
    # The worker drops the files it had just written; the prune removed the quarantined upload.
    assert hostile.files_under(media) == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")
def test_two_workers_pruning_at_once_delete_each_photo_once(buyer, media):
    photos = [stored(buyer, at=T0) for _ in range(7)]
    keep = stored(buyer, at=T0 + RETENTION)
    barrier = threading.Barrier(2, timeout=10)
    results: list[int] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            results.append(uploads.photos_prune_unattached(now=T0 + RETENTION, batch_size=2))
        except BaseException as error:  # surfaced below: a thread's exception would vanish otherwise
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sum(results) == len(photos)
    assert list(Photo.objects.all()) == [keep]
    assert hostile.files_under(media) == sorted([keep.image.name, keep.thumbnail.name])
