"""The photo pipeline against a corpus of hostile files: what is refused and what comes out of the worker."""

import io
import time
from datetime import timedelta

import pytest
from django import forms
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.test import RequestFactory
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from PIL import ExifTags, Image

from portal import uploads
from portal.models import Photo
from portal.tests import hostile

NOT_AN_IMAGE = "“{}” is not a JPEG, PNG or WebP photo."
TOO_MANY_PIXELS = "“{}” has too many pixels; the limit is 50 megapixels."
DAMAGED = "“{}” is damaged or incomplete; save it again and retry."
TOO_MANY_SCANS = "“{}” is a JPEG saved in too many passes; save it again as an ordinary JPEG and retry."
MAX_BYTES = 5 * 1024 * 1024


class PhotoForm(forms.Form):
    photos = uploads.PhotosField(max_count=5)


def bound_form(*files: tuple[str, bytes]) -> PhotoForm:
    chosen: list[UploadedFile] = [SimpleUploadedFile(name, content) for name, content in files]
    return PhotoForm(data={}, files=MultiValueDict({"photos": chosen}))


@pytest.fixture(scope="module")
def corpus() -> dict[str, bytes]:
    """Every hostile file, built once: the big ones stream through zlib, so this takes about a second."""
    return {
        "900mp_png": hostile.streamed_png(30_000, 30_000),
        "100mp_png": hostile.streamed_png(10_000, 10_000),
        "60mp_png": hostile.streamed_png(8_000, 7_500),
        "svg": hostile.svg_with_script(),
        "html": hostile.html_document(),
        "exe": hostile.executable_with_jpeg_magic(),
        "truncated_jpeg": hostile.truncated_jpeg(),
        "tiff": hostile.tiff(),
        "pdf": hostile.pdf(),
        "gif": hostile.gif(),
        "empty": b"",
        "oversized_jpeg": hostile.oversized_jpeg(MAX_BYTES),
        "header_bomb_huge": hostile.jpeg_with_declared_size(65_000, 65_000),
        "header_bomb_under_cap": hostile.jpeg_with_declared_size(7_000, 7_000),
        "many_scans": hostile.jpeg_with_many_scans(),
        "random": hostile.random_bytes(4096),
        "truncated_png": hostile.truncated_png(),
        "bad_crc_png": hostile.png_with_bad_crc(),
        "truncated_webp": hostile.truncated_webp(),
    }


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


# --- Refused at the request ---------------------------------------------------------


REFUSED = [
    ("900mp_png", "huge.png", TOO_MANY_PIXELS),
    ("100mp_png", "big.png", TOO_MANY_PIXELS),
    # Under Pillow's own bomb limit (89 MP): only our cap stops it.
    ("60mp_png", "wide.png", TOO_MANY_PIXELS),
    ("svg", "logo.svg", NOT_AN_IMAGE),
    ("html", "cat.jpg", NOT_AN_IMAGE),
    ("exe", "holiday.jpg", NOT_AN_IMAGE),
    ("truncated_jpeg", "cut.jpg", DAMAGED),
    ("tiff", "scan.tiff", NOT_AN_IMAGE),
    ("pdf", "invoice.pdf", NOT_AN_IMAGE),
    ("gif", "funny.gif", NOT_AN_IMAGE),
    ("empty", "nothing.jpg", "“{}” is empty."),
    ("header_bomb_huge", "bomb.jpg", TOO_MANY_PIXELS),
    # 49 MP declared, 860 bytes of body: libjpeg would pad it to full size without complaint.
    ("header_bomb_under_cap", "bomb.jpg", DAMAGED),
    ("many_scans", "scans.jpg", TOO_MANY_SCANS),
    ("random", "noise.jpg", NOT_AN_IMAGE),
    ("truncated_png", "cut.png", DAMAGED),
    ("bad_crc_png", "flipped.png", DAMAGED),
    # libwebp's demuxer refuses a cut RIFF container outright, before any frame is found.
    ("truncated_webp", "cut.webp", NOT_AN_IMAGE),
]


