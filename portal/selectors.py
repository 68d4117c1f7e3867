"""Every non-trivial read of the core. `*_get_for_user` raise Http404 for missing or not yours."""

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import Group, Permission
from django.db import connection, connections, router
from django.db.models import Count, Exists, F, Min, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404

from portal.db import bound_cursor, model_by, model_columns, model_from_row
from portal.models import (
    DeliveryTime,
    Order,
    OrderEvent,
    OrderItem,
    Photo,
    Product,
    ProductPhoto,
    RequestUser,
    ShippingMethod,
    Store,
    StoreHoliday,
    StoreMember,
    User,
    WorkingHours,
)
from portal.pagination import Cursor, cursor_decode, page_split, rows_after
from portal.rules import Rules, rules_at, rules_for, rules_of_version
from portal.search import search_rows


def users_with_permission(*, perm: str) -> QuerySet[User]:
    """Active users who hold `perm` ("app_label.codename"): through a group, directly, or as superusers.

    The staff to notify or remind are chosen by what they may do, never by a group's name, so
    that renaming a group in the admin changes nobody's rights. One query, ordered by pk.
    """
    app_label, _dot, codename = perm.partition(".")
    if not (app_label and codename):
        raise ValueError(f"Expected 'app_label.codename', got {perm!r}.")
    permission = Permission.objects.filter(content_type__app_label=app_label, codename=codename)
    via_group = Group.permissions.through.objects.filter(
        group__user=OuterRef("pk"), permission__in=permission.values("pk")
    )
    direct = User.user_permissions.through.objects.filter(user=OuterRef("pk"), permission__in=permission.values("pk"))
    return User.objects.filter(Q(is_superuser=True) | Exists(via_group) | Exists(direct), is_active=True).order_by("pk")


def order_get_for_buyer(*, user: User, order_id: int) -> Order:
    order = (
        Order.objects.select_related("store")
        .prefetch_related(
            Prefetch("items", queryset=OrderItem.objects.select_related("product", "sold_photo").order_by("pk")),
            Prefetch("events", queryset=OrderEvent.objects.select_related("actor").order_by("created_at", "pk")),
        )
        .filter(pk=order_id, buyer=user)
        .first()
    )
    if order is None:
        raise Http404("No such order.")
    return order


def orders_for_buyer(*, user: User, status: str | None = None) -> QuerySet[Order]:
    orders = Order.objects.filter(buyer=user).select_related("store").order_by("-placed_at", "-pk")
    if status:
        orders = orders.filter(status=status)
    return orders


def orders_needing_action(*, user: User) -> QuerySet[Order]:
    """Shipped orders the buyer has still to confirm, soonest automatic confirmation first."""
    return (
        Order.objects.filter(buyer=user, status=Order.Status.SHIPPED)
        .select_related("store")
        .order_by("auto_confirm_due_at", "pk")
    )


def store_get_for_member(*, user: User, slug: str, owner_only: bool = False) -> Store:
    """The store with `slug` if the user works for it (as its owner, when `owner_only`)."""
    memberships = StoreMember.objects.filter(user=user, store__slug=slug)
    if owner_only:
        memberships = memberships.filter(role=StoreMember.Role.OWNER)
    membership = memberships.select_related("store").first()
    if membership is None:
        raise Http404("No such store.")
    return membership.store


def store_get_public(*, slug: str) -> Store:
    """The store by its slug, for every public page. A fixed statement (`portal.db.model_by`): the
    ORM's query for this one row costs more CPU to build than to run, on the most visited page."""
    store = model_by(Store, column="slug", value=slug)
    if store is None:
        raise Http404("No such store.")
    return store


STORE_SEARCH_LIMIT = 60


def stores_matching(*, query: str) -> QuerySet[Store]:
    """Stores whose name or one of whose products' titles contains `query`, by name.

    One set of matching ids from each table, united: on PostgreSQL each side is a trigram
    index lookup (portal migration 0006), where an OR across the product join would scan
    every store and product.
    """
    matching = (
        Store.objects.filter(name__icontains=query)
        .values("pk")
        .union(Product.objects.filter(title__icontains=query).values("store_id"))
    )
    return Store.objects.filter(pk__in=matching).order_by("name")


