"""Every write to accounts, stores, products and orders."""

import functools
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Protocol

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Field, Model, Q
from django.http import Http404
from django.utils import timezone, translation
from django.utils.text import capfirst, slugify
from django.utils.translation import gettext as _

from portal import events
from portal.carriers import carrier_find, tracking_number_normalise
from portal.countries import country_name, is_known_country
from portal.dates import format_moment
from portal.db import bound_cursor
from portal.fragments import content_changed, rules_changed, user_public_name_changed
from portal.hours import Interval, intervals_overlap, store_availability
from portal.models import (
    DeliveryTime,
    Order,
    OrderEvent,
    OrderItem,
    Product,
    ProductPhoto,
    RuleSet,
    ShippingMethod,
    Store,
    StoreHoliday,
    StoreMember,
    User,
    WorkingHours,
)
from portal.notify import notify
from portal.rules import RULES, rules_at, rules_of_version, rules_version_at
from portal.rules import forget as rules_forget
from portal.selectors import product_lead_photo_ids, user_by_email, user_is_store_member
from portal.transitions import TransitionNotAllowed as TransitionNotAllowed  # re-exported for callers
from portal.transitions import transition_check
from portal.uploads import ValidatedPhoto, photo_store
from portal.weekly_summary import store_weekly_summary_redate, weekly_summary_next_due


class OrderCompletedListener(Protocol):
    """Called inside the transaction that completes an order, with the order row locked."""

    def __call__(self, *, order: Order, now: datetime) -> None: ...


# Listeners run inside the completing transaction, so that what they write (a feedback
# window, an invitation) commits or rolls back with the completion itself.
ORDER_COMPLETED_LISTENERS: dict[str, OrderCompletedListener] = {}


def register_order_completed_listener(name: str, listener: OrderCompletedListener) -> None:
    """Run `listener` whenever an order completes; registering a name again replaces it (apps load once)."""
    ORDER_COMPLETED_LISTENERS[name] = listener


ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    Order.Status.PLACED: {Order.Status.PAID, Order.Status.CANCELLED},
    Order.Status.PAID: {Order.Status.SHIPPED, Order.Status.CANCELLED},
    Order.Status.SHIPPED: {Order.Status.COMPLETED},
    Order.Status.COMPLETED: set(),
    Order.Status.CANCELLED: set(),
}

TIMESTAMP_FIELDS: dict[str, str] = {
    Order.Status.PAID: "paid_at",
    Order.Status.SHIPPED: "shipped_at",
    Order.Status.COMPLETED: "completed_at",
    Order.Status.CANCELLED: "cancelled_at",
}


# --- Accounts ---------------------------------------------------------------------------


def user_create(
    *,
    email: str,
    password: str | None,
    display_name: str = "",
    language: str = "en",
    time_zone: str = "UTC",
    phone: str = "",
    is_staff: bool = False,
    groups: Iterable[str] = (),
    email_verified: bool = False,
) -> User:
    """Create a user directly (demo data, operators); sign-ups go through allauth instead."""
    user = User.objects.create_user(
        email=email,
        password=password,
        display_name=display_name,
        language=language,
        time_zone=time_zone,
        phone=phone,
        is_staff=is_staff,
    )
    if groups:
        user.groups.set(Group.objects.filter(name__in=list(groups)))
    if email_verified:
        EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)
    return user


def user_get_or_create_by_email(
    *, email: str, display_name: str = "", language: str = "en", time_zone: str = "UTC"
) -> tuple[User, bool]:
    """The user with `email`, created without a usable password when missing (they set one by
    resetting it); True when created.

    Insert first: two requests naming the same new address at once create one user: the
    loser's INSERT … ON CONFLICT (email) DO NOTHING waits for the winner's transaction, inserts
    nothing, and the loser reads the winner's row. No savepoint: the order ingest calls this
    for every new buyer.
    """
    address = email_address(email)
    return user_get_or_create_found(
        address=address,
        found=user_by_email(address=address),
        display_name=display_name,
        language=language,
        time_zone=time_zone,
    )


def email_address(email: str) -> str:
    """An address as users are stored and looked up by it: trimmed, normalised, in lower case."""
    return User.objects.normalize_email(email.strip()).lower()


def user_get_or_create_found(
    *, address: str, found: User | None, display_name: str = "", language: str = "en", time_zone: str = "UTC"
) -> tuple[User, bool]:
    """`user_get_or_create_by_email` for a caller that looked `address` (see `email_address`) up
    already, in the same transaction: `found` is the user it found, if any."""
    if found is not None:
        return found, False
    user = User(
        email=address,
        display_name=display_name,
        language=language,
        time_zone=time_zone,
        is_staff=False,
        is_superuser=False,
    )
    user.full_clean(exclude=["password"], validate_unique=False)
    user.set_unusable_password()  # as `create_user` with no password
    if _insert_once(user, conflict="email"):
        return user, True
    winner = user_by_email(address=address)
    if winner is None:  # pragma: no cover - the conflict was on this address
        raise IntegrityError(f"No user {address!r} after a conflict on the address")
    return winner, False


def user_update_preferences(
    *, user: User, language: str | None = None, time_zone: str | None = None, country: str | None = None
) -> User:
    fields = []
    if country is not None:
        if country and not is_known_country(country):
            raise ValidationError(_("Unknown country code %(code)s.") % {"code": country})
        user.country = country
        fields.append("country")
    if language is not None:
        if language not in dict(settings.LANGUAGES):
            raise ValidationError(_("Unknown language."))
        user.language = language
        fields.append("language")
    if time_zone is not None:
        user.time_zone = time_zone
        fields.append("time_zone")
    if fields:
        user.save(update_fields=fields)
    return user


def user_update_profile(
    *, user: User, display_name: str, language: str, time_zone: str, phone: str, country: str | None = None
) -> User:
    """Save what a person says about themselves; `country` None leaves it as it is, "" clears it."""
    name_changed = user.display_name != display_name
    user.display_name = display_name
    user.language = language
    user.time_zone = time_zone
    user.phone = phone
    fields = ["display_name", "language", "time_zone", "phone"]
    if country is not None:
        user.country = country.strip().upper()
        fields.append("country")
    user.full_clean(exclude=["password"])
    user.save(update_fields=fields)
    if name_changed:
        user_public_name_changed(user_id=user.pk)
    return user


# --- Stores and products ----------------------------------------------------------------


def _unique_slug(model: type[Store] | type[Product], base: str, **scope: object) -> str:
    root = slugify(base)[:120] or "store"
    slug = root
    while model.objects.filter(slug=slug, **scope).exists():
        slug = f"{root}-{secrets.token_hex(2)}"
    return slug