@pytest.mark.parametrize(("key", "name", "message"), REFUSED, ids=[case[0] for case in REFUSED])
def test_hostile_file_is_refused_with_a_clear_message(corpus, key, name, message):
    form = bound_form((name, corpus[key]))
    started = time.perf_counter()
    assert not form.is_valid()
    elapsed = time.perf_counter() - started
    assert form.errors["photos"] == [message.format(name)]
    # Refused from the header or a 1/8-scale decode, never by decoding the claimed pixels
    # (900 megapixels would take minutes and gigabytes).
    assert elapsed < 2


def test_big_png_and_webp_are_checked_without_building_their_pixels(monkeypatch):
    """49 MP declared in 8 kB: the request verifies the bytes, the worker pays for the pixels."""
    from PIL import PngImagePlugin, WebPImagePlugin

    monkeypatch.setattr(PngImagePlugin.PngImageFile, "load", pytest.fail)
    monkeypatch.setattr(WebPImagePlugin.WebPImageFile, "load", pytest.fail)
    flat = hostile.streamed_png(7_000, 7_000)
    assert len(flat) < 20_000
    assert bound_form(("scan.png", flat), ("sticker.webp", hostile.small_webp())).is_valid()


def test_oversized_real_jpeg_is_refused_before_decoding(corpus, monkeypatch):
    content = corpus["oversized_jpeg"]
    assert Image.open(io.BytesIO(content)).format == "JPEG"
    monkeypatch.setattr(uploads, "_decode_check", pytest.fail)
    form = bound_form(("camera.jpg", content))
    assert not form.is_valid()
    size = uploads._megabytes(len(content), round_up=True)
    assert size != "5"
    assert form.errors["photos"] == [f"“camera.jpg” is {size} MB; a photo may be at most 5 MB."]


def test_a_file_one_byte_over_the_limit_never_reads_as_the_limit():
    limit = 5 * 1024 * 1024
    assert uploads._megabytes(limit) == "5"
    assert uploads._megabytes(limit + 1, round_up=True) == "5.01"


def test_six_files_are_refused_without_decoding_any(monkeypatch):
    monkeypatch.setattr(uploads, "validate_photo", pytest.fail)
    form = bound_form(*[(f"p{i}.jpg", hostile.small_jpeg()) for i in range(6)])
    assert not form.is_valid()
    assert form.errors["photos"] == ["Attach at most 5 photos."]


def test_five_good_files_are_accepted_and_one_bad_one_is_named():
    good = [(f"p{i}.jpg", hostile.small_jpeg()) for i in range(4)]
    form = bound_form(*good, ("p4.png", hostile.small_png()))
    assert form.is_valid(), form.errors
    assert [photo.image_format for photo in form.cleaned_data["photos"]] == ["JPEG"] * 4 + ["PNG"]

    form = bound_form(*good, ("evil.jpg", hostile.html_document()))
    assert not form.is_valid()
    assert form.errors["photos"] == [NOT_AN_IMAGE.format("evil.jpg")]


def test_no_photo_is_fine_unless_required():
    assert bound_form().is_valid()

    class RequiredForm(forms.Form):
        photos = uploads.PhotosField(required=True)

    form = RequiredForm(data={}, files=MultiValueDict())
    assert not form.is_valid()
    assert form.errors["photos"] == ["This field is required."]