def stores_search(*, query: str) -> list[Store]:
    """The store search's page: the first stores by name, matching `query` if there is one."""
    if query:
        return search_rows(stores_matching(query=query)[:STORE_SEARCH_LIMIT])
    return list(Store.objects.order_by("name")[:STORE_SEARCH_LIMIT])


def product_get_public(*, store: Store, slug: str) -> Product:
    product = Product.objects.filter(store=store, slug=slug, is_active=True).first()
    if product is None:
        raise Http404("No such product.")
    return product


def product_get_public_by_slugs(*, store_slug: str, product_slug: str) -> Product:
    """`product_get_public` for a store known by its slug, in one query (its store comes along)."""
    product = (
        Product.objects.filter(store__slug=store_slug, slug=product_slug, is_active=True)
        .select_related("store")
        .first()
    )
    if product is None:
        raise Http404("No such product.")
    return product


def product_ids_public_by_slugs(*, store_slug: str, product_slug: str) -> tuple[int, int]:
    """(product id, store id) of `product_get_public_by_slugs`'s product, without building it.

    For reads answered from the cache by ids (the public API's review list): a fixed SQL string,
    as building the ORM's query for this one row costs several times the CPU of running it.
    """
    database = connections[router.db_for_read(Product)]
    product_table = database.ops.quote_name(Product._meta.db_table)
    store_table = database.ops.quote_name(Store._meta.db_table)
    with bound_cursor(using=database.alias) as cursor:
        cursor.execute(
            f"SELECT p.id, p.store_id FROM {product_table} p JOIN {store_table} s ON s.id = p.store_id "  # noqa: S608
            "WHERE s.slug = %s AND p.slug = %s AND p.is_active = %s LIMIT 1",
            [store_slug, product_slug, True],
        )
        row = cursor.fetchone()
    if row is None:
        raise Http404("No such product.")
    return int(row[0]), int(row[1])


def product_lead_photo_ids(*, product_ids: Iterable[int]) -> dict[int, int]:
    """Each product's first photo (by position), as {product id: photo id}; one query."""
    ids = list(product_ids)
    if not ids:
        return {}
    lead: dict[int, int] = {}
    # A product has a handful of photos at most: the first of each is picked here, which works
    # on SQLite too (no DISTINCT ON).
    rows = ProductPhoto.objects.filter(product_id__in=ids).order_by("product_id", "position", "pk")
    for product_id, photo_id in rows.values_list("product_id", "photo_id"):
        lead.setdefault(product_id, photo_id)
    return lead


def product_photos(*, product: Product, ready_only: bool = True) -> list[ProductPhoto]:
    """A product's photos in their order, with the photo rows; the public page shows ready ones only."""
    rows = ProductPhoto.objects.filter(product=product).select_related("photo").order_by("position", "pk")
    if ready_only:
        rows = rows.filter(photo__status=Photo.Status.READY)
    return list(rows)


@dataclass(frozen=True)
class ItemListing:
    """One order item's listing as sold beside the product's listing now (a dispute's yardstick)."""

    item: OrderItem
    sold_title: str
    sold_description: str
    sold_price: Decimal
    sold_currency: str
    sold_photo: Photo | None
    now_title: str
    now_description: str
    now_price: Decimal
    now_currency: str
    now_photo: Photo | None
    on_sale: bool
    changed: tuple[str, ...]

    @property
    def differs(self) -> bool:
        return bool(self.changed)


def order_items_with_listing() -> Prefetch:
    """The Prefetch of an order's items with both listings: the photo as sold and the product's photos now."""
    return Prefetch(
        "items",
        queryset=OrderItem.objects.select_related("product", "sold_photo")
        .prefetch_related(
            Prefetch(
                "product__photos", queryset=ProductPhoto.objects.select_related("photo").order_by("position", "pk")
            )
        )
        .order_by("pk"),
    )


