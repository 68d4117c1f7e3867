"""The one photo pipeline: validation, storage, re-encoding, thumbnails, permission-checked serving.

A request only validates (size, real format by decoding, pixel cap, truncation) and keeps
the bytes in quarantine under a server-made name. The worker then decodes them fully,
applies the EXIF orientation, drops every metadata block by re-encoding, and makes the
thumbnail. Nothing but the re-encoded files is ever served, and only through `photo_serve`,
after the owning app has said that the user may see the photo.
"""

import io
import logging
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
from django.http import FileResponse, Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from portal.models import Photo, User

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
    name = re.sub(r"[\x00-\x1f\x7f\"'`<>|:*?;]", "", name)
    name = re.sub(r"\s+", " ", name).strip(" .")
    return name[:100] or "photo"


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}"


def validate_photo(upload: UploadedFile) -> ValidatedPhoto:
    """Decode the upload with Pillow and return it, or raise a ValidationError saying why not."""
    name = sanitize_filename(upload.name or "")
    max_bytes = settings.OPINIA_PHOTO_MAX_BYTES
    if upload.size is None or upload.size == 0:
        raise ValidationError(_("“%(name)s” is empty."), code="empty", params={"name": name})
    if upload.size > max_bytes:
        raise ValidationError(
            _("“%(name)s” is %(size)s MB; a photo may be at most %(limit)s MB."),
            code="too_large",
            params={"name": name, "size": _megabytes(upload.size), "limit": _megabytes(max_bytes)},
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
    not_an_image = ValidationError(
        _("“%(name)s” is not a JPEG, PNG or WebP photo."), code="invalid_image", params={"name": name}
    )
    max_pixels = settings.OPINIA_PHOTO_MAX_PIXELS
    too_many_pixels = ValidationError(
        _("“%(name)s” has too many pixels; the limit is %(limit)s megapixels."),
        code="too_many_pixels",
        params={"name": name, "limit": max_pixels // 1_000_000},
    )
    with warnings.catch_warnings():
        # Pillow only warns between MAX_IMAGE_PIXELS and twice that; here any bomb is an error.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(content), formats=ALLOWED_FORMATS) as image:
                if image.format not in ALLOWED_FORMATS:
                    raise not_an_image
                width, height = image.size
                if width * height > max_pixels:
                    raise too_many_pixels
                if image.format == "JPEG":
                    # Decoding at 1/8 scale still reads every byte of the entropy-coded data,
                    # so a truncated or corrupt file fails here, at a fraction of the cost.
                    image.draft("RGB", (max(1, width // 8), max(1, height // 8)))
                image.load()
                return image.format, width, height
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise too_many_pixels from None
        except ValidationError:
            raise
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
            raise not_an_image from None


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
    if image.mode in ("RGB", "RGBA", "L", "LA"):
        return image
    if image.mode in ("P", "PA") and "transparency" in image.info:
        return image.convert("RGBA")
    if image.mode == "CMYK" or image.mode.startswith("I") or image.mode.startswith("F") or image.mode == "P":
        return image.convert("RGB")
    return image.convert("RGBA" if "A" in image.mode else "RGB")


def photo_process(*, photo_id: int, now: datetime | None = None) -> Photo | None:
    """Re-encode a quarantined photo and make its thumbnail; safe to run any number of times.

    The final `UPDATE … WHERE status = 'processing'` is the claim: of two workers that both
    got here, one records its files and the other's identical files are deleted again.
    """
    photo = Photo.objects.filter(pk=photo_id).first()
    if photo is None or photo.status != Photo.Status.PROCESSING:
        return photo
    now = now or timezone.now()
    try:
        with photo.quarantine.open("rb") as handle:
            content = handle.read()
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content), formats=ALLOWED_FORMATS) as source:
                source.load()
                oriented = ImageOps.exif_transpose(source)
        image = _normalise_mode(oriented)
        max_side = settings.OPINIA_PHOTO_MAX_SIDE
        if max(image.size) > max_side:
            image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
        # A fresh image carries no info dict: no EXIF, GPS, XMP, ICC or text chunks survive.
        clean = Image.new(image.mode, image.size)
        clean.paste(image)
        encoded = _encode(clean, photo.source_format)
        thumb = clean.copy()
        side = settings.OPINIA_THUMBNAIL_SIDE
        thumb.thumbnail((side, side), Image.Resampling.LANCZOS)
        thumb_bytes = _encode(thumb.convert("RGBA") if "A" in thumb.mode else thumb.convert("RGB"), "WEBP")
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        logger.exception("Photo %s could not be re-encoded", photo_id)
        Photo.objects.filter(pk=photo_id, status=Photo.Status.PROCESSING).update(
            status=Photo.Status.FAILED, processed_at=now
        )
        return Photo.objects.get(pk=photo_id)

    extension = EXTENSIONS[photo.source_format]
    image_name = photo.image.field.storage.save(f"photos/{photo.uuid.hex}.{extension}", ContentFile(encoded))
    thumb_name = photo.thumbnail.field.storage.save(f"thumbs/{photo.uuid.hex}.webp", ContentFile(thumb_bytes))
    claimed = Photo.objects.filter(pk=photo_id, status=Photo.Status.PROCESSING).update(
        status=Photo.Status.READY,
        image=image_name,
        thumbnail=thumb_name,
        content_type=CONTENT_TYPES[photo.source_format],
        width=clean.width,
        height=clean.height,
        size=len(encoded),
        processed_at=now,
    )
    storage = photo.quarantine.storage
    if not claimed:
        storage.delete(image_name)
        storage.delete(thumb_name)
    else:
        storage.delete(str(photo.quarantine.name))
    return Photo.objects.get(pk=photo_id)


def photos_stuck(*, now: datetime, older_than: timedelta = timedelta(minutes=5), limit: int = 200) -> list[int]:
    """Ids of photos still processing after `older_than`: their task was lost and must run again."""
    return list(
        Photo.objects.filter(status=Photo.Status.PROCESSING, created_at__lte=now - older_than)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )


# --- Permission-checked serving -------------------------------------------------------

PhotoAccessCheck = Callable[[User, Photo], bool]
_access_checks: list[PhotoAccessCheck] = []


def register_photo_access(check: PhotoAccessCheck) -> PhotoAccessCheck:
    """Let an app say who may see the photos attached to its objects (called from `ready()`)."""
    if check not in _access_checks:
        _access_checks.append(check)
    return check


def photo_can_view(*, user: User | Any, photo: Photo) -> bool:
    if user.is_authenticated and (user.pk == photo.owner_id or user.is_staff):
        return True
    return any(check(user, photo) for check in _access_checks)


def photo_get_for_user(*, user: User | Any, photo_uuid: str) -> Photo:
    """Return a ready photo the user may see, or raise Http404 for missing, not ready or not theirs."""
    photo = Photo.objects.filter(uuid=photo_uuid, status=Photo.Status.READY).first()
    if photo is None or not photo_can_view(user=user, photo=photo):
        raise Http404("No such photo.")
    return photo


def photo_serve(request: HttpRequest, photo_uuid: str, variant: str = "full") -> FileResponse:
    photo = photo_get_for_user(user=request.user, photo_uuid=photo_uuid)
    field = photo.thumbnail if variant == "thumb" else photo.image
    content_type = "image/webp" if variant == "thumb" else photo.content_type
    extension = "webp" if variant == "thumb" else EXTENSIONS[photo.source_format]
    response = FileResponse(
        field.open("rb"),
        content_type=content_type,
        as_attachment=False,
        filename=f"{photo.uuid.hex}{'-thumb' if variant == 'thumb' else ''}.{extension}",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
