"""What `seed_demo` built, handed to each app's demo seeder so it can add its own data."""

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time

from PIL import Image, ImageDraw

from portal.models import Order, Product, Store, User
from portal.uploads import ValidatedPhoto

DEMO_PASSWORD = "opinia-demo"  # noqa: S105 - printed on purpose: demo accounts only


@dataclass
class DemoWorld:
    now: datetime
    staff: User
    buyers: list[User]
    stores: list[Store]
    products: dict[int, list[Product]]
    orders: list[Order]
    agent: User
    extra: dict[str, object] = field(default_factory=dict)


DemoSeeder = Callable[[DemoWorld], None]
DEMO_SEEDERS: list[DemoSeeder] = []


def register_demo_seeder(seeder: DemoSeeder) -> None:
    """Let an app add its demo data after the core's (call from `AppConfig.ready()`)."""
    if seeder not in DEMO_SEEDERS:
        DEMO_SEEDERS.append(seeder)


# Called on every run of `seed_demo`, after the logins are printed; each returns lines to print.
# For what cannot be printed twice (an API key's secret exists only when it is issued), so the
# function issues afresh on each run rather than once with the demo data.
DemoPrintout = Callable[[], list[str]]
DEMO_PRINTOUTS: list[DemoPrintout] = []


def register_demo_printout(printout: DemoPrintout) -> None:
    """Let an app print something of its own at each `seed_demo` run (call from `AppConfig.ready()`)."""
    if printout not in DEMO_PRINTOUTS:
        DEMO_PRINTOUTS.append(printout)


def demo_tracking_number(order: Order) -> str:
    """A believable, unique tracking number for a demo order: the UPU S10 form, "LP12345678" + check digit + country.

    Derived from the order, so no two demo parcels share a number.
    """
    serial = f"{order.pk % 10**8:08d}"
    check = 11 - sum(int(digit) * weight for digit, weight in zip(serial, (8, 6, 4, 2, 3, 5, 9, 7), strict=True)) % 11
    check = {10: 0, 11: 5}.get(check, check)
    return f"LP{serial}{check}{order.store.country or 'CN'}"


# The postal operator whose S10 numbers end in the store's country; Cainiao carries the rest.
DEMO_POSTAL_CARRIERS = {"CN": "china-post", "PL": "poczta-polska", "KR": "korea-post", "IN": "india-post", "US": "usps"}


def demo_shipping(order: Order) -> dict[str, str]:
    """How a demo order ships (`order_ship`'s method, carrier and tracking number), derived from the order."""
    methods = ("economy", "standard", "express")
    return {
        "shipping_method": methods[order.pk % len(methods)],
        "carrier": DEMO_POSTAL_CARRIERS.get(order.store.country or "CN", "cainiao"),
        "tracking_number": demo_tracking_number(order),
    }


def demo_hours_text(intervals: Sequence[tuple[time, time]]) -> str:
    """The hours as an auto-reply states them, from the same values the working hours are set from."""
    return ", ".join(f"{opens_at:%H:%M}–{closes_at:%H:%M}" for opens_at, closes_at in intervals)


# Listing photos of the demo products: a plain colour per product, its title written on it.
DEMO_PHOTO_COLOURS = ("#2f5d8a", "#8a2f4f", "#2f8a5d", "#8a6d2f", "#5d2f8a", "#2f7f8a", "#8a452f")


def demo_product_photo(label: str, colour: str) -> ValidatedPhoto:
    """A small JPEG made at seed time (no image files in the repository), ready for the photo pipeline."""
    image = Image.new("RGB", (480, 360), colour)
    ImageDraw.Draw(image).text((24, 24), label, fill="white")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    name = "".join(char if char.isalnum() else "-" for char in label.lower())[:40]
    return ValidatedPhoto(
        content=buffer.getvalue(), image_format="JPEG", width=480, height=360, original_name=f"{name}.jpg"
    )