def order_item_listings(*, order: Order) -> list[ItemListing]:
    """Each item's listing as sold and now, for an order loaded with `order_items_with_listing()`."""
    listings = []
    for item in order.items.all():
        product = item.product
        current = [entry.photo for entry in product.photos.all()]
        now_photo = next((photo for photo in current if photo.status == Photo.Status.READY), None)
        sold_title = item.sold_title or product.title
        sold_price = item.sold_price if item.sold_price is not None else item.unit_price
        sold_currency = item.sold_currency or product.currency
        changed = []
        if sold_title != product.title:
            changed.append("title")
        if item.sold_description != product.description:
            changed.append("description")
        if sold_price != product.price or sold_currency != product.currency:
            changed.append("price")
        if (current[0].pk if current else None) != item.sold_photo_id:
            changed.append("photo")
        listings.append(
            ItemListing(
                item=item,
                sold_title=sold_title,
                sold_description=item.sold_description,
                sold_price=sold_price,
                sold_currency=sold_currency,
                sold_photo=item.sold_photo,
                now_title=product.title,
                now_description=product.description,
                now_price=product.price,
                now_currency=product.currency,
                now_photo=now_photo,
                on_sale=product.is_active,
                changed=tuple(changed),
            )
        )
    return listings


def product_get_for_store(*, store: Store, product_id: int) -> Product:
    """One of `store`'s products (the caller loaded the store as the user's); another store's is a 404."""
    product = Product.objects.filter(store=store, pk=product_id).first()
    if product is None:
        raise Http404("No such product.")
    return product


def store_order_counts(*, store: Store) -> dict[str, int]:
    counts = dict(Order.objects.filter(store=store).values_list("status").annotate(n=Count("pk")).order_by())
    return {status: counts.get(status, 0) for status in Order.Status.values}


def buyer_order_counts(*, buyer: User, store: Store) -> dict[str, int]:
    """The buyer's orders with this store and with every store: one aggregate over the buyer's orders."""
    return Order.objects.filter(buyer=buyer).aggregate(total=Count("pk"), here=Count("pk", filter=Q(store=store)))


def orders_for_store(*, store: Store, status: str | None = None) -> QuerySet[Order]:
    orders = Order.objects.filter(store=store).select_related("buyer").order_by("-placed_at", "-pk")
    if status:
        orders = orders.filter(status=status)
    return orders


def order_get_for_seller(*, user: User, store: Store, order_id: int) -> Order:
    if not user_is_store_member(user=user, store_id=store.pk):
        raise Http404("No such order.")
    order = (
        Order.objects.select_related("buyer", "store")
        .prefetch_related(
            Prefetch("items", queryset=OrderItem.objects.select_related("product", "sold_photo").order_by("pk")),
            Prefetch("events", queryset=OrderEvent.objects.select_related("actor").order_by("created_at", "pk")),
        )
        .filter(pk=order_id, store=store)
        .first()
    )
    if order is None:
        raise Http404("No such order.")
    return order


# --- Shipping: the handling clock and the promise ----------------------------------------------
# "Overdue" and "late" begin one second after their moment, as every clock of the product
# does: a dispute about an unshipped order opens after day `OPINIA_HANDLING_DAYS`, not on it.


def order_handling_due_at(order: Order) -> datetime | None:
    """When a paid order should have shipped: the handling days of the rules in force at payment
    (as the disputes' "did not ship" reason counts them) after payment."""
    if order.paid_at is None:
        return None
    return order.paid_at + timedelta(days=rules_at(order.paid_at).handling_days)


def order_is_overdue(order: Order, now: datetime) -> bool:
    """Whether a paid order is past its handling limit at `now`."""
    due = order_handling_due_at(order)
    return order.status == Order.Status.PAID and due is not None and now > due


def order_is_late(order: Order, now: datetime) -> bool:
    """Whether a shipped order is past the latest date it was promised for."""
    return order.status == Order.Status.SHIPPED and order.delivery_by_at is not None and now > order.delivery_by_at


def orders_late(orders: QuerySet[Order], *, now: datetime) -> QuerySet[Order]:
    """The orders of `orders` that are late at `now` (the queryset form of `order_is_late`)."""
    return orders.filter(status=Order.Status.SHIPPED, delivery_by_at__lt=now)


@dataclass(frozen=True)
class ShipRow:
    order: Order
    due_at: datetime | None
    overdue: bool


DESK_PAGE_SIZE = 25


