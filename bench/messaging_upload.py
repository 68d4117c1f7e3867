"""An upload request with a 5 MB photo: the request validates and stores; the worker re-encodes.

    .venv/bin/python bench/messaging_upload.py [--requests 30] [--concurrency 2]

Target p95 < 300 ms. Runs gunicorn on loopback with the filesystem broker, so the request
only enqueues the re-encoding (no worker runs during the measurement).
"""

import argparse
import http.client
import io
import re
import sys
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from messaging_common import Gunicorn, percentiles, session_cookie, setup_django

LIMIT = 5 * 1024 * 1024


def five_megabyte_jpeg() -> bytes:
    """A 12-megapixel camera-like JPEG just under 5 MB (noise keeps it from compressing)."""
    import random

    from PIL import Image

    rng = random.Random(7)
    width, height = 4000, 3000
    base = Image.new("RGB", (width, height))
    noise = Image.frombytes("RGB", (width // 4, height // 4), rng.randbytes((width // 4) * (height // 4) * 3))
    base.paste(noise.resize((width, height)))
    for quality in (95, 90, 85, 80, 75, 70, 60, 50):
        buffer = io.BytesIO()
        base.save(buffer, "JPEG", quality=quality)
        if len(buffer.getvalue()) <= LIMIT:
            return buffer.getvalue()
    raise RuntimeError("could not make a photo under 5 MB")


def multipart(fields: dict[str, str], photo: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="photos"; filename="camera.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n".encode()
        + photo
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args()
    setup_django()
    from messaging.models import Conversation
    from portal.models import Photo, User

    buyer = User.objects.get(email="bench-buyer@opinia.test")
    conversation = Conversation.objects.filter(buyer=buyer).order_by("-last_message_at").first()
    assert conversation is not None
    cookie = session_cookie(buyer.email)
    photo = five_megabyte_jpeg()
    print(f"photo: {len(photo) / 1024 / 1024:.2f} MB JPEG, 4000×3000")
    before = Photo.objects.count()
    with Gunicorn(workers=2, threads=2) as server:
        page = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        page.request("GET", f"/messages/c/{conversation.pk}/", headers={"Cookie": cookie, "Host": "localhost"})
        response = page.getresponse()
        html = response.read().decode()
        csrf_cookie = re.search(r"csrftoken=([^;]+)", response.getheader("Set-Cookie") or "")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        if not (csrf_cookie and token):
            raise RuntimeError("no CSRF token on the thread page")
        headers_base = {
            "Cookie": f"{cookie}; csrftoken={csrf_cookie.group(1)}",
            "Host": "localhost",
            "Origin": "http://localhost",
            "Referer": f"http://localhost/messages/c/{conversation.pk}/",
        }
        samples: list[float] = []
        lock = threading.Lock()
        remaining = [args.requests + 2 * args.concurrency]

        def worker() -> None:
            connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
            warm = 2
            while True:
                with lock:
                    if remaining[0] <= 0:
                        break
                    remaining[0] -= 1
                body, content_type = multipart({"csrfmiddlewaretoken": token.group(1), "text": "photo"}, photo)
                started = time.perf_counter()
                connection.request(
                    "POST",
                    f"/messages/c/{conversation.pk}/send/",
                    body=body,
                    headers={**headers_base, "Content-Type": content_type},
                )
                response = connection.getresponse()
                response.read()
                elapsed = (time.perf_counter() - started) * 1000
                if response.status != 302:
                    raise RuntimeError(f"upload answered {response.status}")
                if warm:
                    warm -= 1
                    continue
                with lock:
                    samples.append(elapsed)
            connection.close()

        threads = [threading.Thread(target=worker) for _ in range(args.concurrency)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    stored = Photo.objects.count() - before
    processing = Photo.objects.filter(status="processing").count()
    print(f"uploads with one 5 MB photo, {args.concurrency} concurrent (ms): {percentiles(samples)}")
    print(f"{stored} photos stored, {processing} waiting for the worker (re-encoding is not in the request)")


if __name__ == "__main__":
    main()