def store_create(
    *,
    owner: User,
    name: str,
    country: str,
    time_zone: str = "UTC",
    auto_reply: str = "",
    external_ref: str | None = None,
) -> Store:
    with transaction.atomic():
        store = Store.objects.create(
            owner=owner,
            name=name,
            slug=_unique_slug(Store, name),
            country=country.upper(),
            time_zone=time_zone,
            auto_reply=auto_reply,
            external_ref=external_ref,
            weekly_summary_due_at=weekly_summary_next_due(time_zone=time_zone, after=timezone.now()),
        )
        StoreMember.objects.create(store=store, user=owner, role=StoreMember.Role.OWNER)
    return store


# The store-settings services below take the acting user, refuse anyone but the store's
# owner and leave an audit row. The audit row is Django's admin LogEntry on the store (no
# model of our own): it is what operators already read on the store's *History* page in the
# admin, in the admin's own structured change-message format, and settings changes are rare.


def _require_owner(*, store: Store, actor: User) -> None:
    """Raise PermissionDenied unless `actor` owns `store` (the rule of the views' owner-only lookup)."""
    if not user_is_store_member(user=actor, store_id=store.pk, owner_only=True):
        raise PermissionDenied


def _audit_store(*, store: Store, actor: User, change: list[dict[str, Any]]) -> None:
    """Record a change of the store's settings on its admin history."""
    LogEntry.objects.log_actions(
        user_id=actor.pk, queryset=[store], action_flag=CHANGE, change_message=change, single_object=True
    )


def _label(
    model: type[Store] | type[StoreMember] | type[WorkingHours] | type[DeliveryTime] | type[StoreHoliday],
    field: str | None = None,
) -> str:
    """A model's or a field's verbose name, untranslated, as the admin stores its own change
    messages (it translates them when it shows the history)."""
    with translation.override(None):
        if field is None:
            return str(model._meta.verbose_name)
        model_field = model._meta.get_field(field)
        assert isinstance(model_field, Field)
        return capfirst(str(model_field.verbose_name))  # as the admin's form labels are


def store_update_settings(
    *, store: Store, actor: User, name: str, time_zone: str, auto_reply: str, busy_reply: str | None = None
) -> Store:
    """Save the store's name, time zone and auto-replies; owner only, audited when something changed."""
    _require_owner(store=store, actor=actor)
    new = {"name": name, "time_zone": time_zone, "auto_reply": auto_reply}
    if busy_reply is not None:
        new["busy_reply"] = busy_reply
    with transaction.atomic():
        # Compared with the stored row, not with `store`: a bound ModelForm has already set its values on it.
        before = Store.objects.select_for_update().values(*new).get(pk=store.pk)
        changed = [field for field, value in new.items() if before[field] != value]
        for field, value in new.items():
            setattr(store, field, value)
        if "time_zone" in changed:
            # Saturday 09:00 on the new wall clock.
            store_weekly_summary_redate(store=store, now=timezone.now())
        store.save(update_fields=[*new, "weekly_summary_due_at"])
        if changed:
            _audit_store(
                store=store, actor=actor, change=[{"changed": {"fields": [_label(Store, f) for f in changed]}}]
            )
    return store


@dataclass(frozen=True)
class OpeningInterval:
    weekday: int
    opens_at: time
    closes_at: time


def store_set_working_hours(*, store: Store, actor: User, intervals: Iterable[OpeningInterval]) -> None:
    """Replace the store's week, in the store's local time; owner only, audited when the week changed.

    A day may hold several intervals (a lunch break); an interval closing at or before its
    opening time runs past midnight into the next day. Empty intervals and intervals that
    overlap on the weekly clock are refused.
    """
    _require_owner(store=store, actor=actor)
    week = {(i.weekday, i.opens_at, i.closes_at) for i in intervals}
    if any(opens_at == closes_at for _day, opens_at, closes_at in week):
        raise ValidationError(_("An interval must not open and close at the same time."))
    overlapping = intervals_overlap([Interval(weekday=d, opens_at=o, closes_at=c) for d, o, c in sorted(week)])
    if overlapping:
        first, second = overlapping[0]
        raise ValidationError(
            _("%(first)s overlaps %(second)s.") % {"first": _interval_label(first), "second": _interval_label(second)}
        )
    with transaction.atomic():
        before = set(WorkingHours.objects.filter(store=store).values_list("weekday", "opens_at", "closes_at"))
        WorkingHours.objects.filter(store=store).delete()
        WorkingHours.objects.bulk_create(
            WorkingHours(store=store, weekday=weekday, opens_at=opens_at, closes_at=closes_at)
            for weekday, opens_at, closes_at in sorted(week)
        )
        # A bulk insert sends no save signals: the store's public parts are renewed here.
        content_changed(topic="profile", store_id=store.pk)
        if week != before:
            _audit_store(store=store, actor=actor, change=[{"changed": {"fields": [capfirst(_label(WorkingHours))]}}])


@dataclass(frozen=True)
class DeliveryRow:
    """One line of a delivery-time table as the owner typed it."""

    country: str
    method: str
    min_days: int
    max_days: int


def delivery_row_problems(row: DeliveryRow) -> dict[str, str]:
    """What is wrong with one row, by field (empty when nothing): the table's rules, for the form and the service."""
    problems: dict[str, str] = {}
    if not is_known_country(row.country):
        problems["country"] = _("Unknown country code %(code)s.") % {"code": row.country}
    if row.method not in ShippingMethod.values:
        problems["method"] = _("Unknown shipping method.")
    if row.min_days < 1:
        problems["min_days"] = _("A delivery takes at least one day.")
    if row.max_days < row.min_days:
        problems["max_days"] = _("The maximum cannot be below the minimum.")
    return problems


def delivery_duplicate_message(row: DeliveryRow) -> str:
    return _("%(country)s by %(method)s is already in the table.") % {
        "country": country_name(row.country),
        "method": ShippingMethod(row.method).label,
    }