def orders_to_ship_page(
    *, store: Store, now: datetime, cursor: str | None, size: int | None = None
) -> tuple[list[ShipRow], str | None]:
    """One page of the store's paid orders, soonest handling limit (so every overdue one) first.

    The limit is payment plus one constant, so ordering by payment is ordering by the limit;
    read through the partial index `order_to_ship`. One query.
    """
    size = size or DESK_PAGE_SIZE
    orders = (
        Order.objects.filter(store=store, status=Order.Status.PAID, paid_at__isnull=False)
        .select_related("buyer")
        .order_by("paid_at", "pk")
    )
    start = cursor_decode(cursor)
    if start is not None:
        orders = orders.filter(rows_after(start, moment_field="paid_at", oldest_first=True))
    rows, next_cursor = page_split(
        list(orders[: size + 1]), size=size, cursor_of=lambda o: Cursor(o.paid_at or now, o.pk)
    )
    return [
        ShipRow(order=o, due_at=order_handling_due_at(o), overdue=order_is_overdue(o, now)) for o in rows
    ], next_cursor


def orders_late_page(
    *, store: Store, now: datetime, cursor: str | None, size: int | None = None
) -> tuple[list[Order], str | None]:
    """One page of the store's late orders, the longest overdue first. One query."""
    size = size or DESK_PAGE_SIZE
    orders = (
        orders_late(Order.objects.filter(store=store), now=now).select_related("buyer").order_by("delivery_by_at", "pk")
    )
    start = cursor_decode(cursor)
    if start is not None:
        orders = orders.filter(rows_after(start, moment_field="delivery_by_at", oldest_first=True))
    return page_split(list(orders[: size + 1]), size=size, cursor_of=lambda o: Cursor(o.delivery_by_at or now, o.pk))


# --- Store membership ---------------------------------------------------------------------
# Every read of "who works for which store" goes through these few functions (a test in
# portal/tests/test_architecture.py keeps it so): when membership grows a rule (a suspended
# member, a role that may not answer buyers), it changes here once.


def user_is_store_member(*, user: RequestUser, store_id: int, owner_only: bool = False) -> bool:
    """Whether the user works for the store (as its owner, when `owner_only`); no query for visitors."""
    if not user.is_authenticated:
        return False
    memberships = StoreMember.objects.filter(user_id=user.pk, store_id=store_id)
    if owner_only:
        memberships = memberships.filter(role=StoreMember.Role.OWNER)
    return memberships.exists()


def store_memberships_of(*, user: User) -> QuerySet[StoreMember]:
    """The user's memberships with their stores, by store name."""
    return StoreMember.objects.filter(user=user).select_related("store").order_by("store__name", "pk")


def store_ids_for_member(*, user: User) -> QuerySet[StoreMember, int]:
    """The ids of the stores the user works for (lazy: usable as a subquery or listed)."""
    return StoreMember.objects.filter(user=user).values_list("store_id", flat=True)


def store_ids_for_members(*, user_ids: Iterable[int]) -> QuerySet[StoreMember, int]:
    """The ids of the stores any of `user_ids` works for (with repeats)."""
    return StoreMember.objects.filter(user_id__in=list(user_ids)).values_list("store_id", flat=True)


def store_member_ids(*, store_ids: Iterable[int]) -> QuerySet[StoreMember, int]:
    """The user ids of the people who work for any of `store_ids`."""
    return StoreMember.objects.filter(store_id__in=list(store_ids)).values_list("user_id", flat=True)


def store_member_pairs(*, store_ids: Iterable[int]) -> QuerySet[StoreMember, tuple[int, int]]:
    """(store id, user id) for every member of `store_ids`."""
    return StoreMember.objects.filter(store_id__in=list(store_ids)).values_list("store_id", "user_id")


def store_summary_recipient_ids(*, store_id: int) -> list[int]:
    """Who receives the store's weekly summary: its owner always, agents who asked for it; active users only."""
    return list(
        StoreMember.objects.filter(store_id=store_id, user__is_active=True)
        .filter(Q(role=StoreMember.Role.OWNER) | Q(weekly_summary=True))
        .order_by("user_id")
        .values_list("user_id", flat=True)
    )


def store_agent_memberships_of(*, user: User) -> QuerySet[StoreMember]:
    """The user's memberships as an agent (not owner), with their stores, by store name."""
    return store_memberships_of(user=user).filter(role=StoreMember.Role.AGENT)


@dataclass(frozen=True)
class WeekDay:
    weekday: int
    label: str
    intervals: list[WorkingHours]


