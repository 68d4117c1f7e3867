"""The one photo pipeline: validation, storage, re-encoding, thumbnails, permission-checked serving.

A request only validates, cheaply whatever the file declares (size, real format by parsing
with the allowed decoders only, pixel cap, truncation and damage), and keeps the bytes in
quarantine under a server-made name. The worker then decodes them fully,
applies the EXIF orientation, drops every metadata block by re-encoding, and makes the
thumbnail. Nothing but the re-encoded files is ever served, and only through `photo_serve`,
after the owning app has said that the user may see the photo.
"""

import hashlib
import io
import logging
import math
import re
import unicodedata
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Exists, ForeignObjectRel, OuterRef, QuerySet
from django.http import FileResponse, Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from PIL import Image, ImageFile, ImageOps

from portal.deadlines import prune_in_batches
from portal.fragments import photo_became_public_content
from portal.models import Photo, RequestUser, User

logger = logging.getLogger(__name__)

# Only these decoders are ever asked to parse untrusted bytes.
ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP")
CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
# Truncated images must fail to decode, never be silently padded.
ImageFile.LOAD_TRUNCATED_IMAGES = False


@dataclass(frozen=True)
class ValidatedPhoto:
    """Bytes that decoded as an allowed image within every limit."""

    content: bytes
    image_format: str
    width: int
    height: int
    original_name: str


def sanitize_filename(name: str) -> str:
    """Keep the user's file name only as harmless text: no path, no control characters, no quotes."""
    name = unicodedata.normalize("NFKC", name or "")
    name = re.split(r"[\\/]", name)[-1]
    name = re.sub(r"[\r\n\t]", " ", name)
    # Category C covers control characters and the invisible format ones (bidi overrides that
    # make "photo\u202egpj.exe" display as "photoexe.jpg", zero-width joiners).
    name = "".join(char for char in name if unicodedata.category(char)[0] != "C")
    name = re.sub(r"[\"'`<>|:*?;]", "", name)
    name = re.sub(r"\s+", " ", name).strip(" .")
    return name[:100] or "photo"


def _megabytes(size: int, *, round_up: bool = False) -> str:
    """Megabytes for a message: a file just over the limit must never read as equal to it."""
    hundredths = size * 100 / (1024 * 1024)
    value = (math.ceil(hundredths) if round_up else math.floor(hundredths)) / 100
    return f"{value:g}" if value == int(value) else f"{value:.2f}"


def validate_photo(upload: UploadedFile) -> ValidatedPhoto:
    """Check the upload with the allowed formats' parsers; return it, or raise a ValidationError saying why not.

    Cheap whatever the file declares: size first, then the header and pixel cap, then a check
    that reads every byte without building the full image (see `_decode_check`).
    """
    name = sanitize_filename(upload.name or "")
    max_bytes = settings.OPINIA_PHOTO_MAX_BYTES
    if upload.size is None or upload.size == 0:
        raise ValidationError(_("“%(name)s” is empty."), code="empty", params={"name": name})
    if upload.size > max_bytes:
        raise ValidationError(
            _("“%(name)s” is %(size)s MB; a photo may be at most %(limit)s MB."),
            code="too_large",
            params={"name": name, "size": _megabytes(upload.size, round_up=True), "limit": _megabytes(max_bytes)},
        )
    upload.seek(0)
    content = upload.read(max_bytes + 1)
    if len(content) > max_bytes:
        raise ValidationError(
            _("“%(name)s” is larger than %(limit)s MB."),
            code="too_large",
            params={"name": name, "limit": _megabytes(max_bytes)},
        )
    image_format, width, height = _decode_check(content, name)
    return ValidatedPhoto(content=content, image_format=image_format, width=width, height=height, original_name=name)


