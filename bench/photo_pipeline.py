"""Benchmark the photo pipeline on realistic 12-megapixel camera JPEGs.

Measures, per photo, the request-side check (`validate_photo`: header, pixel cap, 1/8-scale
decode) and the worker's job (`photo_process`: full decode, orientation, metadata strip,
re-encode, WebP thumbnail, storage). Runs single-threaded, so the figures are per core;
CPU time is reported next to wall time because the machine may be shared.

    .venv/bin/python bench/photo_pipeline.py [--photos 5] [--width 4000 --height 3000]

Uses a throw-away SQLite database and media folder (DEBUG=1); it is not a test.
"""

import argparse
import io
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORKDIR = Path(tempfile.mkdtemp(prefix="opinia-bench-photos-"))
os.environ.update(
    DJANGO_SETTINGS_MODULE="portal.settings",
    DEBUG="1",
    DATABASE_URL=f"sqlite:///{WORKDIR / 'bench.sqlite3'}",
    MEDIA_ROOT=str(WORKDIR / "media"),
)
sys.path.insert(0, str(ROOT))

import django  # noqa: E402

django.setup()

from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.core.management import call_command  # noqa: E402
from PIL import ExifTags, Image, ImageChops  # noqa: E402

from portal import uploads  # noqa: E402
from portal.models import Photo, User  # noqa: E402


def camera_jpeg(width: int, height: int, seed: int) -> bytes:
    """A 12 MP-like photo: smooth colour gradients (sky, light falloff) plus sensor noise, quality 90.

    Pure noise would be a worst case no camera produces; pure gradients compress to almost
    nothing. The mix lands where phone photos do, 3-5 MB, and carries EXIF (orientation, GPS)
    like they do.
    """
    small = (width // 8, height // 8)
    red = Image.linear_gradient("L").resize(small).rotate(seed * 37 % 360, expand=False)
    green = Image.radial_gradient("L").resize(small)
    blue = Image.linear_gradient("L").transpose(Image.Transpose.ROTATE_90).resize(small)
    base = Image.merge("RGB", (red, green, blue)).resize((width, height), Image.Resampling.BICUBIC)
    grain = Image.effect_noise((width, height), 10 + seed % 3 * 2).convert("RGB")
    photo = ImageChops.add(base, grain, scale=1.0, offset=-128 + 64)
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "BenchPhone"
    exif[ExifTags.Base.Orientation] = 6 if seed % 2 else 1
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (52.0, 13.0, float(seed))
    buffer = io.BytesIO()
    photo.save(buffer, "JPEG", quality=90, exif=exif)
    return buffer.getvalue()


def timed[T](function: Callable[[], T]) -> tuple[T, float, float]:
    """Return the result, wall milliseconds and CPU milliseconds of `function()`."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = function()
    return result, (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=5)
    parser.add_argument("--width", type=int, default=4000)
    parser.add_argument("--height", type=int, default=3000)
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    # Outside a transaction on_commit fires at once; the worker's step is timed on its own below.
    uploads._enqueue_processing = lambda photo_id: None
    owner = User.objects.create_user(email="bench@example.com", password="bench-only")

    print(f"Generating {args.photos} photos of {args.width}x{args.height} ({args.width * args.height / 1e6:.1f} MP)…")
    photos = [camera_jpeg(args.width, args.height, seed) for seed in range(args.photos)]
    sizes = [len(content) / 1e6 for content in photos]
    print(f"  JPEG quality 90, {min(sizes):.2f}-{max(sizes):.2f} MB each (limit 5 MiB)")

    validate_wall, validate_cpu, process_wall, process_cpu, output_sizes = [], [], [], [], []
    for index, content in enumerate(photos):
        upload = SimpleUploadedFile(f"IMG_{index:04d}.jpg", content)
        validated, wall, cpu = timed(partial(uploads.validate_photo, upload))
        validate_wall.append(wall)
        validate_cpu.append(cpu)
        record = uploads.photo_store(owner=owner, photo=validated)
        _, wall, cpu = timed(partial(uploads.photo_process, photo_id=record.pk))
        process_wall.append(wall)
        process_cpu.append(cpu)
        record.refresh_from_db()
        assert record.status == Photo.Status.READY, record.status
        output_sizes.append(record.size / 1e6)

    def line(label: str, wall: list[float], cpu: list[float]) -> None:
        print(
            f"  {label:<44} median {statistics.median(wall):7.1f} ms wall, {statistics.median(cpu):7.1f} ms CPU"
            f"   (min {min(wall):.1f}, max {max(wall):.1f} ms wall)"
        )

    print(f"Per photo, one thread, {args.photos} photos:")
    line("request: validate_photo (1/8-scale decode)", validate_wall, validate_cpu)
    line("worker: photo_process (re-encode + thumbnail)", process_wall, process_cpu)
    total_cpu = statistics.median(validate_cpu) + statistics.median(process_cpu)
    print(f"  re-encoded JPEG (quality 85, progressive): {statistics.median(output_sizes):.2f} MB")
    print(
        f"Throughput per core: {1000 / statistics.median(validate_cpu):.1f} validations/s, "
        f"{1000 / statistics.median(process_cpu):.2f} re-encodes/s, "
        f"{1000 / total_cpu:.2f} photos/s end to end (CPU time)"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"Peak memory of this process: {peak:.0f} MB (the generator's own images included)")
    shutil.rmtree(WORKDIR, ignore_errors=True)


if __name__ == "__main__":
    main()