@dataclass(frozen=True)
class StoreWeek:
    days: list[WeekDay]

    @property
    def published(self) -> bool:
        return any(day.intervals for day in self.days)


def store_week(*, store: Store, hours: Iterable[WorkingHours] | None = None) -> StoreWeek:
    """Every day of the store's week in its order (as the settings form lists them), closed days too.

    `hours` lets a caller that already loaded the store's intervals (to say whether it is open
    now) pass them in instead of reading them again.
    """
    intervals = list(hours) if hours is not None else list(store.working_hours.all())
    return StoreWeek(
        days=[
            WeekDay(
                weekday=day,
                label=str(label),
                intervals=sorted((h for h in intervals if h.weekday == day), key=lambda h: h.opens_at),
            )
            for day, label in WorkingHours.Weekday.choices
        ]
    )


def store_holidays_upcoming(*, store: Store, today: date) -> QuerySet[StoreHoliday]:
    """The store's holidays that have not ended by `today` (its own calendar), soonest first."""
    return StoreHoliday.objects.filter(store=store, ends_on__gte=today).order_by("starts_on", "id")


# --- The marketplace's references (API) ------------------------------------------------------


def store_get_external(*, external_ref: str) -> Store:
    store = Store.objects.filter(external_ref=external_ref).first()
    if store is None:
        raise Http404("No such store.")
    return store


def orders_external() -> QuerySet[Order]:
    """Orders the marketplace sent (those with its reference), newest first, with their items."""
    return (
        Order.objects.filter(external_ref__isnull=False)
        .select_related("store", "buyer")
        .prefetch_related(Prefetch("items", queryset=OrderItem.objects.select_related("product").order_by("pk")))
        .order_by("-pk")
    )


def order_get_external(*, external_ref: str) -> Order:
    order = orders_external().filter(external_ref=external_ref).first()
    if order is None:
        raise Http404("No such order.")
    return order


def order_items_with_products(*, order: Order) -> QuerySet[OrderItem]:
    return OrderItem.objects.filter(order=order).select_related("product").order_by("pk")


@dataclass(frozen=True)
class Ahead:
    """A CTE that rides ahead of `products_external_for_order`'s statement (a write the caller
    must make before anything else, in the same round trip): its text, which defines `ahead`
    returning at most one row of one column, and its parameters. `then` is called as soon as the
    statement answered, before anything is checked: with True and that column's value (None when
    `ahead` returned no row), or with False and None when the statement returned no rows (no
    store or product found), which tells nothing about `ahead`'s row."""

    sql: str
    params: list[Any]
    then: Callable[[bool, Any], None]


@functools.cache
def _order_products_sql(*, with_buyer: bool, ahead: str = "") -> str:
    quote = connection.ops.quote_name
    product_columns, store_columns = model_columns(Product, "p")[0], model_columns(Store, "s")[0]
    # The buyer, when asked for, rides along: the same lookup as `user_by_email`, once per statement.
    buyer_columns, buyer_join = "", ""
    if with_buyer:
        buyer_columns = f", {model_columns(User, 'u')[0]}"
        buyer_join = (
            f"LEFT JOIN LATERAL (SELECT * FROM {quote(User._meta.db_table)} bu "  # noqa: S608 - names from the models
            f"WHERE UPPER(bu.{quote('email')}::text) = UPPER(%s) ORDER BY bu.{quote('id')} LIMIT 1) u ON true "
        )
    lead = (
        f"(SELECT ph.{quote('photo_id')} FROM {quote(ProductPhoto._meta.db_table)} ph "  # noqa: S608 - names from the models
        f"WHERE ph.{quote('product_id')} = p.{quote('id')} ORDER BY ph.{quote('position')}, ph.{quote('id')} LIMIT 1)"
    )
    return (
        f"{'WITH ' + ahead + ' ' if ahead else ''}"  # noqa: S608 - names from the models, the caller's fixed CTE
        f"SELECT {product_columns}, {store_columns}{buyer_columns}, {lead}"
        f"{', (SELECT * FROM ahead)' if ahead else ''} "
        f"FROM {quote(Product._meta.db_table)} p "
        f"JOIN {quote(Store._meta.db_table)} s ON s.{quote('id')} = p.{quote('store_id')} {buyer_join}"
        f"WHERE s.{quote('external_ref')} = %s AND p.{quote('external_ref')} = ANY(%s)"
    )