def test_any_damage_to_a_good_file_is_refused_or_processed_never_an_exception(buyer, media):
    """Flip a few bytes of small JPEG, PNG and WebP files: a decoder may raise anything on them."""
    sources = {"jpg": hostile.small_jpeg(), "png": hostile.small_png(), "webp": hostile.small_webp()}
    outcomes = {"refused": 0, "ready": 0, "failed": 0}
    for extension, content in sources.items():
        for seed in range(40):
            upload = SimpleUploadedFile(f"fuzz.{extension}", hostile.flipped_bytes(content, seed=seed))
            try:
                validated = uploads.validate_photo(upload)
            except forms.ValidationError:
                outcomes["refused"] += 1
                continue
            photo = uploads.photo_process(photo_id=uploads.photo_store(owner=buyer, photo=validated).pk)
            assert photo is not None
            assert photo.status in (Photo.Status.READY, Photo.Status.FAILED)
            outcomes[photo.status] += 1
    assert sum(outcomes.values()) == 120
    assert outcomes["refused"] > 0
    assert outcomes["ready"] > 0


# --- File names -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd.png", "passwd.png"),
        ("..\\..\\windows\\win.ini.jpg", "win.ini.jpg"),
        ("report\r\nSet-Cookie: a=b.png", "report Set-Cookie a=b.png"),
        ('x"; filename="evil.html.jpg', "x filename=evil.html.jpg"),
        ("photo\u202egpj.exe", "photogpj.exe"),
        ("<img src=x onerror=alert(1)>.jpg", "img src=x onerror=alert(1).jpg"),
        ("..", "photo"),
        ("", "photo"),
        ("a" * 300 + ".jpg", "a" * 100),
    ],
)
def test_sanitize_filename_keeps_only_harmless_text(raw, clean):
    assert uploads.sanitize_filename(raw) == clean


def _multipart(field: str, filename_header: str, content: bytes) -> bytes:
    boundary = b"BoUnDaRy"
    return (
        b"--" + boundary + b"\r\n"
        b'Content-Disposition: form-data; name="' + field.encode() + b'"; ' + filename_header.encode() + b"\r\n"
        b"Content-Type: image/png\r\n\r\n" + content + b"\r\n--" + boundary + b"--\r\n"
    )


@pytest.mark.parametrize(
    ("filename_header", "stored_text"),
    [
        ('filename="../../../etc/cron.d/job.png"', "job.png"),
        ("filename*=UTF-8''evil%0D%0AContent-Type%3A%20text%2Fhtml%0D%0A%0D%0A.png", "html.png"),
        ('filename="say \\"cheese\\".png"', "say cheese.png"),
        ("filename*=UTF-8''photo%E2%80%AEgnp.exe", "photognp.exe"),
    ],
)
def test_hostile_names_through_the_real_multipart_parser_are_stored_as_text_only(
    buyer, media, filename_header, stored_text
):
    body = _multipart("photos", filename_header, hostile.small_png())
    request = RequestFactory().generic("POST", "/upload/", body, content_type="multipart/form-data; boundary=BoUnDaRy")
    form = PhotoForm(request.POST, request.FILES)
    assert form.is_valid(), form.errors
    (validated,) = form.cleaned_data["photos"]
    assert validated.original_name == stored_text
    photo = uploads.photo_store(owner=buyer, photo=validated)
    assert photo.quarantine.name == f"quarantine/{photo.uuid.hex}.bin"
    photo = uploads.photo_process(photo_id=photo.pk)
    assert photo.original_name == stored_text
    assert photo.image.name == f"photos/{photo.uuid.hex}.png"
    assert hostile.files_under(media) == [f"photos/{photo.uuid.hex}.png", f"thumbs/{photo.uuid.hex}.webp"]


# --- Accepted and neutralised by the worker ----------------------------------------


def process(owner, content: bytes, name: str) -> Photo:
    validated = uploads.validate_photo(SimpleUploadedFile(name, content))
    photo = uploads.photo_store(owner=owner, photo=validated)
    assert photo.status == Photo.Status.PROCESSING
    processed = uploads.photo_process(photo_id=photo.pk)
    assert processed is not None
    assert processed.status == Photo.Status.READY
    return processed


def near(pixel, expected, tolerance: int = 60) -> bool:
    """Lossy encoders move colours a little; a wrong rotation or colour model moves them a lot."""
    return max(abs(got - want) for got, want in zip(pixel, expected, strict=True)) <= tolerance


