"""Every write to accounts, stores, products and orders."""

import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Protocol

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Field
from django.utils import translation
from django.utils.text import capfirst, slugify
from django.utils.translation import gettext as _

from portal import events
from portal.dates import format_moment
from portal.fragments import content_changed, user_public_name_changed
from portal.models import Order, OrderEvent, OrderItem, Product, RuleSet, Store, StoreMember, User, WorkingHours
from portal.notify import notify
from portal.rules import RULES, rules_at, rules_of_version, rules_version_at
from portal.rules import forget as rules_forget
from portal.selectors import user_is_store_member
from portal.transitions import TransitionNotAllowed as TransitionNotAllowed  # re-exported for callers
from portal.transitions import transition_check


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
    loser's insert waits for the winner's transaction, fails on the unique e-mail, and reads
    the winner's row.
    """
    address = User.objects.normalize_email(email.strip()).lower()
    existing = User.objects.filter(email__iexact=address).first()
    if existing is not None:
        return existing, False
    probe = User(email=address, display_name=display_name, language=language, time_zone=time_zone)
    probe.full_clean(exclude=["password"], validate_unique=False)
    try:
        with transaction.atomic():
            return (
                user_create(
                    email=address, password=None, display_name=display_name, language=language, time_zone=time_zone
                ),
                True,
            )
    except IntegrityError:
        winner = User.objects.filter(email__iexact=address).first()
        if winner is None:
            raise
        return winner, False


def user_update_preferences(*, user: User, language: str | None = None, time_zone: str | None = None) -> User:
    fields = []
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


def user_update_profile(*, user: User, display_name: str, language: str, time_zone: str, phone: str) -> User:
    name_changed = user.display_name != display_name
    user.display_name = display_name
    user.language = language
    user.time_zone = time_zone
    user.phone = phone
    user.full_clean(exclude=["password"])
    user.save(update_fields=["display_name", "language", "time_zone", "phone"])
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


def _label(model: type[Store] | type[StoreMember] | type[WorkingHours], field: str | None = None) -> str:
    """A model's or a field's verbose name, untranslated, as the admin stores its own change
    messages (it translates them when it shows the history)."""
    with translation.override(None):
        if field is None:
            return str(model._meta.verbose_name)
        model_field = model._meta.get_field(field)
        assert isinstance(model_field, Field)
        return capfirst(str(model_field.verbose_name))  # as the admin's form labels are


def store_update_settings(*, store: Store, actor: User, name: str, time_zone: str, auto_reply: str) -> Store:
    """Save the store's name, time zone and auto-reply; owner only, audited when something changed."""
    _require_owner(store=store, actor=actor)
    new = {"name": name, "time_zone": time_zone, "auto_reply": auto_reply}
    with transaction.atomic():
        # Compared with the stored row, not with `store`: a bound ModelForm has already set its values on it.
        before = Store.objects.select_for_update().values(*new).get(pk=store.pk)
        changed = [field for field, value in new.items() if before[field] != value]
        for field, value in new.items():
            setattr(store, field, value)
        store.save(update_fields=list(new))
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
    """Replace the store's week: one interval per weekday at most, in the store's local time.

    Owner only; audited when the week changed.
    """
    _require_owner(store=store, actor=actor)
    week = {(i.weekday, i.opens_at, i.closes_at) for i in intervals}
    with transaction.atomic():
        before = set(WorkingHours.objects.filter(store=store).values_list("weekday", "opens_at", "closes_at"))
        WorkingHours.objects.filter(store=store).delete()
        WorkingHours.objects.bulk_create(
            WorkingHours(store=store, weekday=weekday, opens_at=opens_at, closes_at=closes_at)
            for weekday, opens_at, closes_at in sorted(week)
        )
        if week != before:
            _audit_store(store=store, actor=actor, change=[{"changed": {"fields": [capfirst(_label(WorkingHours))]}}])


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
        store.name, store.country, store.time_zone = name, country, time_zone
        store.save(update_fields=["name", "country", "time_zone"])
    return store, False


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
        changed = {name for name, value in fields.items() if getattr(product, name) != value}
        for name, value in fields.items():
            setattr(product, name, value)
        product.save(update_fields=list(fields))
        product_listing_changed(product=product, changed=changed)
    return product, False