@dataclass(frozen=True)
class OrderInputs:
    store: Store
    # The store's products among the references asked for, by reference.
    products: dict[str, Product]
    # Their lead photos: {product id: photo id}.
    lead_photos: dict[int, int]
    # The user with the buyer's address, when asked for and found; None as well when none of
    # the products was found (the order is refused then, buyer or not).
    buyer: User | None


def products_external_for_order(
    *, store_ref: str, external_refs: Iterable[str], buyer_address: str | None = None, ahead: Ahead | None = None
) -> OrderInputs:
    """The store `store_ref`, its products among `external_refs` by reference, their lead
    photos and, given `buyer_address` (as `user_by_email` takes it), the user with that address:
    what an order needs, in one query (a second one only when none of the products is found,
    to tell a missing store apart). Raises Http404 when no store has the reference.

    Written out rather than composed by the ORM: the order ingest runs it on every order, and
    composing it cost more CPU than the database spends answering it. `ahead`: a write made by
    the same statement, first (PostgreSQL only).
    """
    if connection.vendor != "postgresql":  # the zero-setup SQLite database: `= ANY(array)` is PostgreSQL's
        store = store_get_external(external_ref=store_ref)
        found = products_external(store=store, external_refs=external_refs)
        return OrderInputs(
            store=store,
            products=found,
            lead_photos=product_lead_photo_ids(product_ids=[p.pk for p in found.values()]),
            buyer=user_by_email(address=buyer_address) if buyer_address is not None and found else None,
        )
    with_buyer = buyer_address is not None
    params: list[Any] = [*ahead.params] if ahead is not None else []
    if with_buyer:
        params.append(buyer_address)
    sql = _order_products_sql(with_buyer=with_buyer, ahead=ahead.sql if ahead is not None else "")
    with bound_cursor() as cursor:
        cursor.execute(sql, [*params, store_ref, list(external_refs)])
        rows = cursor.fetchall()
    if ahead is not None:
        ahead.then(bool(rows), rows[0][-1] if rows else None)
        rows = [row[:-1] for row in rows]
    if not rows:
        return OrderInputs(store=store_get_external(external_ref=store_ref), products={}, lead_photos={}, buyer=None)
    product_width = len(model_columns(Product, "p")[1])
    store_width = len(model_columns(Store, "s")[1])
    store = model_from_row(Store, "s", rows[0][product_width : product_width + store_width])
    buyer = None
    if with_buyer:
        buyer_row = rows[0][product_width + store_width : -1]
        if buyer_row[0] is not None:  # the key: NULL when no user has the address
            buyer = model_from_row(User, "u", buyer_row)
    products: dict[str, Product] = {}
    lead_photos: dict[int, int] = {}
    for row in rows:
        product = model_from_row(Product, "p", row[:product_width])
        product.store = store
        if row[-1] is not None:
            lead_photos[product.pk] = row[-1]
        if product.external_ref:
            products[product.external_ref] = product
    return OrderInputs(store=store, products=products, lead_photos=lead_photos, buyer=buyer)


def user_by_email(*, address: str) -> User | None:
    """The user whose e-mail is `address`, case aside (the UPPER(email) index); one query."""
    if connection.vendor != "postgresql":  # the zero-setup SQLite database
        return User.objects.filter(email__iexact=address).order_by("pk").first()
    quote = connection.ops.quote_name
    sql = (
        f"SELECT {model_columns(User, 'u')[0]} FROM {quote(User._meta.db_table)} u "  # noqa: S608 - names from the models
        f"WHERE UPPER(u.{quote('email')}::text) = UPPER(%s) ORDER BY u.{quote('id')} LIMIT 1"
    )
    with bound_cursor() as cursor:
        cursor.execute(sql, [address])
        row = cursor.fetchone()
    return None if row is None else model_from_row(User, "u", row)


def products_external(*, store: Store, external_refs: Iterable[str]) -> dict[str, Product]:
    """The store's products among `external_refs`, by reference (another store's are left out)."""
    return {
        p.external_ref: p
        for p in Product.objects.filter(store=store, external_ref__in=list(external_refs))
        if p.external_ref
    }