def store_set_delivery_times(*, store: Store, actor: User, rows: Iterable[DeliveryRow]) -> None:
    """Replace the store's delivery-time table; owner only, audited when it changed.

    Refuses the whole table (nothing written) when a row breaks a rule or a country and method
    appear twice. Orders already shipped keep the promise they were given: it was copied onto them.
    """
    _require_owner(store=store, actor=actor)
    table = list(rows)
    seen: set[tuple[str, str]] = set()
    for row in table:
        problems = delivery_row_problems(row)
        if problems:
            raise ValidationError(problems)
        if (row.country, row.method) in seen:
            raise ValidationError({"country": delivery_duplicate_message(row)})
        seen.add((row.country, row.method))
    wanted = {(r.country, r.method, r.min_days, r.max_days) for r in table}
    with transaction.atomic():
        # The store's row is the lock: two owners' tabs saving at once replace the table one after the other.
        Store.objects.select_for_update().filter(pk=store.pk).values_list("pk").get()
        before = set(DeliveryTime.objects.filter(store=store).values_list("country", "method", "min_days", "max_days"))
        if wanted == before:
            return
        DeliveryTime.objects.filter(store=store).delete()
        DeliveryTime.objects.bulk_create(
            DeliveryTime(store=store, country=country, method=method, min_days=low, max_days=high)
            for country, method, low, high in sorted(wanted)
        )
        _audit_store(store=store, actor=actor, change=[{"changed": {"fields": [capfirst(_label(DeliveryTime))]}}])
        content_changed(topic="delivery", store_id=store.pk)


def _interval_label(interval: Interval) -> str:
    day = WorkingHours.Weekday(interval.weekday).label
    return f"{day} {format_moment(interval.opens_at)}–{format_moment(interval.closes_at)}"


def store_holiday_add(
    *, store: Store, actor: User, starts_on: date, ends_on: date, auto_reply: str = ""
) -> StoreHoliday:
    """Close the store on every day from `starts_on` to `ends_on` (its own calendar); owner only, audited."""
    _require_owner(store=store, actor=actor)
    if ends_on < starts_on:
        raise ValidationError({"ends_on": _("The last day cannot be before the first day.")})
    with transaction.atomic():
        holiday = StoreHoliday.objects.create(
            store=store, starts_on=starts_on, ends_on=ends_on, auto_reply=auto_reply.strip()
        )
        _audit_store(
            store=store, actor=actor, change=[{"added": {"name": _label(StoreHoliday), "object": str(holiday)}}]
        )
    return holiday


def store_holiday_delete(*, store: Store, actor: User, holiday_id: int) -> None:
    """Remove one of the store's holidays; owner only, audited. Another store's holiday is a 404."""
    _require_owner(store=store, actor=actor)
    with transaction.atomic():
        holiday = StoreHoliday.objects.filter(store=store, pk=holiday_id).first()
        if holiday is None:
            raise Http404("No such holiday.")
        holiday.delete()
        _audit_store(
            store=store, actor=actor, change=[{"deleted": {"name": _label(StoreHoliday), "object": str(holiday)}}]
        )


def store_set_busy(*, store: Store, actor: User, busy: bool, busy_reply: str | None = None, now: datetime) -> Store:
    """Switch the store's "busy" auto-reply on or off; any member of the store.

    It can be switched on only while the store is open; it then lasts until the end of the
    current open interval (`busy_until`), when it goes off by itself.
    """
    if not user_is_store_member(user=actor, store_id=store.pk):
        raise PermissionDenied
    with transaction.atomic():
        locked = Store.objects.select_for_update().get(pk=store.pk)
        fields = ["busy_until"]
        if busy:
            availability = store_availability(store=locked, now=now)
            if not availability.is_open:
                raise ValidationError(_("The store is closed now: buyers already get the out-of-hours reply."))
            locked.busy_until = availability.open_until
        else:
            locked.busy_until = None
        if busy_reply is not None:
            locked.busy_reply = busy_reply.strip()
            fields.append("busy_reply")
        locked.save(update_fields=fields)
    store.busy_until, store.busy_reply = locked.busy_until, locked.busy_reply
    return store


def store_add_agent(*, store: Store, actor: User, email: str) -> StoreMember:
    """Make the user with `email` an agent of the store; owner only, audited."""
    _require_owner(store=store, actor=actor)
    agent = User.objects.filter(email__iexact=email.strip()).first()
    if agent is None:
        raise ValidationError(_("No user has the e-mail address %(email)s.") % {"email": email})
    with transaction.atomic():
        member, created = StoreMember.objects.get_or_create(
            store=store, user=agent, defaults={"role": StoreMember.Role.AGENT}
        )
        if not created:
            raise ValidationError(_("%(user)s is already a member of this store.") % {"user": agent.public_name})
        _audit_store(store=store, actor=actor, change=[{"added": {"name": _label(StoreMember), "object": agent.email}}])
    return member


def store_remove_agent(*, store: Store, actor: User, member_id: int) -> None:
    """Remove an agent (never the owner) from the store; owner only, audited."""
    _require_owner(store=store, actor=actor)
    with transaction.atomic():
        member = (
            StoreMember.objects.select_related("user")
            .filter(store=store, pk=member_id, role=StoreMember.Role.AGENT)
            .first()
        )
        if member is None:
            raise ValidationError(_("That agent is not a member of this store."))
        member.delete()
        _audit_store(
            store=store,
            actor=actor,
            change=[{"deleted": {"name": _label(StoreMember), "object": member.user.email}}],
        )


def product_create(
    *,
    store: Store,
    title: str,
    price: Decimal,
    currency: str = "USD",
    description: str = "",
    is_active: bool = True,
    external_ref: str | None = None,
) -> Product:
    return Product.objects.create(
        store=store,
        title=title,
        slug=_unique_slug(Product, title, store=store),
        price=price,
        currency=currency,
        description=description,
        is_active=is_active,
        external_ref=external_ref,
    )


# --- Stores and products the marketplace sends (API) -------------------------------------
# Upserts by the marketplace's own reference. Each creates insert-first: the reference is
# unique, so a request racing another one for the same new reference waits for it, fails on
# the constraint inside its savepoint and then updates the winner's row like a second call.


def store_upsert_external(
    *, external_ref: str, owner_email: str, name: str, country: str, time_zone: str = "UTC"
) -> tuple[Store, bool]:
    """Create or update the store the marketplace knows as `external_ref`; True when created.

    The owner is found (or created) by e-mail when the store is created and cannot change later.
    """
    country = country.upper()
    Store(name=name, slug="store", country=country, time_zone=time_zone).clean_fields(exclude=["owner", "slug"])
    if not Store.objects.filter(external_ref=external_ref).exists():
        try:
            # The owner is created with the store or not at all.
            with transaction.atomic():
                owner, _created = user_get_or_create_by_email(email=owner_email, time_zone=time_zone)
                return (
                    store_create(
                        owner=owner, name=name, country=country, time_zone=time_zone, external_ref=external_ref
                    ),
                    True,
                )
        except IntegrityError:
            if not Store.objects.filter(external_ref=external_ref).exists():
                raise
    with transaction.atomic():
        store = Store.objects.select_for_update().select_related("owner").get(external_ref=external_ref)
        if store.owner.email.lower() != owner_email.strip().lower():
            raise ValidationError({"owner_email": _("The owner of a store cannot be changed.")})
        _save_changed(store, {"name": name, "country": country, "time_zone": time_zone})
    return store, False


