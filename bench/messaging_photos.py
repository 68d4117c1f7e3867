"""Photos re-encoded per second per core by the worker's `photo_process` (one process, one core).

    .venv/bin/python bench/messaging_photos.py [--count 20]

Two kinds of input: a 12-megapixel camera JPEG (~5 MB, resized to 4096 px) and a 2-megapixel
phone screenshot-sized JPEG. Run `bench/messaging_upload.py` first or not: this script
stores its own photos.
"""

import argparse
import io
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from messaging_common import setup_django
from messaging_upload import five_megabyte_jpeg


def small_jpeg() -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (1600, 1200), (40, 90, 160))
    draw = ImageDraw.Draw(image)
    for n in range(0, 1600, 40):
        draw.line((n, 0, 1600 - n, 1200), fill=(255, (n * 3) % 255, 80), width=3)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=88)
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=20)
    args = parser.parse_args()
    setup_django()
    from django.core.files.uploadedfile import SimpleUploadedFile

    from portal.models import User
    from portal.uploads import photo_process, photo_store, validate_photo

    owner = User.objects.get(email="bench-buyer@opinia.test")
    for name, content in (("12 MP camera JPEG", five_megabyte_jpeg()), ("2 MP JPEG", small_jpeg())):
        ids = []
        for _ in range(args.count):
            upload = SimpleUploadedFile("p.jpg", content, content_type="image/jpeg")
            ids.append(photo_store(owner=owner, photo=validate_photo(upload)).pk)
        cpu_started, wall_started = time.process_time(), time.perf_counter()
        for photo_id in ids:
            result = photo_process(photo_id=photo_id)
            if result is None or result.status != "ready":
                raise RuntimeError(f"photo {photo_id} was not processed")
        cpu = time.process_time() - cpu_started
        wall = time.perf_counter() - wall_started
        print(
            f"{name} ({len(content) / 1024 / 1024:.1f} MB): {args.count} photos, "
            f"{args.count / cpu:.1f} photos per CPU-second (per core), {args.count / wall:.1f} per wall-second"
        )


if __name__ == "__main__":
    main()