def _decode_check(content: bytes, name: str) -> tuple[str, int, int]:
    params = {"name": name}
    not_an_image = ValidationError(
        _("“%(name)s” is not a JPEG, PNG or WebP photo."), code="invalid_image", params=params
    )
    damaged = ValidationError(
        _("“%(name)s” is damaged or incomplete; save it again and retry."), code="damaged_image", params=params
    )
    max_pixels = settings.OPINIA_PHOTO_MAX_PIXELS
    too_many_pixels = ValidationError(
        _("“%(name)s” has too many pixels; the limit is %(limit)s megapixels."),
        code="too_many_pixels",
        params={"name": name, "limit": max_pixels // 1_000_000},
    )
    # The explicit pixel check below is what protects us: `catch_warnings` changes process-wide
    # state and is not thread-safe, so turning Pillow's bomb warning into an error is only a second line.
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            # `formats` keeps every other Pillow decoder (TIFF, PSD, EPS, …) away from untrusted bytes.
            image = Image.open(io.BytesIO(content), formats=ALLOWED_FORMATS)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise too_many_pixels from None
        except Exception:
            # Whatever a parser raises on hostile bytes (SyntaxError, struct.error, …) means "not ours".
            raise not_an_image from None
        with image:
            if image.format not in ALLOWED_FORMATS:
                raise not_an_image
            width, height = image.size
            if width * height > max_pixels:
                raise too_many_pixels
            # The request must stay cheap whatever the file: a 200 kB flat PNG or a 2 kB lossless
            # WebP can declare 49 megapixels, and decoding those here would cost 0.7 s and 200 MB
            # per file in a web process. So each format gets the check that reads all its bytes
            # without building the pixels; the worker decodes fully and fails what is left.
            try:
                if image.format == "JPEG":
                    _jpeg_structure_check(content, name, width * height, damaged)
                    # Decoding at 1/8 scale still reads every byte of the entropy-coded data,
                    # so a truncated or corrupt file fails here, at a fraction of the cost.
                    image.draft("RGB", (max(1, width // 8), max(1, height // 8)))
                    image.load()
                elif image.format == "PNG":
                    # Every chunk's CRC up to IEND: catches truncation and damage in transit.
                    image.verify()
                # WebP: opening already ran libwebp's demuxer over the whole RIFF container.
            except ValidationError:
                raise
            except (Image.DecompressionBombError, Image.DecompressionBombWarning):
                raise too_many_pixels from None
            except Exception:
                raise damaged from None
            return str(image.format), width, height


# libjpeg-turbo's own guidance (TJPARAM_SCANLIMIT) for progressive files: every scan is a pass
# over all blocks, so a few bytes per scan can buy minutes of CPU. Real encoders write ≤ 12.
JPEG_MAX_SCANS = 100
# Baseline Huffman coding needs at least about one bit per 8x8 block: a flat grey 12-megapixel
# JPEG is still ~47 kB (255 pixels per byte). A file declaring 8x more pixels per byte than that
# ends early, and libjpeg would quietly pad it to full size: a header bomb.
JPEG_MAX_PIXELS_PER_BYTE = 2048


def _jpeg_structure_check(content: bytes, name: str, pixels: int, damaged: ValidationError) -> None:
    if pixels > len(content) * JPEG_MAX_PIXELS_PER_BYTE:
        raise damaged
    # Counting the marker bytes is cheap; only a suspicious count pays for walking the segments.
    if content.count(b"\xff\xda") > JPEG_MAX_SCANS and _jpeg_scan_count(content) > JPEG_MAX_SCANS:
        raise ValidationError(
            _("“%(name)s” is a JPEG saved in too many passes; save it again as an ordinary JPEG and retry."),
            code="too_many_scans",
            params={"name": name},
        )


def _jpeg_scan_count(content: bytes) -> int:
    """Count the start-of-scan markers of the top-level JPEG stream, skipping segment payloads."""
    scans, position, end = 0, 2, len(content)
    while position + 4 <= end and content[position] == 0xFF:
        marker = content[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker == 0xD9:  # end of image
            break
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # markers without a length
            position += 2
            continue
        position += 2 + int.from_bytes(content[position + 2 : position + 4], "big")
        if marker != 0xDA:
            continue
        scans += 1
        # Entropy-coded data follows: FF is stuffed as FF 00 there, and RSTn markers belong to the scan.
        while True:
            position = content.find(b"\xff", position)
            if position < 0 or position + 1 >= end:
                return scans
            following = content[position + 1]
            if following == 0x00 or 0xD0 <= following <= 0xD7:
                position += 2
            elif following == 0xFF:
                position += 1
            else:
                break
    return scans


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        base = {"accept": "image/jpeg,image/png,image/webp", "multiple": True}
        super().__init__({**base, **(attrs or {})})


class PhotosField(forms.FileField):
    """Up to `max_count` photos, each validated by decoding; cleans to a list of ValidatedPhoto."""

    widget = MultipleFileInput

    def __init__(self, *, max_count: int | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        self.max_count = max_count or settings.OPINIA_PHOTOS_PER_ITEM
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[ValidatedPhoto]:
        files: Sequence[UploadedFile] = (
            [f for f in (data or []) if f] if isinstance(data, list | tuple) else ([data] if data else [])
        )
        if not files:
            if self.required:
                raise ValidationError(self.error_messages["required"], code="required")
            return []
        if len(files) > self.max_count:
            raise ValidationError(
                ngettext("Attach at most %(limit)d photo.", "Attach at most %(limit)d photos.", self.max_count),
                code="too_many_files",
                params={"limit": self.max_count},
            )
        errors: list[ValidationError] = []
        photos: list[ValidatedPhoto] = []
        for upload in files:
            try:
                photos.append(validate_photo(upload))
            except ValidationError as error:
                errors.append(error)
        if errors:
            raise ValidationError(errors)
        return photos


def photo_store(*, owner: User, photo: ValidatedPhoto, now: datetime | None = None) -> Photo:
    """Keep validated bytes in quarantine and create the row; the worker re-encodes after commit.

    Writes the file before any transaction is opened by the caller's service (STYLE rule 5):
    call it outside `transaction.atomic()`, then attach the returned photo inside it.
    """
    record = Photo(
        owner=owner,
        original_name=photo.original_name,
        source_format=photo.image_format,
        width=photo.width,
        height=photo.height,
        size=len(photo.content),
        created_at=now or timezone.now(),
    )
    record.quarantine.save(f"{record.uuid.hex}.bin", ContentFile(photo.content), save=False)
    record.save()
    photo_id = record.pk
    transaction.on_commit(lambda: _enqueue_processing(photo_id))
    return record


def _enqueue_processing(photo_id: int) -> None:
    from portal.tasks import process_photo

    process_photo.delay(photo_id)


def _encode(image: Image.Image, image_format: str) -> bytes:
    buffer = io.BytesIO()
    if image_format == "JPEG":
        image.convert("RGB").save(buffer, "JPEG", quality=85, optimize=True, progressive=True)
    elif image_format == "PNG":
        image.save(buffer, "PNG", optimize=False)
    else:
        image.save(buffer, "WEBP", quality=85)
    return buffer.getvalue()


def _normalise_mode(image: Image.Image) -> Image.Image:
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16-bit greyscale PNG: a plain convert() clips every value above 255 to white.
        return image.point(lambda value: value / 256).convert("L")
    if "transparency" in image.info and image.mode in ("P", "PA", "L", "RGB"):
        return image.convert("RGBA")
    if image.mode in ("RGB", "RGBA", "L", "LA"):
        return image
    if image.mode == "1":
        # Black and white: greyscale holds it in a third of the memory RGB would take.
        return image.convert("L")
    return image.convert("RGBA" if "A" in image.mode else "RGB")


def _reencode(content: bytes, source_format: str) -> tuple[bytes, bytes, int, int]:
    """Decode fully, turn upright, drop all metadata; return (image, WebP thumbnail, width, height)."""
    if source_format not in ALLOWED_FORMATS:
        raise ValueError(f"format {source_format!r} is not allowed")
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with Image.open(io.BytesIO(content), formats=(source_format,)) as source:
            # Checked again here: the limit may have been lowered since the upload was accepted.
            if source.width * source.height > settings.OPINIA_PHOTO_MAX_PIXELS:
                raise ValueError(f"{source.width}x{source.height} is over the pixel limit")
            source.load()
            ImageOps.exif_transpose(source, in_place=True)
            image = _normalise_mode(source)
            max_side = settings.OPINIA_PHOTO_MAX_SIDE
            if max(image.size) > max_side:
                image = image.resize(_fit(image.size, max_side), Image.Resampling.LANCZOS, reducing_gap=3.0)
            # A fresh image carries no info dict: no EXIF, GPS, XMP, ICC, JPEG comment or PNG text
            # survives, whatever each Pillow encoder would otherwise copy over from `info` on its own.
            clean = Image.new(image.mode, image.size)
            clean.paste(image)
    del image
    encoded = _encode(clean, source_format)
    thumb = clean.resize(_fit(clean.size, settings.OPINIA_THUMBNAIL_SIDE), Image.Resampling.LANCZOS, reducing_gap=3.0)
    thumb_bytes = _encode(thumb.convert("RGBA") if "A" in thumb.mode else thumb.convert("RGB"), "WEBP")
    return encoded, thumb_bytes, clean.width, clean.height


def _fit(size: tuple[int, int], side: int) -> tuple[int, int]:
    width, height = size
    scale = min(1.0, side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _photo_fail(*, photo_id: int, now: datetime) -> Photo | None:
    # Compare-and-set: a worker that already finished this photo keeps its result. The
    # quarantined bytes stay for investigation; nothing ever serves them.
    Photo.objects.filter(pk=photo_id, status=Photo.Status.PROCESSING).update(
        status=Photo.Status.FAILED, processed_at=now
    )
    # None when the retention sweep deleted the photo meanwhile (it was attached to nothing).
    return Photo.objects.filter(pk=photo_id).first()


def photo_process(*, photo_id: int, now: datetime | None = None) -> Photo | None:
    """Re-encode a quarantined photo and make its thumbnail; safe to run any number of times.

    The final `UPDATE … WHERE status = 'processing'` is the claim: of two workers that both
    got here, one records its files and the other's identical files are deleted again.
    A file that cannot be decoded ends FAILED (never served, never retried); a storage
    error other than a missing file propagates so that the task retries it. Returns None
    when there is no such photo, also when the retention sweep deleted it meanwhile.
    """
    photo = Photo.objects.filter(pk=photo_id).first()
    if photo is None or photo.status != Photo.Status.PROCESSING:
        return photo
    now = now or timezone.now()
    try:
        with photo.quarantine.open("rb") as handle:
            content = handle.read()
    except (FileNotFoundError, ValueError):
        # The bytes are gone (or a faster worker already finished and removed them):
        # retrying cannot help, and the stuck-photo sweep must not pick this row up forever.
        logger.warning("Photo %s has no quarantined file", photo_id)
        return _photo_fail(photo_id=photo_id, now=now)
    try:
        encoded, thumb_bytes, width, height = _reencode(content, photo.source_format)
    except Exception:
        # Hostile bytes can make a decoder raise anything; a poison file must not loop in retries.
        logger.exception("Photo %s could not be re-encoded", photo_id)
        return _photo_fail(photo_id=photo_id, now=now)

    storage = photo.quarantine.storage
    extension = EXTENSIONS[photo.source_format]
    image_name = storage.save(f"photos/{photo.uuid.hex}.{extension}", ContentFile(encoded))
    thumb_name = storage.save(f"thumbs/{photo.uuid.hex}.webp", ContentFile(thumb_bytes))
    claimed = Photo.objects.filter(pk=photo_id, status=Photo.Status.PROCESSING).update(
        status=Photo.Status.READY,
        image=image_name,
        thumbnail=thumb_name,
        content_type=CONTENT_TYPES[photo.source_format],
        width=width,
        height=height,
        size=len(encoded),
        # Of exactly the bytes written and served: `photo_serve` sends this file unchanged.
        sha256=hashlib.sha256(encoded).hexdigest(),
        processed_at=now,
    )
    if not claimed:
        storage.delete(image_name)
        storage.delete(thumb_name)
    else:
        storage.delete(str(photo.quarantine.name))
        photo_became_public_content(photo_id=photo_id)
    return Photo.objects.filter(pk=photo_id).first()


def photos_stuck(*, now: datetime, older_than: timedelta = timedelta(minutes=5), limit: int = 200) -> list[int]:
    """Ids of photos still processing after `older_than`: their task was lost and must run again."""
    return list(
        Photo.objects.filter(status=Photo.Status.PROCESSING, created_at__lte=now - older_than)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )


def photos_retry_stuck(*, now: datetime) -> int:
    """Send the photos whose processing task was lost (worker killed, broker restarted) to the worker again."""
    stuck = photos_stuck(now=now)
    for photo_id in stuck:
        _enqueue_processing(photo_id)
    return len(stuck)


# --- Retention ------------------------------------------------------------------------

_FILE_FIELDS = ("quarantine", "image", "thumbnail")


def _references_to_photos() -> list[Exists]:
    """One `EXISTS` per table that can refer to a photo, found in the model registry.

    Every app attaches photos through a many-to-many field (messages, item and additional
    reviews, dispute evidence and the dispute thread, complaints), whose through table holds
    a foreign key to `Photo`; any other foreign key to `Photo` counts as well. So an app that
    attaches photos in a new way is covered without telling the core.
    """
    return [
        Exists(relation.related_model._base_manager.filter(**{relation.field.name: OuterRef("pk")}))
        for relation in Photo._meta.get_fields(include_hidden=True)
        if isinstance(relation, ForeignObjectRel) and not relation.many_to_many
    ]


def photos_unattached(*, uploaded_before: datetime) -> QuerySet[Photo]:
    """Photos uploaded at or before `uploaded_before` that nothing refers to."""
    return Photo.objects.filter(created_at__lte=uploaded_before).filter(
        *[~reference for reference in _references_to_photos()]
    )


def photos_prune_unattached(*, now: datetime, batch_size: int | None = None) -> int:
    """Delete the photos attached to nothing OPINIA_UNATTACHED_PHOTO_RETENTION_HOURS after upload, and their files.

    A service stores photos just before the transaction that attaches them, so a photo still
    attached to nothing a day later was left by a write that was refused or failed after
    storing it (or its object was deleted since): nobody can reach it but its owner, through
    a link they were never shown. Returns how many photos were deleted.
    """
    candidates = photos_unattached(
        uploaded_before=now - timedelta(hours=settings.OPINIA_UNATTACHED_PHOTO_RETENTION_HOURS)
    )
    return prune_in_batches(lambda limit: _photos_prune_batch(candidates, limit=limit), batch_size=batch_size)


def _photos_prune_batch(candidates: QuerySet[Photo], *, limit: int) -> int:
    """Delete up to `limit` candidates; their files go once the deletion is committed.

    The rows are locked with SKIP LOCKED in the statement that checks that nothing refers
    to them, so two workers take disjoint batches, and a service attaching one of them
    meanwhile waits for this transaction and then fails on its foreign key rather than
    attach a deleted photo. The files are deleted after the commit, outside the transaction
    (STYLE rule 5): a worker killed in between leaves files that no row names, never a row
    whose file is gone, and a photo task still running finds no row and drops its own files.
    """
    with transaction.atomic():
        rows = list(
            candidates.select_for_update(skip_locked=True).order_by("pk").values_list("pk", *_FILE_FIELDS)[:limit]
        )
        if not rows:
            return 0
        Photo.objects.filter(pk__in=[row[0] for row in rows]).delete()
        names = [name for row in rows for name in row[1:] if name]
        transaction.on_commit(lambda: _delete_files(names))
    return len(rows)


def _delete_files(names: list[str]) -> None:
    # Every variant of a photo lives in the same storage as its quarantined upload.
    storage = Photo._meta.get_field("quarantine").storage
    for name in names:
        try:
            storage.delete(name)
        except OSError:
            logger.exception("Could not delete the file %s of a pruned photo", name)


# --- Permission-checked serving -------------------------------------------------------

PhotoAccessCheck = Callable[[RequestUser, Photo], bool]
_access_checks: list[PhotoAccessCheck] = []


# Told of every photo sent by `photo_serve`: (viewer, photo, "full" or "thumb", now). The
# disputes app writes its custody log from it (staff fetching a case's evidence).
PhotoServedListener = Callable[[RequestUser, Photo, str, datetime], None]
_served_listeners: list[PhotoServedListener] = []


def register_photo_served_listener(listener: PhotoServedListener) -> PhotoServedListener:
    """Let an app record who fetched a photo (called from `ready()`); it must not raise for a stranger's photo."""
    if listener not in _served_listeners:
        _served_listeners.append(listener)
    return listener


def register_photo_access(check: PhotoAccessCheck) -> PhotoAccessCheck:
    """Let an app say who may see the photos attached to its objects (called from `ready()`)."""
    if check not in _access_checks:
        _access_checks.append(check)
    return check


def photo_can_view(*, user: RequestUser, photo: Photo) -> bool:
    if user.is_authenticated and (user.pk == photo.owner_id or user.is_staff):
        return True
    return any(check(user, photo) for check in _access_checks)


def photo_get_for_user(*, user: RequestUser, photo_uuid: str) -> Photo:
    """Return a ready photo the user may see, or raise Http404 for missing, not ready or not theirs."""
    photo = Photo.objects.filter(uuid=photo_uuid, status=Photo.Status.READY).first()
    if photo is None or not photo_can_view(user=user, photo=photo):
        raise Http404("No such photo.")
    return photo


def photo_serve(request: HttpRequest, photo_uuid: str, variant: str = "full") -> FileResponse:
    """Send a ready photo or its thumbnail inline, under a server-made name, unable to run as a page."""
    photo = photo_get_for_user(user=request.user, photo_uuid=photo_uuid)
    field = photo.thumbnail if variant == "thumb" else photo.image
    content_type = "image/webp" if variant == "thumb" else photo.content_type
    extension = "webp" if variant == "thumb" else EXTENSIONS[photo.source_format]
    try:
        handle = field.open("rb")
    except (FileNotFoundError, ValueError):
        logger.error("Ready photo %s has lost its %s file", photo.pk, variant)
        raise Http404("No such photo.") from None
    now = timezone.now()
    for listener in _served_listeners:
        listener(request.user, photo, variant, now)
    response = FileResponse(
        handle,
        content_type=content_type,
        as_attachment=False,
        filename=f"{photo.uuid.hex}{'-thumb' if variant == 'thumb' else ''}.{extension}",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