def _save_changed(instance: Store | Product, values: dict[str, Any]) -> list[str]:
    """Set and save only the fields whose value differs; the names of those fields. A store or
    product the marketplace sends again unchanged is not saved, so its save renews no kept page."""
    changed = [name for name, value in values.items() if getattr(instance, name) != value]
    if changed:
        for name in changed:
            setattr(instance, name, values[name])
        instance.save(update_fields=changed)
    return changed


def product_upsert_external(
    *,
    store: Store,
    external_ref: str,
    title: str,
    price: Decimal,
    currency: str = "USD",
    description: str = "",
    is_active: bool = True,
) -> tuple[Product, bool]:
    """Create or update the product the marketplace knows as `external_ref`; True when created."""
    Product(
        store=store, title=title, slug="product", price=price, currency=currency, description=description
    ).clean_fields(exclude=["store", "slug"])
    fields = {"title": title, "price": price, "currency": currency, "description": description, "is_active": is_active}
    if not Product.objects.filter(external_ref=external_ref).exists():
        try:
            with transaction.atomic():
                return product_create(store=store, external_ref=external_ref, **fields), True  # type: ignore[arg-type]
        except IntegrityError:
            if not Product.objects.filter(external_ref=external_ref).exists():
                raise
    with transaction.atomic():
        product = Product.objects.select_for_update().get(external_ref=external_ref)
        if product.store_id != store.pk:
            raise ValidationError({"external_ref": _("This reference belongs to a product of another store.")})
        product_listing_changed(product=product, changed=_save_changed(product, fields))
    return product, False


# What the cached review lists show of a product: its name and link, and whether it is listed.
PRODUCT_LISTED_FIELDS = frozenset({"title", "slug", "is_active", "store"})


def product_listing_changed(*, product: Product, changed: Iterable[str]) -> None:
    """A product was edited (the API, the admin): renew the store's cached review lists when they show it.
    The store a moved product left is renewed by its save itself (portal.apps, `product_saved`)."""
    if PRODUCT_LISTED_FIELDS & set(changed):
        content_changed(topic="feedback", store_id=product.store_id)


# --- Orders -----------------------------------------------------------------------------


# What rides along the order's insert (`order_create_external`): given the order and its items,
# unsaved, further CTEs of the same statement and their parameters. They may read the CTE named
# ORDER_INSERTED, which returns the new order's key, and no row when no order was inserted.
Along = Callable[[Order, list[OrderItem]], tuple[str, list[Any]]]
ORDER_INSERTED = "new_order"


@dataclass(frozen=True)
class LineItem:
    product: Product
    quantity: int
    unit_price: Decimal | None = None


def _order_build(
    *,
    buyer: User,
    store: Store,
    items: Iterable[LineItem],
    now: datetime,
    currency: str,
    number: str | None,
    external_ref: str | None,
    ship_to_country: str,
    lead_photos: Mapping[int, int] | None,
) -> tuple[Order, list[OrderItem], OrderEvent]:
    """The order, its items and its first event, checked and unsaved."""
    destination = ship_to_country.strip().upper() or buyer.delivery_country
    if destination and not is_known_country(destination):
        raise ValidationError({"ship_to_country": _("Unknown country code %(code)s.") % {"code": destination}})
    lines = list(items)
    if not lines:
        raise ValidationError(_("An order needs at least one item."))
    for line in lines:
        if line.product.store_id != store.pk:
            raise ValidationError(
                _("Product %(product)s is not sold by %(store)s.") % {"product": line.product, "store": store}
            )
        if line.quantity < 1:
            raise ValidationError(_("Quantities must be at least 1."))
    if lead_photos is None:
        lead_photos = product_lead_photo_ids(product_ids={line.product.pk for line in lines})
    order_items = [
        OrderItem(
            product=line.product,
            quantity=line.quantity,
            unit_price=line.unit_price if line.unit_price is not None else line.product.price,
            # The listing as sold (SPEC §1): what a "not as described" case is judged against.
            sold_title=line.product.title,
            sold_description=line.product.description,
            sold_price=line.product.price,
            sold_currency=line.product.currency,
            sold_photo_id=lead_photos.get(line.product.pk),
        )
        for line in lines
    ]
    order = Order(
        number=number or _order_number_new(now),
        external_ref=external_ref,
        buyer=buyer,
        store=store,
        currency=currency,
        status=Order.Status.PLACED,
        ship_to_country=destination,
        placed_at=now,
        total=sum((item.line_total for item in order_items), Decimal("0")),
    )
    event = OrderEvent(actor=None, old_status="", new_status=Order.Status.PLACED, created_at=now)
    return order, order_items, event


def order_create(
    *,
    buyer: User,
    store: Store,
    items: Iterable[LineItem],
    now: datetime,
    currency: str = "USD",
    number: str | None = None,
    external_ref: str | None = None,
    ship_to_country: str = "",
) -> Order:
    """Record an order as the marketplace placed it; every item must belong to the store.

    The parcel goes to `ship_to_country` when given, else to the buyer's country.
    """
    order, _items, inserted = _order_place(
        buyer=buyer,
        store=store,
        items=items,
        now=now,
        currency=currency,
        number=number,
        external_ref=external_ref,
        ship_to_country=ship_to_country,
        lead_photos=None,
    )
    if not inserted:
        raise IntegrityError(f"An order with the reference {external_ref!r} exists")
    return order


def _order_place(
    *,
    buyer: User,
    store: Store,
    items: Iterable[LineItem],
    now: datetime,
    currency: str,
    number: str | None,
    external_ref: str | None,
    ship_to_country: str,
    lead_photos: Mapping[int, int] | None,
    along: Along | None = None,
) -> tuple[Order, list[OrderItem], bool]:
    """Build the order and insert it with its items and first event; False when its external
    reference was taken (nothing written)."""
    order, order_items, event = _order_build(
        buyer=buyer,
        store=store,
        items=items,
        now=now,
        currency=currency,
        number=number,
        external_ref=external_ref,
        ship_to_country=ship_to_country,
        lead_photos=lead_photos,
    )
    # No savepoint of its own: a taken number is not an error that aborts the transaction, the
    # insert does nothing and is tried again with a new one.
    with transaction.atomic(savepoint=False):
        inserted = _order_insert_numbered(
            order=order, items=order_items, event=event, number_given=number is not None, now=now, along=along
        )
    return order, order_items, inserted


