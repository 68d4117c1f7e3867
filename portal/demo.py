"""What `seed_demo` built, handed to each app's demo seeder so it can add its own data."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from portal.models import Order, Product, Store, User

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