def read(field) -> bytes:
    with field.open("rb") as handle:
        return handle.read()


def test_png_html_polyglot_comes_out_as_a_plain_png(buyer, media):
    content = hostile.polyglot_png()
    assert content.count(b"<script") == 2
    photo = process(buyer, content, "cute.png")
    data = read(photo.image)
    for marker in (b"<script", b"<html", b"tEXt", b"Comment"):
        assert marker not in data
    assert data.endswith(b"IEND\xaeB`\x82")
    assert Image.open(io.BytesIO(data)).size == (40, 20)
    assert b"<script" not in read(photo.thumbnail)


def test_jpeg_comment_with_script_is_dropped(buyer, media):
    photo = process(buyer, hostile.jpeg_with_script_comment(), "comment.jpg")
    data = read(photo.image)
    assert b"<script" not in data
    assert "comment" not in Image.open(io.BytesIO(data)).info


def test_exif_gps_is_stripped_and_orientation_applied(buyer, media):
    content = hostile.jpeg_with_gps_and_orientation()
    source = Image.open(io.BytesIO(content))
    assert source.getexif().get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitude] == hostile.GPS_LATITUDE
    assert source.size == (40, 20)

    photo = process(buyer, content, "IMG_0001.jpg")
    assert (photo.width, photo.height) == (20, 40)
    for field in (photo.image, photo.thumbnail):
        data = read(field)
        for marker in (b"Exif", b"GPS", b"PhoneCorp", b"xmpmeta", b"http://ns.adobe.com"):
            assert marker not in data
        image = Image.open(io.BytesIO(data))
        assert not image.getexif()
        assert not {"exif", "xmp", "icc_profile", "comment"} & set(image.info)
    image = Image.open(io.BytesIO(read(photo.image))).convert("RGB")
    assert image.size == (20, 40)
    # Orientation 6 means "turn 90° clockwise": the red left half ends up on top.
    top, bottom = image.getpixel((10, 8)), image.getpixel((10, 32))
    assert near(top, (255, 0, 0))
    assert near(bottom, (0, 0, 255))


def test_cmyk_jpeg_comes_out_rgb_with_the_right_colour(buyer, media):
    assert Image.open(io.BytesIO(hostile.cmyk_jpeg())).mode == "CMYK"
    photo = process(buyer, hostile.cmyk_jpeg(), "print.jpg")
    image = Image.open(io.BytesIO(read(photo.image)))
    assert image.mode == "RGB"
    assert near(image.getpixel((32, 24)), (255, 0, 0), tolerance=25)


def test_palette_png_keeps_its_transparency(buyer, media):
    photo = process(buyer, hostile.palette_png_with_transparency(), "sticker.png")
    image = Image.open(io.BytesIO(read(photo.image)))
    assert (photo.content_type, image.format, image.mode) == ("image/png", "PNG", "RGBA")
    assert image.getpixel((4, 8))[3] == 0
    assert image.getpixel((28, 8)) == (0, 0, 255, 255)
    thumb = Image.open(io.BytesIO(read(photo.thumbnail)))
    assert thumb.format == "WEBP"
    assert thumb.convert("RGBA").getpixel((1, 8))[3] == 0


def test_sixteen_bit_grey_png_is_scaled_not_clipped_to_white(buyer, media):
    photo = process(buyer, hostile.sixteen_bit_grey_png(0x8080), "xray.png")
    image = Image.open(io.BytesIO(read(photo.image)))
    assert image.mode == "L"
    assert image.getpixel((8, 8)) == 0x80


def test_black_and_white_png_comes_out_greyscale(buyer, media):
    photo = process(buyer, hostile.streamed_png(64, 32), "fax.png")
    image = Image.open(io.BytesIO(read(photo.image)))
    assert (image.mode, image.size, image.getpixel((10, 10))) == ("L", (64, 32), 0)


