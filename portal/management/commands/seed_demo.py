"""Build a believable demo marketplace; safe to run any number of times.

Stores in different time zones, buyers in different languages, orders in every state,
including shipped orders whose delivery guarantee runs out within the next minutes (and
one already overdue) so that the worker visibly confirms them. Other apps add their demo
data (reviews, conversations, disputes) through `portal.demo.DEMO_SEEDERS`.
"""

import random
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from portal import services
from portal.demo import (
    DEMO_PASSWORD,
    DEMO_PHOTO_COLOURS,
    DEMO_PRINTOUTS,
    DEMO_SEEDERS,
    DemoWorld,
    demo_hours_text,
    demo_product_photo,
    demo_shipping,
)
from portal.models import Order, Product, ShippingMethod, Store, StoreMember, User
from portal.rules import latest_version as rules_latest_version
from portal.rules import rules_at

STORES = [
    # name, country, time zone, owner e-mail, language, working hours (Monday to Friday: one
    # or more intervals; one closing "before" it opens runs past midnight), auto-reply
    # ({hours} is filled in from the working hours, so the two always agree)
    (
        "Shenzhen Gadget Hub",
        "CN",
        "Asia/Shanghai",
        "seller@opinia.test",
        "zh-hans",
        ((time(7), time(1)),),  # overnight, like the marketplace's own support (seed 000)
        "Thank you for your message! Our team works {hours} Beijing time, Monday to Friday, and will answer soon.",
    ),
    (
        "Kraków Amber Studio",
        "PL",
        "Europe/Warsaw",
        "amber@opinia.test",
        "pl",
        ((time(9), time(13)), (time(14), time(17))),  # a lunch break
        "Dziękujemy za wiadomość! Odpowiemy w godzinach pracy ({hours}, od poniedziałku do piątku).",
    ),
    (
        "Seoul Beauty Lab",
        "KR",
        "Asia/Seoul",
        "beauty@opinia.test",
        "ko",
        ((time(10), time(19)),),
        "문의해 주셔서 감사합니다. 평일 영업시간({hours})에 답변드리겠습니다.",
    ),
    (
        "Ahmedabad Textiles",
        "IN",
        "Asia/Kolkata",
        "textiles@opinia.test",
        "gu",
        ((time(10), time(19)),),
        "Thank you! We reply during working hours, {hours} India time, Monday to Friday.",
    ),
]

PRODUCTS = {
    "Shenzhen Gadget Hub": [
        ("USB-C fast charger 65W", "18.90"),
        ("Wireless earbuds", "24.50"),
        ("Phone tripod", "9.99"),
    ],
    "Kraków Amber Studio": [("Baltic amber pendant", "45.00"), ("Amber earrings", "32.00")],
    "Seoul Beauty Lab": [("Snail mucin essence", "15.20"), ("Sheet mask set (10)", "12.00")],
    "Ahmedabad Textiles": [("Hand-block printed scarf", "21.00"), ("Cotton bedspread", "39.00")],
}

BUYERS = [
    # e-mail, display name, language, time zone, phone
    ("buyer@opinia.test", "Alice Kowalska", "pl", "Europe/Warsaw", "+48600100200"),
    ("minji@opinia.test", "Min-ji Park", "ko", "Asia/Seoul", ""),
    ("wei@opinia.test", "Wei Zhang", "zh-hans", "Asia/Shanghai", ""),
    ("priya@opinia.test", "Priya Patel", "gu", "Asia/Kolkata", "+919800011122"),
    ("john@opinia.test", "John Smith", "en", "America/New_York", ""),
]

# Delivery-time tables: (min, max) days by method, at home and abroad; a store ships abroad to
# the countries listed (and not to the others, so "No delivery to your country" shows too).
DELIVERY_DAYS = {
    "home": {ShippingMethod.ECONOMY: (3, 6), ShippingMethod.STANDARD: (2, 4), ShippingMethod.EXPRESS: (1, 2)},
    "abroad": {ShippingMethod.ECONOMY: (15, 30), ShippingMethod.STANDARD: (8, 15), ShippingMethod.EXPRESS: (3, 6)},
}
DELIVERY_ABROAD = {
    "CN": ["PL", "KR", "IN", "US", "DE", "GB"],
    "PL": ["DE", "CZ", "GB", "US", "CN"],
    "KR": ["CN", "JP", "US", "PL"],
    "IN": ["US", "GB", "AE"],
}