def _order_number_new(now: datetime) -> str:
    return f"OP{now:%y%m%d}{secrets.randbelow(10**8):08d}"


# Order numbers are random within a day (10^8 of them): at thousands of orders a day two can
# meet (the birthday bound), so a taken number is drawn again rather than failing the order.
ORDER_NUMBER_ATTEMPTS = 5


def _order_insert_numbered(
    *, order: Order, items: list[OrderItem], event: OrderEvent, number_given: bool, now: datetime, along: Along | None
) -> bool:
    """Insert the order (with its items and first event); False when its external reference was
    taken (nothing written). A drawn number that is taken is drawn again; a given one raises."""
    for _attempt in range(ORDER_NUMBER_ATTEMPTS):
        if _order_insert_once(order=order, items=items, event=event, along=along):
            return True
        if order.external_ref is not None and Order.objects.filter(external_ref=order.external_ref).exists():
            return False
        if number_given:
            raise IntegrityError(f"Order number {order.number!r} is taken")
        order.number = _order_number_new(now)
    raise IntegrityError(f"No free order number after {ORDER_NUMBER_ATTEMPTS} draws")


@functools.cache
def _insert_shape(
    model: type[Model], exclude: frozenset[str] = frozenset()
) -> "tuple[tuple[Field[Any, Any], ...], str, str]":
    """The fields an INSERT of `model` writes (all but the key and `exclude`), their quoted
    column names, and one row's placeholders, each cast to its column's type so that a VALUES
    list feeding an INSERT … SELECT needs no guessing (a NULL, a JSON document). Worked out once."""
    quote = connection.ops.quote_name
    fields = tuple(
        f
        for f in model._meta.local_concrete_fields
        if not f.primary_key and not f.generated and f.attname not in exclude
    )
    names = ", ".join(quote(str(f.column)) for f in fields)
    row = "(" + ", ".join(f"%s::{f.db_type(connection)}" for f in fields) + ")"
    return fields, names, row


def _insert_values(obj: Model, fields: "Sequence[Field[Any, Any]]", params: list[Any]) -> None:
    params.extend(field.get_db_prep_save(field.pre_save(obj, add=True), connection) for field in fields)


def _insert_once(obj: Model, *, conflict: str) -> bool:
    """INSERT `obj` unless a row has its `conflict` column's value (then False and nothing
    written); one statement, no savepoint. The instance gets its key and is saved."""
    model = type(obj)
    if connection.vendor != "postgresql":  # the zero-setup SQLite database (one writer at a time)
        if model._default_manager.filter(**{conflict: getattr(obj, conflict)}).exists():
            return False
        obj.save(force_insert=True)
        return True
    quote = connection.ops.quote_name
    fields, names, row = _insert_shape(model)
    params: list[Any] = []
    _insert_values(obj, fields, params)
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({names}) VALUES {row} "  # noqa: S608 - names from the model
        f"ON CONFLICT ({quote(conflict)}) DO NOTHING RETURNING {quote(str(model._meta.pk.column))}"
    )
    with bound_cursor() as cursor:
        cursor.execute(sql, params)
        inserted = cursor.fetchone()
    if inserted is None:
        return False
    obj.pk = inserted[0]
    obj._state.adding, obj._state.db = False, connection.alias
    return True


@functools.cache
def _order_insert_sql(along: str = "") -> str:
    """The one statement of `_order_insert_once`, the same for any number of items: the items come
    as one array per column (unnested), so the statement has a fixed text and under 50 parameters,
    and psycopg reuses its parsed form instead of parsing a long text on every order. `along`:
    further CTEs (see `Along`)."""
    quote = connection.ops.quote_name
    _fields, order_names, order_row = _insert_shape(Order)
    item_fields, item_names, _row = _insert_shape(OrderItem, frozenset({"order_id"}))
    _fields, event_names, event_row = _insert_shape(OrderEvent, frozenset({"order_id"}))
    item_columns = ", ".join(f"%s::{field.db_type(connection)}[]" for field in item_fields)
    item_aliases = ", ".join(f"c{index}" for index in range(len(item_fields)))
    item_values = ", ".join(f"v.c{index}" for index in range(len(item_fields)))
    pk, order_id = quote("id"), quote("order_id")
    return (
        f"WITH new_order AS (INSERT INTO {quote(Order._meta.db_table)} ({order_names}) "  # noqa: S608 - names from the models
        # Any unique column: the external reference (sent twice) or the number (drawn twice).
        f"VALUES {order_row} ON CONFLICT DO NOTHING RETURNING {pk}), "
        f"new_items AS (INSERT INTO {quote(OrderItem._meta.db_table)} ({order_id}, {item_names}) "
        f"SELECT new_order.{pk}, {item_values} FROM new_order, unnest({item_columns}) WITH ORDINALITY "
        f"AS v({item_aliases}, listed) ORDER BY v.listed RETURNING {pk}), "
        f"new_event AS (INSERT INTO {quote(OrderEvent._meta.db_table)} ({order_id}, {event_names}) "
        f"SELECT new_order.{pk}, v.* FROM new_order, (VALUES {event_row}) AS v RETURNING {pk}) "
        f"{', ' + along + ' ' if along else ''}"
        f"SELECT (SELECT {pk} FROM new_order), ARRAY(SELECT {pk} FROM new_items ORDER BY 1), "
        f"(SELECT {pk} FROM new_event)"
    )