def test_animated_webp_becomes_its_first_frame(buyer, media):
    content = hostile.animated_webp()
    assert Image.open(io.BytesIO(content)).n_frames == 3
    photo = process(buyer, content, "dance.webp")
    image = Image.open(io.BytesIO(read(photo.image)))
    assert (photo.content_type, image.format) == ("image/webp", "WEBP")
    assert not getattr(image, "is_animated", False)
    assert image.n_frames == 1
    assert near(image.convert("RGB").getpixel((16, 16)), (255, 0, 0))


def test_big_photo_is_scaled_to_the_longest_side_and_thumbnailed(buyer, media, settings):
    settings.OPINIA_PHOTO_MAX_SIDE = 64
    settings.OPINIA_THUMBNAIL_SIDE = 16
    photo = process(buyer, hostile.small_jpeg(200, 100), "wide.jpg")
    assert (photo.width, photo.height) == (64, 32)
    assert Image.open(io.BytesIO(read(photo.image))).size == (64, 32)
    assert Image.open(io.BytesIO(read(photo.thumbnail))).size == (16, 8)
    assert photo.size == len(read(photo.image))
    assert photo.content_type == "image/jpeg"


# --- The worker: idempotent, failure-safe, finds lost work ---------------------------


def test_processing_twice_keeps_one_set_of_files(buyer, media):
    photo = process(buyer, hostile.small_jpeg(), "once.jpg")
    first = Photo.objects.values().get(pk=photo.pk)
    files = hostile.files_under(media)
    assert files == [f"photos/{photo.uuid.hex}.jpg", f"thumbs/{photo.uuid.hex}.webp"]

    uploads.photo_process(photo_id=photo.pk)
    assert Photo.objects.values().get(pk=photo.pk) == first
    assert hostile.files_under(media) == files


def test_worker_that_loses_the_claim_deletes_its_own_files(buyer, media, monkeypatch):
    """Another worker finishes the same photo while this one is encoding: one set of files remains."""
    validated = uploads.validate_photo(SimpleUploadedFile("race.jpg", hostile.small_jpeg()))
    photo = uploads.photo_store(owner=buyer, photo=validated)
    real_reencode = uploads._reencode
    calls = []

    def reencode_while_another_worker_finishes(content, source_format):
        calls.append(source_format)
        if len(calls) == 1:
            assert uploads.photo_process(photo_id=photo.pk).status == Photo.Status.READY
        return real_reencode(content, source_format)

    monkeypatch.setattr(uploads, "_reencode", reencode_while_another_worker_finishes)
    result = uploads.photo_process(photo_id=photo.pk)

    assert calls == ["JPEG", "JPEG"]
    assert result.status == Photo.Status.READY
    assert hostile.files_under(media) == sorted([result.image.name, result.thumbnail.name])
    assert result.image.name == f"photos/{photo.uuid.hex}.jpg"


def test_photo_that_cannot_be_reencoded_ends_failed_and_is_not_retried(buyer, media):
    validated = uploads.validate_photo(SimpleUploadedFile("ok.jpg", hostile.small_jpeg()))
    photo = uploads.photo_store(owner=buyer, photo=validated)
    # The quarantined bytes go bad between the request and the worker.
    storage = photo.quarantine.storage
    storage.delete(photo.quarantine.name)
    storage.save(photo.quarantine.name, ContentFile(hostile.truncated_jpeg()))
    now = timezone.now()

    failed = uploads.photo_process(photo_id=photo.pk, now=now)
    assert (failed.status, failed.processed_at, failed.image.name, failed.thumbnail.name) == ("failed", now, "", "")
    assert hostile.files_under(media) == [f"quarantine/{photo.uuid.hex}.bin"]
    assert uploads.photos_stuck(now=now + timedelta(days=1)) == []

    assert uploads.photo_process(photo_id=photo.pk, now=now + timedelta(minutes=1)).processed_at == now


