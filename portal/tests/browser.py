"""Helpers of the browser tests."""

from typing import Any

# The image's own decoding, awaited: it resolves once the bytes have arrived and decode (a
# locator's `wait_for` returns as soon as the element is shown, often before), and is refused
# for a broken image (a 404, or bytes that are not an image).
_SHOWN = "img => img.decode().then(() => img.naturalWidth > 0, () => false)"


def image_shown(image: Any) -> bool:
    """Whether the `<img>` behind the Playwright locator loads and shows a picture."""
    return bool(image.evaluate(_SHOWN))