def _order_insert_once(*, order: Order, items: list[OrderItem], event: OrderEvent, along: Along | None = None) -> bool:
    """Insert the order, its items and its first event in one statement, unless an order with its
    external reference or its number exists (then nothing is written and False is returned).

    INSERT … ON CONFLICT DO NOTHING, with the items and the event inserted by CTEs
    from the order's RETURNING: no savepoint, one round trip. A concurrent insert of the same
    reference waits for the other transaction and then does nothing (or inserts, if it rolled back).
    """
    if connection.vendor != "postgresql":  # the zero-setup SQLite database (one writer at a time)
        return _order_insert_once_orm(order=order, items=items, event=event)
    params: list[Any] = []
    _insert_values(order, _insert_shape(Order)[0], params)
    item_fields = _insert_shape(OrderItem, frozenset({"order_id"}))[0]
    params.extend(
        [field.get_db_prep_save(field.pre_save(item, add=True), connection) for item in items] for field in item_fields
    )
    _insert_values(event, _insert_shape(OrderEvent, frozenset({"order_id"}))[0], params)
    along_sql = ""
    if along is not None:
        along_sql, along_params = along(order, items)
        params += along_params
    sql = _order_insert_sql(along_sql)
    with bound_cursor() as cursor:
        cursor.execute(sql, params)
        order_id, item_ids, event_id = cursor.fetchone()
    if order_id is None:
        return False
    # The rows are numbered in the order they were listed.
    order.pk = order_id
    order._state.adding = False
    order._state.db = connection.alias
    for item, item_id in zip(items, item_ids, strict=True):
        item.pk, item.order = item_id, order
        item._state.adding, item._state.db = False, connection.alias
    event.pk, event.order = event_id, order
    event._state.adding, event._state.db = False, connection.alias
    return True


def _order_insert_once_orm(*, order: Order, items: list[OrderItem], event: OrderEvent) -> bool:
    """`_order_insert_once` through the ORM, for databases other than PostgreSQL."""
    taken = Q(number=order.number)
    if order.external_ref is not None:
        taken |= Q(external_ref=order.external_ref)
    if Order.objects.filter(taken).exists():
        return False
    order.save(force_insert=True)
    for item in items:
        item.order = order
    OrderItem.objects.bulk_create(items)
    event.order = order
    event.save(force_insert=True)
    return True


def order_create_external(
    *,
    external_ref: str,
    buyer: User,
    store: Store,
    items: Iterable[LineItem],
    now: datetime,
    currency: str = "USD",
    ship_to_country: str = "",
    lead_photos: Mapping[int, int] | None = None,
    along: Along | None = None,
) -> tuple[Order, list[OrderItem] | None]:
    """Create the order the marketplace knows as `external_ref` once; with its items (their
    products as given) when this call created it, else the existing order and None.

    The same order sent again, even by two requests at once, is created once: the reference is
    unique, and the insert does nothing when it is taken (PostgreSQL makes it wait for a
    concurrent winner's commit first); the loser reads the winner's order. `lead_photos`: each
    product's lead photo when the caller read them already (else they are read here). `along`:
    what else the order's statement writes (see `Along`; called for each statement tried, on
    PostgreSQL only, so the caller tells by whether it was called last before an insert).
    """
    order, order_items, inserted = _order_place(
        buyer=buyer,
        store=store,
        items=items,
        now=now,
        currency=currency,
        number=None,
        external_ref=external_ref,
        ship_to_country=ship_to_country,
        lead_photos=lead_photos,
        along=along,
    )
    if inserted:
        return order, order_items
    winner = Order.objects.filter(external_ref=external_ref).first()
    if winner is None:  # pragma: no cover - the conflict was on this reference
        raise IntegrityError(f"No order {external_ref!r} after a conflict on it")
    return winner, None


def order_transition(
    *,
    order_id: int,
    to: str,
    actor: User | None,
    now: datetime,
    note: str = "",
    note_kind: str = "",
    note_params: dict[str, Any] | None = None,
    automatic: bool = False,
    carrier: str = "",
    tracking_number: str = "",
    shipping_method: str = "",
) -> Order:
    """Move an order to `to`, stamp the time and record who did it.

    `note` is free text a person typed; the system's own notes are a `note_kind` (see
    `portal.timeline`) with parameters, so that every reader sees them in their language.

    Locks the order row so that a buyer confirming receipt and the automatic confirmation
    sweep cannot both complete it: the second one sees `completed` and is refused.
    """
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        old = transition_check(
            order,
            table=ALLOWED_TRANSITIONS,
            to=to,
            message=_("Order %(number)s cannot go from %(old)s to %(new)s."),
            params={"number": order.number},
        )
        order.status = to
        setattr(order, TIMESTAMP_FIELDS[to], now)
        fields = ["status", TIMESTAMP_FIELDS[to]]
        if to == Order.Status.SHIPPED:
            order.carrier = carrier
            order.tracking_number = tracking_number
            order.shipping_method = shipping_method
            # The guarantee clock copies the rules in force now (`portal.rules`), and their version.
            rules = rules_at(now)
            order.auto_confirm_due_at = now + timedelta(days=rules.auto_confirm_days)
            order.auto_confirm_reminder_due_at = order.auto_confirm_due_at - timedelta(
                days=rules.auto_confirm_reminder_days
            )
            order.rules_version = rules.version
            fields += [
                "carrier",
                "tracking_number",
                "shipping_method",
                "auto_confirm_due_at",
                "auto_confirm_reminder_due_at",
                "rules_version",
            ]
            fields += _order_promise(order=order, now=now)
        if to == Order.Status.COMPLETED:
            order.completed_automatically = automatic
            # An order is judged by the rules that were in force when it completed.
            order.rules_version = rules_version_at(now)
            fields += ["completed_automatically", "rules_version"]
        order.save(update_fields=fields)
        OrderEvent.objects.create(
            order=order,
            actor=actor,
            old_status=old,
            new_status=to,
            note=note,
            note_kind=note_kind,
            note_params=note_params or {},
            created_at=now,
        )
        if to == Order.Status.SHIPPED:
            notify(
                user_id=order.buyer_id,
                kind="order_shipped",
                # Codes and moments only: the carrier's name, its tracking page and the dates
                # are worked out in the reader's language and time zone when it is read.
                params={
                    "number": order.number,
                    "order_id": order.pk,
                    "carrier": order.carrier,
                    "tracking": order.tracking_number or "—",
                    "delivery_from": order.delivery_from_at.isoformat() if order.delivery_from_at else "",
                    "delivery_by": order.delivery_by_at.isoformat() if order.delivery_by_at else "",
                },
                now=now,
            )
        if to == Order.Status.COMPLETED:
            events.order_completed(order=order, now=now)
            for listener in ORDER_COMPLETED_LISTENERS.values():
                listener(order=order, now=now)
    return order


def _order_promise(*, order: Order, now: datetime) -> list[str]:
    """Fix the delivery window the store's table promises at shipping time; the fields it set.

    Copied onto the order, so that a later edit of the table never changes a shipped order's
    promise. No row for the destination and method (or no destination): no promise.
    """
    row = (
        DeliveryTime.objects.filter(
            store_id=order.store_id, country=order.ship_to_country, method=order.shipping_method
        )
        .values_list("min_days", "max_days")
        .first()
        if order.ship_to_country and order.shipping_method
        else None
    )
    order.delivery_from_at = now + timedelta(days=row[0]) if row else None
    order.delivery_by_at = now + timedelta(days=row[1]) if row else None
    if row:
        # A promised shipment joins the store's on-time share.
        content_changed(topic="shipments", store_id=order.store_id)
    return ["delivery_from_at", "delivery_by_at"]