class Command(BaseCommand):
    help = "Create demo stores, buyers, orders (and, through other apps, reviews, messages, disputes)."

    def handle(self, *args: Any, **options: Any) -> None:
        if User.objects.filter(email="buyer@opinia.test").exists():
            self.stdout.write("Demo data already present; nothing to do.")
        else:
            with transaction.atomic():
                world = self._build()
            for seeder in DEMO_SEEDERS:
                seeder(world)
            self.stdout.write(self.style.SUCCESS("Demo marketplace created."))
        self._print_logins()

    def _build(self) -> DemoWorld:
        rng = random.Random(20261123)
        now = timezone.now()
        staff = services.user_create(
            email="staff@opinia.test",
            password=DEMO_PASSWORD,
            email_verified=True,
            display_name="Opinia Staff",
            is_staff=True,
            # Every staff group, found by what it may do rather than by name: the groups that hold a permission.
            groups=Group.objects.filter(permissions__isnull=False).values_list("name", flat=True).distinct(),
        )
        staff.is_superuser = True
        staff.save(update_fields=["is_superuser"])
        buyers = [
            services.user_create(
                email=email,
                password=DEMO_PASSWORD,
                email_verified=True,
                display_name=name,
                language=language,
                time_zone=tz,
                phone=phone,
            )
            for email, name, language, tz, phone in BUYERS
        ]
        stores: list[Store] = []
        products: dict[int, list[Product]] = {}
        for name, country, tz, owner_email, language, intervals, auto_reply in STORES:
            owner = services.user_create(
                email=owner_email,
                password=DEMO_PASSWORD,
                email_verified=True,
                display_name=f"{name} owner",
                language=language,
                time_zone=tz,
            )
            store = services.store_create(
                owner=owner,
                name=name,
                country=country,
                time_zone=tz,
                auto_reply=auto_reply.format(hours=demo_hours_text(intervals)),
            )
            services.store_set_working_hours(
                store=store,
                actor=owner,
                intervals=[
                    services.OpeningInterval(weekday=day, opens_at=opens_at, closes_at=closes_at)
                    for day in range(5)
                    for opens_at, closes_at in intervals
                ],
            )
            services.store_set_delivery_times(store=store, actor=owner, rows=self._delivery_table(country))
            if name == "Seoul Beauty Lab":
                # On holiday right now (its own calendar), without a text of its own: buyers get
                # the platform's "back on …" in their language, and its page says so.
                today = store.local_now(now).date()
                services.store_holiday_add(
                    store=store, actor=owner, starts_on=today - timedelta(days=1), ends_on=today + timedelta(days=3)
                )
            stores.append(store)
            products[store.pk] = [
                services.product_create(
                    store=store, title=title, price=Decimal(price), description=f"{title} from {name}."
                )
                for title, price in PRODUCTS[name]
            ]
            # Each product gets a listing photo before any order, so every order keeps it as sold.
            for index, product in enumerate(products[store.pk]):
                services.product_photos_add(
                    actor=owner,
                    product_id=product.pk,
                    photos=[demo_product_photo(product.title, DEMO_PHOTO_COLOURS[(store.pk + index) % 7])],
                    now=now,
                )
        agent = services.user_create(
            email="agent@opinia.test",
            password=DEMO_PASSWORD,
            email_verified=True,
            display_name="Li Na (agent)",
            language="en",
        )
        StoreMember.objects.create(store=stores[0], user=agent, role=StoreMember.Role.AGENT)

        orders: list[Order] = []
        auto_confirm = timedelta(days=rules_latest_version().auto_confirm_days)
        plans: list[tuple[str, timedelta]] = [
            # status to reach, how long ago the order was placed
            ("completed", timedelta(days=3)),
            ("completed", timedelta(days=20)),
            ("completed", timedelta(days=44, hours=23, minutes=40)),
            ("completed", timedelta(days=100)),
            ("completed", timedelta(days=200)),
            ("shipped", timedelta(days=10)),
            ("shipped", timedelta(days=56)),
            ("paid", timedelta(days=2)),
            ("paid", timedelta(days=9)),
            ("placed", timedelta(hours=5)),
            ("cancelled", timedelta(days=12)),
        ]
        for store in stores:
            for buyer in buyers:
                status, ago = plans[(store.pk * 7 + buyer.pk) % len(plans)]
                orders.append(self._order(buyer, store, products[store.pk], status, now - ago, rng))
        # Deadlines the worker visibly acts on: guarantees ending in 2 and 5 minutes, one overdue.
        for minutes in (-1, 2, 5):
            shipped_at = now - auto_confirm + timedelta(minutes=minutes)
            order = self._order(
                buyers[0], stores[0], products[stores[0].pk], "paid", shipped_at - timedelta(days=2), rng
            )
            services.order_ship(order_id=order.pk, actor=stores[0].owner, now=shipped_at, **demo_shipping(order))
            orders.append(order)
        # The shipping desk: paid orders whose handling time ends within the hour, ended an hour
        # ago, and has two days left (the first store, where the agent works too).
        handling = timedelta(days=rules_at(now).handling_days)
        for left in (timedelta(minutes=50), -timedelta(hours=1), timedelta(days=2)):
            paid_at = now - handling + left
            order = services.order_create(
                buyer=buyers[1 % len(buyers)],
                store=stores[0],
                items=[services.LineItem(product=products[stores[0].pk][0], quantity=1)],
                now=paid_at - timedelta(hours=3),
                currency="USD",
            )
            services.order_pay(order_id=order.pk, actor=None, now=paid_at)
            orders.append(order)
        self._send_past_reminders(now)
        # A version of the rules announced for next month: every order's rules page names it.
        services.rules_publish(
            actor=staff,
            effective_from=now + timedelta(days=30),
            values={**rules_latest_version().values(), "report_days": 45, "revision_request_days": 45},
            note="Sellers get 45 days to report a review or ask for a revision.",
            now=now,
        )
        return DemoWorld(
            now=now, staff=staff, buyers=buyers, stores=stores, products=products, orders=orders, agent=agent
        )

    @staticmethod
    def _delivery_table(country: str) -> list[services.DeliveryRow]:
        rows = [
            services.DeliveryRow(country=country, method=method, min_days=low, max_days=high)
            for method, (low, high) in DELIVERY_DAYS["home"].items()
        ]
        rows += [
            services.DeliveryRow(country=abroad, method=method, min_days=low, max_days=high)
            for abroad in DELIVERY_ABROAD[country]
            for method, (low, high) in DELIVERY_DAYS["abroad"].items()
        ]
        return rows

    def _order(
        self, buyer: User, store: Store, catalogue: list[Product], status: str, placed_at: Any, rng: random.Random
    ) -> Order:
        items = [
            services.LineItem(product=p, quantity=rng.randint(1, 3))
            for p in rng.sample(catalogue, k=min(2, len(catalogue)))
        ]
        # Sent to where the buyer lives; the promise is fixed from the store's table when it ships
        # (the orders shipped weeks ago and still not confirmed are past it: late).
        order = services.order_create(
            buyer=buyer,
            store=store,
            items=items,
            now=placed_at,
            currency="USD",
            ship_to_country=buyer.delivery_country,
        )
        steps = {
            "placed": [],
            "paid": ["paid"],
            "shipped": ["paid", "shipped"],
            "completed": ["paid", "shipped", "completed"],
            "cancelled": ["cancelled"],
        }[status]
        moment = placed_at
        for step in steps:
            # At most 60 hours for the three steps: the youngest completed order (3 days) is complete by now.
            moment += timedelta(hours=rng.randint(2, 20))
            if step == "completed":
                services.order_confirm_receipt(order_id=order.pk, buyer=buyer, now=moment)
            elif step == "shipped":
                services.order_ship(order_id=order.pk, actor=None, now=moment, **demo_shipping(order))
            else:
                services.order_transition(order_id=order.pk, to=step, actor=None, now=moment)
        return order

    def _send_past_reminders(self, now: datetime) -> None:
        """Send the automatic-confirmation reminders that fell due before `now`, each at its moment.

        The orders were placed in the past, so a worker running all along would have reminded
        their buyers days ago ("will be confirmed in 5 days"). Sweeping at each due moment in
        turn dates every reminder then, with words that were true; left to the worker, a
        reminder saying "in 5 days" would arrive minutes before "confirmed automatically".
        """
        due_moments = (
            Order.objects.filter(
                status=Order.Status.SHIPPED,
                auto_confirm_reminded_at__isnull=True,
                auto_confirm_reminder_due_at__lte=now,
            )
            .order_by("auto_confirm_reminder_due_at")
            .values_list("auto_confirm_reminder_due_at", flat=True)
        )
        for moment in list(due_moments):
            if moment is not None:
                services.orders_auto_confirm_reminder_sweep(now=moment)

    def _print_logins(self) -> None:
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for role, email in (
            ("buyer", "buyer@opinia.test"),
            ("seller (store owner)", "seller@opinia.test"),
            ("agent", "agent@opinia.test"),
            ("staff (admin)", "staff@opinia.test"),
        ):
            self.stdout.write(f"  {role:<22} {email}")
        for printout in DEMO_PRINTOUTS:
            for line in printout():
                self.stdout.write(line)