# --- Delivery times and promises (SPEC §1 "Shipping promises") -----------------------------


@dataclass(frozen=True)
class DeliveryOption:
    method: str
    min_days: int
    max_days: int

    @property
    def method_label(self) -> str:
        return str(ShippingMethod(self.method).label)


def delivery_table(*, store: Store) -> list[DeliveryTime]:
    """The store's whole table, by country then method (cheapest first)."""
    order = {method: index for index, method in enumerate(ShippingMethod.values)}
    rows = list(DeliveryTime.objects.filter(store=store))
    return sorted(rows, key=lambda row: (row.country, order.get(row.method, 99)))


def delivery_options(*, store_id: int, country: str) -> list[DeliveryOption]:
    """How the store delivers to `country`, by method (economy first); empty when it does not."""
    if not country:
        return []
    rows = DeliveryTime.objects.filter(store_id=store_id, country=country).values_list("method", "min_days", "max_days")
    order = {method: index for index, method in enumerate(ShippingMethod.values)}
    return sorted((DeliveryOption(*row) for row in rows), key=lambda option: order.get(option.method, 99))


@dataclass(frozen=True)
class OnTimeShare:
    promised: int
    late: int

    @property
    def on_time_percent(self) -> int:
        """Whole percent on time, rounded down: never more punctual than the store was."""
        return (self.promised - self.late) * 100 // self.promised


def _is_late(now: datetime) -> Q:
    """An order is late once it completed after its latest promised moment, or is still on its way after it."""
    return Q(status=Order.Status.COMPLETED, completed_at__gt=F("delivery_by_at")) | Q(
        status=Order.Status.SHIPPED, delivery_by_at__lt=now
    )


def store_on_time_share(*, store: Store, now: datetime) -> tuple[OnTimeShare | None, datetime | None]:
    """The store's promised shipments of the score window and how many of them were late; and
    the moment the figures next change by the clock alone (None when nothing is pending).

    One aggregate query. None when the store shipped nothing with a promise in the window.
    The figures change with time when a shipped order passes its promise (a moment after
    `delivery_by_at`: exactly at it the order is still on time) and when a shipment leaves the
    window.
    """
    since = now - timedelta(days=rules_at(now).score_window_days)
    promised = Order.objects.filter(
        store=store,
        status__in=[Order.Status.SHIPPED, Order.Status.COMPLETED],
        delivery_by_at__isnull=False,
        shipped_at__gte=since,
    )
    figures = promised.aggregate(
        promised=Count("pk"),
        late=Count("pk", filter=_is_late(now)),
        next_late=Min("delivery_by_at", filter=Q(status=Order.Status.SHIPPED, delivery_by_at__gte=now)),
        oldest=Min("shipped_at"),
    )
    moments = []
    if figures["next_late"] is not None:
        moments.append(figures["next_late"] + timedelta(microseconds=1))
    if figures["oldest"] is not None:
        moments.append(figures["oldest"] + timedelta(days=rules_at(now).score_window_days, microseconds=1))
    share = OnTimeShare(promised=figures["promised"], late=figures["late"]) if figures["promised"] else None
    return share, min(moments, default=None)


def stores_showing_product_photo(photo_id: int) -> list[tuple[str, int]]:
    """The cached galleries that show a photo once it is ready: its product's store, topic `listing`."""
    store_ids = ProductPhoto.objects.filter(photo_id=photo_id).values_list("product__store_id", flat=True)
    return [("listing", store_id) for store_id in store_ids]


def photo_is_public_listing(user: RequestUser, photo: Photo) -> bool:
    """Product photos are public, and so is the photo an order was sold with (the listing as sold)."""
    return (
        ProductPhoto.objects.filter(photo_id=photo.pk).exists()
        or OrderItem.objects.filter(sold_photo_id=photo.pk).exists()
    )


def order_rules(*, order: Order, now: datetime) -> Rules:
    """The version of the rules `order` is judged by: the one it stored when its clocks started
    (shipment, then completion), or the one in force now for an order whose clocks have not."""
    return rules_for(version=order.rules_version, started_at=None, now=now)


def rules_version_get(*, version: int) -> Rules:
    """A version of the rules for its public page; 404 if there is none."""
    found = rules_of_version(version)
    if found is None:
        raise Http404
    return found