def order_pay(*, order_id: int, actor: User | None, now: datetime) -> Order:
    return order_transition(order_id=order_id, to=Order.Status.PAID, actor=actor, now=now)


def order_ship(
    *,
    order_id: int,
    actor: User | None,
    now: datetime,
    shipping_method: str,
    carrier: str,
    tracking_number: str,
) -> Order:
    """Ship a paid order with its method, carrier and tracking number: the one way every caller ships.

    The store's desk (a member), the admin (staff who may change orders), the marketplace's
    API and the demo data (`actor=None`, the system) all come here. The input is checked
    first, field by field, so a form shows each message beside its field; a person who is
    neither a member of the order's store nor staff allowed to change orders is refused.
    The move itself (lock, status check, event, the buyer's notice) is `order_transition`'s.
    """
    errors: dict[str, str] = {}
    if shipping_method not in ShippingMethod.values:
        errors["shipping_method"] = _("Choose how the parcel is sent.")
    found = carrier_find(carrier)
    number = tracking_number_normalise(tracking_number)
    if found is None:
        errors["carrier"] = _("Choose a carrier from the list.") if not carrier.strip() else _("Unknown carrier.")
    if not number:
        errors["tracking_number"] = _("Enter the tracking number.")
    elif found is not None and not found.accepts(number):
        errors["tracking_number"] = _("This is not a %(carrier)s tracking number.") % {"carrier": found.name}
    if errors:
        raise ValidationError(errors)
    assert found is not None  # every refusal above was raised
    if actor is not None:
        store_id = Order.objects.filter(pk=order_id).values_list("store_id", flat=True).first()
        if store_id is None:
            raise Order.DoesNotExist
        if not (user_is_store_member(user=actor, store_id=store_id) or actor.has_perm("portal.change_order")):
            raise PermissionDenied
    return order_transition(
        order_id=order_id,
        to=Order.Status.SHIPPED,
        actor=actor,
        now=now,
        carrier=found.code,
        tracking_number=number,
        shipping_method=shipping_method,
    )


def order_confirm_receipt(*, order_id: int, buyer: User, now: datetime) -> Order:
    """The buyer confirms receipt: the order completes and every feedback clock starts."""
    if not Order.objects.filter(pk=order_id, buyer=buyer).exists():
        raise ValidationError(_("Only the buyer can confirm receipt."))
    return order_transition(
        order_id=order_id, to=Order.Status.COMPLETED, actor=buyer, now=now, note_kind="order_confirmed_by_buyer"
    )


def order_set_dispute_open(*, order_id: int, is_open: bool) -> None:
    """Pause (or resume) the delivery-guarantee clock while a dispute is open on the order."""
    Order.objects.filter(pk=order_id).update(has_open_dispute=is_open)


# --- Automatic confirmation (SPEC §1) -----------------------------------------------------


def orders_auto_confirm_due(*, now: datetime, limit: int) -> list[int]:
    return list(
        Order.objects.filter(status=Order.Status.SHIPPED, has_open_dispute=False, auto_confirm_due_at__lte=now)
        .order_by("auto_confirm_due_at")
        .values_list("pk", flat=True)[:limit]
    )


def order_auto_confirm(*, order_id: int, now: datetime) -> bool:
    """Complete one shipped order whose guarantee ran out; False if another path got there first.

    The locked re-check inside `order_transition` is the compare-and-set: a worker that
    lost the race (buyer confirmed, another worker, a dispute opened) changes nothing.
    """
    with transaction.atomic():
        order = Order.objects.select_for_update(skip_locked=True).filter(pk=order_id).first()
        if (
            order is None
            or order.status != Order.Status.SHIPPED
            or order.has_open_dispute
            or order.auto_confirm_due_at is None
            or order.auto_confirm_due_at > now
        ):
            return False
        order_transition(
            order_id=order_id,
            to=Order.Status.COMPLETED,
            actor=None,
            now=now,
            automatic=True,
            note_kind="order_confirmed_automatically",
        )
        notify(
            user_id=order.buyer_id,
            kind="order_auto_confirmed",
            params={"number": order.number, "order_id": order.pk},
            now=now,
        )
    return True


def orders_auto_confirm_sweep(*, now: datetime, batch_size: int | None = None) -> int:
    """Confirm every due order, in batches; returns how many this call confirmed."""
    batch_size = batch_size or settings.OPINIA_SWEEP_BATCH_SIZE
    confirmed = 0
    while True:
        due = orders_auto_confirm_due(now=now, limit=batch_size)
        progressed = 0
        for order_id in due:
            if order_auto_confirm(order_id=order_id, now=now):
                confirmed += 1
                progressed += 1
        if len(due) < batch_size or progressed == 0:
            return confirmed


def orders_auto_confirm_reminder_sweep(*, now: datetime, batch_size: int | None = None) -> int:
    """Remind buyers 5 days before automatic confirmation; each order is claimed once by UPDATE."""
    batch_size = batch_size or settings.OPINIA_SWEEP_BATCH_SIZE
    reminded = 0
    while True:
        due = list(
            Order.objects.filter(
                status=Order.Status.SHIPPED,
                auto_confirm_reminded_at__isnull=True,
                auto_confirm_reminder_due_at__lte=now,
                auto_confirm_due_at__gt=now,
            )
            .order_by("auto_confirm_reminder_due_at")
            .values_list("pk", "buyer_id", "number", "auto_confirm_due_at", "auto_confirm_reminder_due_at")[:batch_size]
        )
        for order_id, buyer_id, number, due_at, remind_at in due:
            with transaction.atomic():
                claimed = Order.objects.filter(
                    pk=order_id, status=Order.Status.SHIPPED, auto_confirm_reminded_at__isnull=True
                ).update(auto_confirm_reminded_at=now)
                if not claimed:
                    continue
                # The days as the order's clock copied them when it shipped (both columns are set: filtered above).
                days = (due_at - remind_at).days if due_at and remind_at else 0
                notify(
                    user_id=buyer_id,
                    kind="order_auto_confirm_reminder",
                    params={"number": number, "days": days, "order_id": order_id},
                    now=now,
                )
                reminded += 1
        if len(due) < batch_size:
            return reminded


