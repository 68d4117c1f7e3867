"""Every non-trivial read of the core. `*_get_for_user` raise Http404 for missing or not yours."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import Group, Permission
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404

from portal.models import Order, OrderEvent, OrderItem, Product, RequestUser, Store, StoreMember, User, WorkingHours
from portal.rules import Rules, rules_for, rules_of_version
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
            Prefetch("items", queryset=OrderItem.objects.select_related("product").order_by("pk")),
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
    store = Store.objects.filter(slug=slug).first()
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
            Prefetch("items", queryset=OrderItem.objects.select_related("product").order_by("pk")),
            Prefetch("events", queryset=OrderEvent.objects.select_related("actor").order_by("created_at", "pk")),
        )
        .filter(pk=order_id, store=store)
        .first()
    )
    if order is None:
        raise Http404("No such order.")
    return order


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


def products_external(*, store: Store, external_refs: Iterable[str]) -> dict[str, Product]:
    """The store's products among `external_refs`, by reference (another store's are left out)."""
    return {
        p.external_ref: p
        for p in Product.objects.filter(store=store, external_ref__in=list(external_refs))
        if p.external_ref
    }


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