# What the cached review lists show of a product: its name and link, and whether it is listed.
PRODUCT_LISTED_FIELDS = frozenset({"title", "slug", "is_active", "store"})


def product_listing_changed(*, product: Product, changed: Iterable[str], previous_store_id: int | None = None) -> None:
    """A product was edited (the API, the admin): renew the store's cached review lists when they show it
    (and the lists of the store it left, when it moved)."""
    if PRODUCT_LISTED_FIELDS & set(changed):
        content_changed(topic="feedback", store_id=product.store_id)
        if previous_store_id and previous_store_id != product.store_id:
            content_changed(topic="feedback", store_id=previous_store_id)


# --- Orders -----------------------------------------------------------------------------


@dataclass(frozen=True)
class LineItem:
    product: Product
    quantity: int
    unit_price: Decimal | None = None


def order_create(
    *,
    buyer: User,
    store: Store,
    items: Iterable[LineItem],
    now: datetime,
    currency: str = "USD",
    number: str | None = None,
    external_ref: str | None = None,
) -> Order:
    """Record an order as the marketplace placed it; every item must belong to the store."""
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
    with transaction.atomic():
        order = Order.objects.create(
            number=number or f"OP{now:%y%m%d}{secrets.randbelow(10**8):08d}",
            external_ref=external_ref,
            buyer=buyer,
            store=store,
            currency=currency,
            status=Order.Status.PLACED,
            placed_at=now,
        )
        order_items = [
            OrderItem(
                order=order,
                product=line.product,
                quantity=line.quantity,
                unit_price=line.unit_price if line.unit_price is not None else line.product.price,
            )
            for line in lines
        ]
        OrderItem.objects.bulk_create(order_items)
        order.total = sum((item.line_total for item in order_items), Decimal("0"))
        order.save(update_fields=["total"])
        OrderEvent.objects.create(
            order=order, actor=None, old_status="", new_status=Order.Status.PLACED, created_at=now
        )
    return order


def order_create_external(
    *, external_ref: str, buyer: User, store: Store, items: Iterable[LineItem], now: datetime, currency: str = "USD"
) -> tuple[Order, bool]:
    """Create the order the marketplace knows as `external_ref` once; True when this call created it.

    The same order sent again, even by two requests at once, is created once: the reference is
    unique, and the request that loses the race reads the winner's order (PostgreSQL makes its
    insert wait for the winner's commit).
    """
    existing = Order.objects.filter(external_ref=external_ref).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            return (
                order_create(
                    buyer=buyer, store=store, items=items, now=now, currency=currency, external_ref=external_ref
                ),
                True,
            )
    except IntegrityError:
        winner = Order.objects.filter(external_ref=external_ref).first()
        if winner is None:
            raise
        return winner, False


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
                params={"number": order.number, "tracking": order.tracking_number or "—", "order_id": order.pk},
                now=now,
            )
        if to == Order.Status.COMPLETED:
            events.order_completed(order=order, now=now)
            for listener in ORDER_COMPLETED_LISTENERS.values():
                listener(order=order, now=now)
    return order


def order_pay(*, order_id: int, actor: User | None, now: datetime) -> Order:
    return order_transition(order_id=order_id, to=Order.Status.PAID, actor=actor, now=now)


def order_ship(*, order_id: int, actor: User | None, now: datetime, tracking_number: str = "") -> Order:
    return order_transition(
        order_id=order_id, to=Order.Status.SHIPPED, actor=actor, now=now, tracking_number=tracking_number
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
    except IntegrityError:
        raise ValidationError(_("Another version was published at the same moment; try again.")) from None
    rules_forget()
    return rule_set