# --- Product photos -----------------------------------------------------------------------------------


def _product_for_member(*, actor: User, product_id: int) -> Product:
    product = Product.objects.filter(pk=product_id).first()
    if product is None or not user_is_store_member(user=actor, store_id=product.store_id):
        raise ValidationError(_("Only the store's people can change its products."), code="not_a_member")
    return product


def _photos_limit_error(limit: int) -> ValidationError:
    return ValidationError(
        {"photos": _("A product may have at most %(limit)s photos; remove one first.") % {"limit": limit}},
        code="too_many_photos",
    )


def product_photos_add(
    *, actor: User, product_id: int, photos: Sequence[ValidatedPhoto], now: datetime
) -> list[ProductPhoto]:
    """Add photos to a product's listing, after its present ones; store members only.

    The files go through the one pipeline (`photo_store` before the transaction, STYLE rule 5):
    they are shown once the worker has re-encoded them, and the product page's cached gallery
    is renewed then (`photo_became_public_content`) and now.
    """
    if not photos:
        raise ValidationError({"photos": _("Choose at least one photo.")}, code="required")
    limit = settings.OPINIA_PRODUCT_PHOTOS_MAX
    product = _product_for_member(actor=actor, product_id=product_id)
    if ProductPhoto.objects.filter(product=product).count() + len(photos) > limit:
        raise _photos_limit_error(limit)
    stored = [photo_store(owner=actor, photo=photo, now=now) for photo in photos]
    with transaction.atomic():
        # The product's row is the lock: two uploads at once cannot pass the limit together.
        product = Product.objects.select_for_update().get(pk=product.pk)
        present = list(ProductPhoto.objects.filter(product=product).values_list("position", flat=True))
        if len(present) + len(stored) > limit:
            raise _photos_limit_error(limit)
        start = max(present, default=-1) + 1
        added = ProductPhoto.objects.bulk_create(
            ProductPhoto(product=product, photo=photo, position=start + index, added_at=now)
            for index, photo in enumerate(stored)
        )
        content_changed(topic="listing", store_id=product.store_id)
    return added


def product_photo_remove(*, actor: User, product_id: int, product_photo_id: int, now: datetime) -> None:
    """Take a photo off a product's listing; store members only.

    Orders keep their own reference to the photo they were sold with (`OrderItem.sold_photo`),
    so the photo row stays while any order refers to it; one nothing refers to any more is
    deleted with its files by the retention sweep (`photos.prune_unattached`).
    """
    product = _product_for_member(actor=actor, product_id=product_id)
    with transaction.atomic():
        deleted, _rows = ProductPhoto.objects.filter(product=product, pk=product_photo_id).delete()
        if not deleted:
            raise ValidationError(_("This photo is no longer on the product."), code="gone")
        content_changed(topic="listing", store_id=product.store_id)


# --- The rules (`portal.rules`) -------------------------------------------------------------

# Pairs of rules whose values must keep an order: (rule, relation, other rule).
RULE_RELATIONS: tuple[tuple[str, str, str], ...] = (
    ("feedback_reminder_days", "<", "feedback_window_days"),
    ("auto_confirm_reminder_days", "<", "auto_confirm_days"),
    ("escalation_from_days", "<=", "escalation_until_days"),
    ("escalation_until_days", "<", "auto_escalation_days"),
)


def rules_publish(
    *, actor: User, effective_from: datetime, values: Mapping[str, Any], note: str, now: datetime
) -> RuleSet:
    """Add a version of the rules, taking effect at `effective_from` (now or later); never edits one.

    Every registered rule needs a value within its limits. A version takes effect no earlier than
    the versions before it, so versions take effect in the order they are numbered; one dated like
    the latest replaces it from that moment. Clocks already running keep the numbers they copied.
    """
    errors: dict[str, list[str]] = {}
    checked: dict[str, int] = {}
    for name, definition in RULES.items():
        if values.get(name) is None:
            errors[name] = [_("Enter a value.")]
            continue
        try:
            checked[name] = definition.check(values[name])
        except ValidationError as error:
            errors[name] = error.messages
    unknown = sorted(set(values) - set(RULES))
    if unknown:
        errors.setdefault("__all__", []).append(_("Unknown rules: %(names)s.") % {"names": ", ".join(unknown)})
    for name, relation, other in RULE_RELATIONS:
        if name in checked and other in checked:
            ok = checked[name] < checked[other] if relation == "<" else checked[name] <= checked[other]
            if not ok:
                errors.setdefault(name, []).append(
                    _("Must be less than %(other)s (%(value)d).")
                    % {"other": RULES[other].label, "value": checked[other]}
                    if relation == "<"
                    else _("Must be at most %(other)s (%(value)d).")
                    % {"other": RULES[other].label, "value": checked[other]}
                )
    if effective_from < now:
        errors["effective_from"] = [_("Rules cannot change in the past: choose now or a later moment.")]
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            latest = RuleSet.objects.select_for_update().order_by("-version").first()
            if latest is None:
                # Version 1 (the settings) is made by a migration; a test database may lack it.
                latest = RuleSet.objects.create(
                    version=1, effective_from=datetime(2000, 1, 1, tzinfo=UTC), values={}, created_at=now
                )
            if effective_from < latest.effective_from:
                raise ValidationError(
                    {
                        "effective_from": _(
                            "Version %(version)d takes effect on %(when)s: a new version cannot take effect before it."
                        )
                        % {"version": latest.version, "when": format_moment(latest.effective_from)}
                    }
                )
            rule_set = RuleSet.objects.create(
                version=latest.version + 1,
                effective_from=effective_from,
                values=checked,
                note=note.strip(),
                created_by=actor,
                created_at=now,
            )
            # Logged like an addition in the admin: the changed rules, by their untranslated labels.
            prior = rules_of_version(latest.version) or rules_at(latest.effective_from)
            with translation.override(None):
                changed = [str(RULES[name].label) for name in RULES if checked[name] != getattr(prior, name)]
            LogEntry.objects.log_actions(
                user_id=actor.pk,
                queryset=[rule_set],
                action_flag=ADDITION,
                change_message=[{"added": {}}, {"changed": {"fields": changed}}] if changed else [{"added": {}}],
                single_object=True,
            )
            transaction.on_commit(rules_forget)
            # Kept parts show numbers of the rules (a score's window): built again under the new version.
            rules_changed()
    except IntegrityError:
        raise ValidationError(_("Another version was published at the same moment; try again.")) from None
    rules_forget()
    return rule_set