def test_png_whose_pixels_do_not_decode_is_accepted_then_failed_by_the_worker(buyer, media):
    photo = uploads.photo_store(
        owner=buyer, photo=uploads.validate_photo(SimpleUploadedFile("odd.png", hostile.png_with_corrupt_pixels()))
    )
    assert uploads.photo_process(photo_id=photo.pk).status == Photo.Status.FAILED
    assert hostile.files_under(media) == [f"quarantine/{photo.uuid.hex}.bin"]


def test_worker_checks_the_pixel_limit_again(buyer, media, settings):
    validated = uploads.validate_photo(SimpleUploadedFile("ok.png", hostile.small_png()))
    photo = uploads.photo_store(owner=buyer, photo=validated)
    settings.OPINIA_PHOTO_MAX_PIXELS = 40 * 20 - 1
    assert uploads.photo_process(photo_id=photo.pk).status == Photo.Status.FAILED


def test_photo_whose_quarantined_file_is_missing_ends_failed(buyer, media):
    validated = uploads.validate_photo(SimpleUploadedFile("ok.jpg", hostile.small_jpeg()))
    photo = uploads.photo_store(owner=buyer, photo=validated)
    photo.quarantine.storage.delete(photo.quarantine.name)
    assert uploads.photo_process(photo_id=photo.pk).status == Photo.Status.FAILED


def test_missing_photo_id_is_ignored(db):
    assert uploads.photo_process(photo_id=987_654) is None


def test_stored_photo_is_processed_after_commit_by_id(buyer, media, django_capture_on_commit_callbacks, monkeypatch):
    from portal.tasks import process_photo

    queued = []
    monkeypatch.setattr(process_photo, "delay", lambda *args, **kwargs: queued.append((args, kwargs)))
    validated = uploads.validate_photo(SimpleUploadedFile("ok.jpg", hostile.small_jpeg()))
    with django_capture_on_commit_callbacks(execute=True):
        photo = uploads.photo_store(owner=buyer, photo=validated)
        assert queued == []
    assert queued == [((photo.pk,), {})]

    # The task itself (run eagerly) finishes the photo.
    process_photo.apply(args=(photo.pk,))
    photo.refresh_from_db()
    assert photo.status == Photo.Status.READY


def test_photos_stuck_finds_processing_photos_from_five_minutes_ago(buyer, media):
    now = timezone.now().replace(microsecond=0)
    validated = uploads.validate_photo(SimpleUploadedFile("ok.jpg", hostile.small_jpeg()))
    at_limit = uploads.photo_store(owner=buyer, photo=validated, now=now - timedelta(minutes=5))
    older = uploads.photo_store(owner=buyer, photo=validated, now=now - timedelta(hours=2))
    just_in_time = uploads.photo_store(owner=buyer, photo=validated, now=now - timedelta(minutes=5, seconds=-1))
    done = uploads.photo_store(owner=buyer, photo=validated, now=now - timedelta(hours=3))
    uploads.photo_process(photo_id=done.pk)

    assert uploads.photos_stuck(now=now) == [older.pk, at_limit.pk]
    assert uploads.photos_stuck(now=now, limit=1) == [older.pk]
    assert just_in_time.pk in uploads.photos_stuck(now=now + timedelta(seconds=1))


def test_stuck_photo_sweep_runs_lost_photos_again(buyer, media, monkeypatch):
    from portal.tasks import process_photo, run_sweep

    monkeypatch.setattr(process_photo, "delay", lambda photo_id: process_photo.apply(args=(photo_id,)))
    validated = uploads.validate_photo(SimpleUploadedFile("lost.jpg", hostile.small_jpeg()))
    lost = uploads.photo_store(owner=buyer, photo=validated, now=timezone.now() - timedelta(minutes=10))
    recent = uploads.photo_store(owner=buyer, photo=validated)

    assert run_sweep("photos.retry_stuck") == 1
    lost.refresh_from_db()
    recent.refresh_from_db()
    assert (lost.status, recent.status) == (Photo.Status.READY, Photo.Status.PROCESSING)
    assert run_sweep("photos.retry_stuck") == 0
