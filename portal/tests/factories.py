"""Factories for the core models; other apps' tests build on them."""

from datetime import datetime, timedelta
from decimal import Decimal
from typing import cast

import factory
from django.utils import timezone

from portal import services
from portal.models import Order, Product, Store, User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    display_name = factory.Sequence(lambda n: f"User {n}")
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery staple")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class StoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Store
        skip_postgeneration_save = True

    owner = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Store {n}")
    slug = factory.Sequence(lambda n: f"store-{n}")
    country = "CN"
    time_zone = "Asia/Shanghai"

    @factory.post_generation
    def owner_membership(obj, create, extracted, **kwargs):
        if create:
            obj.members.get_or_create(user=obj.owner, defaults={"role": "owner"})


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    store = factory.SubFactory(StoreFactory)
    title = factory.Sequence(lambda n: f"Product {n}")
    slug = factory.Sequence(lambda n: f"product-{n}")
    price = Decimal("19.99")


# What a test that only needs a shipped order ships with: a known carrier and one of its numbers.
SHIPPING = {"shipping_method": "standard", "carrier": "cainiao", "tracking_number": "LP00123456789CN"}


def make_order(
    *,
    buyer: User,
    store: Store,
    status: str = Order.Status.PLACED,
    products: list[Product] | None = None,
    at: datetime | None = None,
    step: timedelta = timedelta(days=1),
) -> Order:
    """An order walked through the real services up to `status`, one `step` apart."""
    at = at or timezone.now()
    products = products or [cast(Product, ProductFactory(store=store))]
    order = services.order_create(
        buyer=buyer, store=store, items=[services.LineItem(product=p, quantity=1) for p in products], now=at
    )
    path = {
        Order.Status.PLACED: [],
        Order.Status.PAID: [Order.Status.PAID],
        Order.Status.SHIPPED: [Order.Status.PAID, Order.Status.SHIPPED],
        Order.Status.COMPLETED: [Order.Status.PAID, Order.Status.SHIPPED, Order.Status.COMPLETED],
        Order.Status.CANCELLED: [Order.Status.CANCELLED],
    }[Order.Status(status)]
    moment = at
    for to in path:
        moment = moment + step
        if to == Order.Status.SHIPPED:
            services.order_ship(order_id=order.pk, actor=None, now=moment, **SHIPPING)
        else:
            services.order_transition(order_id=order.pk, to=to, actor=None, now=moment)
    order.refresh_from_db()
    return order
