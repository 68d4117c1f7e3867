"""Accounts, stores, products, orders and photos: what every other app stands on."""

import uuid
import zoneinfo
from collections.abc import Collection
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar, Self

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.countries import country_for_language, validate_country
from portal.dates import format_moment
from portal.timeline import TimelineNote

TIME_ZONE_CHOICES = [(name, name) for name in sorted(zoneinfo.available_timezones()) if "/" in name or name == "UTC"]


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: Any) -> "User":
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> "User":
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> "User":
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person: every user is a buyer; store membership makes a seller; staff permissions make staff."""

    email = models.EmailField(_("e-mail address"), unique=True)
    display_name = models.CharField(_("display name"), max_length=80, blank=True)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, default="en")
    time_zone = models.CharField(_("time zone"), max_length=64, choices=TIME_ZONE_CHOICES, default="UTC")
    phone = models.CharField(_("phone for SMS"), max_length=20, blank=True)
    # Where the person lives (ISO alpha-2): product pages show delivery times to it and new orders
    # go to it. Blank until chosen: `delivery_country` then assumes one from the language.
    country = models.CharField(
        _("country"), max_length=2, blank=True, default="", db_default="", validators=[validate_country]
    )
    is_staff = models.BooleanField(_("staff status"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        indexes = [
            # Sign-in and the API's upsert of owners and buyers look addresses up case-insensitively
            # (`email__iexact`, i.e. UPPER(email)); without it each lookup scans every user.
            models.Index(Upper("email"), name="user_email_upper"),
        ]

    def __str__(self) -> str:
        return self.display_name or self.email

    @property
    def public_name(self) -> str:
        """Name shown to other users: never the e-mail address."""
        return self.public_name_of(display_name=self.display_name, email=self.email)

    @staticmethod
    def public_name_of(*, display_name: str, email: str) -> str:
        """`public_name` from the two columns, for a list read as values."""
        if display_name:
            return display_name
        return email.split("@", 1)[0][:2] + "***"

    @property
    def delivery_country(self) -> str:
        """The country chosen, or the one assumed from the language while none is."""
        return self.country or country_for_language(self.language)


# Whoever makes a request: a signed-in User or Django's AnonymousUser (public pages, photos).
RequestUser = User | AnonymousUser


class Store(models.Model):
    owner = models.ForeignKey(User, on_delete=models.PROTECT, related_name="owned_stores", verbose_name=_("owner"))
    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=140, unique=True)
    country = models.CharField(_("country"), max_length=2, help_text=_("Two-letter ISO code."))
    time_zone = models.CharField(_("time zone"), max_length=64, choices=TIME_ZONE_CHOICES, default="UTC")
    auto_reply = models.TextField(_("auto-reply"), max_length=1000, blank=True)
    # The "busy" switch: set to the end of the open interval it was turned on in, so it goes off
    # by itself when that interval ends (no timer: every reader compares it with now).
    busy_until = models.DateTimeField(_("busy until"), null=True, blank=True)
    busy_reply = models.TextField(
        _("busy auto-reply"),
        max_length=1000,
        blank=True,
        help_text=_("Sent while the store is marked busy. Leave empty for the platform's text."),
    )
    # The marketplace's own reference, for stores it creates through the API (None otherwise).
    external_ref = models.CharField(_("marketplace reference"), max_length=100, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    # The clock of the owner's weekly summary: the next Saturday 09:00 on the store's wall clock
    # (portal/weekly_summary.py), set when the store is created and when its time zone changes,
    # advanced by the sweep in the transaction that sends the summary.
    weekly_summary_due_at = models.DateTimeField(_("weekly summary due"), null=True, blank=True)

    class Meta:
        verbose_name = _("store")
        verbose_name_plural = _("stores")
        ordering = ("name",)
        indexes = [
            models.Index(
                fields=["weekly_summary_due_at"],
                name="store_weekly_summary_due",
                condition=Q(weekly_summary_due_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def local_now(self, now: datetime) -> datetime:
        return now.astimezone(self.tzinfo)


class StoreMember(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        AGENT = "agent", _("Customer-service agent")

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="members", verbose_name=_("store"))
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="store_memberships", verbose_name=_("user"))
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)
    added_at = models.DateTimeField(default=timezone.now, verbose_name=_("added"))
    # An agent's own choice to receive the store's weekly summary; the owner always receives it.
    weekly_summary = models.BooleanField(_("receives the weekly summary"), default=False)

    class Meta:
        verbose_name = _("store member")
        verbose_name_plural = _("store members")
        constraints = [models.UniqueConstraint(fields=["store", "user"], name="store_member_unique")]

    def __str__(self) -> str:
        return f"{self.user} ({self.role}) @ {self.store}"


class WorkingHours(models.Model):
    """One opening interval of a store on one weekday, in the store's local time.

    A day may hold several intervals (a lunch break). An interval whose closing time is not
    after its opening time crosses midnight: 07:00–01:00 on Monday is open from Monday 07:00
    until Tuesday 01:00 (and 09:00–00:00 closes at the end of the day). What is open when is
    answered by `portal.hours`, never by these rows alone.
    """

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="working_hours", verbose_name=_("store"))
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens_at = models.TimeField(_("opens at"))
    closes_at = models.TimeField(_("closes at"))

    class Meta:
        verbose_name = _("working hours")
        verbose_name_plural = _("working hours")
        ordering = ("weekday", "opens_at")
        constraints = [
            models.UniqueConstraint(fields=["store", "weekday", "opens_at"], name="working_hours_one_start_per_day"),
            # A zero-length interval means nothing; an earlier closing time crosses midnight.
            models.CheckConstraint(condition=~Q(opens_at=models.F("closes_at")), name="working_hours_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {format_moment(self.opens_at)}–{format_moment(self.closes_at)}"

    @property
    def crosses_midnight(self) -> bool:
        return self.closes_at <= self.opens_at


class StoreHoliday(models.Model):
    """Days the store is closed all day (a holiday, a vacation), in the store's own calendar.

    Both days are included. The optional text replaces the out-of-hours auto-reply while it lasts;
    without one, buyers get the platform's text saying when the store is back.
    """

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="holidays", verbose_name=_("store"))
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))
    auto_reply = models.TextField(
        _("holiday auto-reply"),
        max_length=1000,
        blank=True,
        help_text=_("Leave empty for the platform's text saying when the store is back."),
    )

    class Meta:
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        ordering = ("starts_on", "id")
        constraints = [
            models.CheckConstraint(condition=Q(starts_on__lte=models.F("ends_on")), name="store_holiday_ordered"),
        ]
        indexes = [models.Index(fields=["store", "ends_on"], name="store_holiday_upcoming")]

    def __str__(self) -> str:
        return f"{self.store_id}: {format_moment(self.starts_on, 'DATE_FORMAT')}–{format_moment(self.ends_on, 'DATE_FORMAT')}"


class Product(models.Model):
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="products", verbose_name=_("store"))
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=220)
    description = models.TextField(_("description"), blank=True)
    price = models.DecimalField(_("price"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="USD")
    is_active = models.BooleanField(_("on sale"), default=True)
    external_ref = models.CharField(_("marketplace reference"), max_length=100, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created"))

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        constraints = [models.UniqueConstraint(fields=["store", "slug"], name="product_slug_unique_per_store")]

    # The store the product was read with: a save that moves it renews the store it left too
    # (portal.apps, `_renew_store_profiles_on_save`).
    loaded_store_id: int | None = None

    def __str__(self) -> str:
        return self.title

    @classmethod
    def from_db(cls, db: str | None, field_names: Collection[str], values: Collection[Any], **kwargs: Any) -> Self:
        product = super().from_db(db, field_names, values, **kwargs)
        product.loaded_store_id = product.__dict__.get("store_id")
        return product

    def refresh_from_db(self, *args: Any, **kwargs: Any) -> None:
        super().refresh_from_db(*args, **kwargs)
        # Read again: the store it is in now is the one a move would leave.
        self.loaded_store_id = self.__dict__.get("store_id", self.loaded_store_id)


class ShippingMethod(models.TextChoices):
    """How a store sends a parcel: the delivery-time table and the promise are per method."""

    ECONOMY = "economy", _("Economy")
    STANDARD = "standard", _("Standard")
    EXPRESS = "express", _("Express")


class DeliveryTime(models.Model):
    """One row of a store's delivery-time table: how many days a parcel takes to a country by a method."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="delivery_times", verbose_name=_("store"))
    country = models.CharField(_("destination country"), max_length=2, validators=[validate_country])
    method = models.CharField(_("shipping method"), max_length=16, choices=ShippingMethod.choices)
    min_days = models.PositiveSmallIntegerField(_("minimum days"))
    max_days = models.PositiveSmallIntegerField(_("maximum days"))

    class Meta:
        verbose_name = _("delivery time")
        verbose_name_plural = _("delivery times")
        ordering = ("country", "method")
        constraints = [
            models.UniqueConstraint(fields=["store", "country", "method"], name="delivery_time_unique"),
            models.CheckConstraint(condition=Q(min_days__gte=1), name="delivery_time_min_positive"),
            models.CheckConstraint(condition=Q(min_days__lte=models.F("max_days")), name="delivery_time_min_le_max"),
        ]

    def __str__(self) -> str:
        return f"{self.country} {self.method}: {self.min_days}–{self.max_days}"


class Order(models.Model):
    class Status(models.TextChoices):
        PLACED = "placed", _("Placed")
        PAID = "paid", _("Paid")
        SHIPPED = "shipped", _("Shipped")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    number = models.CharField(_("number"), max_length=32, unique=True)
    # Unique so that the same marketplace order sent twice (even at once) is created once.
    external_ref = models.CharField(_("marketplace reference"), max_length=100, unique=True, null=True, blank=True)
    buyer = models.ForeignKey(User, on_delete=models.PROTECT, related_name="orders", verbose_name=_("buyer"))
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="orders", verbose_name=_("store"))
    currency = models.CharField(_("currency"), max_length=3, default="USD")
    total = models.DecimalField(_("total"), max_digits=12, decimal_places=2, default=Decimal("0"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PLACED)
    carrier = models.CharField(_("carrier"), max_length=64, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=64, blank=True)
    shipping_method = models.CharField(
        _("shipping method"), max_length=16, choices=ShippingMethod.choices, blank=True, default="", db_default=""
    )
    # ISO 3166 alpha-2 code of where the parcel goes; the delivery-time table is looked up by it.
    ship_to_country = models.CharField(_("destination country"), max_length=2, blank=True, default="", db_default="")
    # The promised delivery window, fixed when the order ships from the table in force then.
    delivery_from_at = models.DateTimeField(_("delivery expected from"), null=True, blank=True)
    delivery_by_at = models.DateTimeField(_("delivery expected by"), null=True, blank=True)
    placed_at = models.DateTimeField(_("placed"))
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    shipped_at = models.DateTimeField(_("shipped"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    completed_automatically = models.BooleanField(_("confirmed automatically"), default=False)
    # Clocks of the delivery guarantee, copied from the settings when the order ships.
    auto_confirm_due_at = models.DateTimeField(_("automatic confirmation due"), null=True, blank=True)
    auto_confirm_reminder_due_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("automatic confirmation reminder due")
    )
    auto_confirm_reminded_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("automatic confirmation reminded")
    )
    # Set by the disputes app while a dispute is open: the guarantee clock waits for it.
    has_open_dispute = models.BooleanField(_("open dispute"), default=False)
    # The version of the rules the order is judged by (`portal.rules`): the one in force when it
    # shipped (its guarantee clock), then the one in force when it completed.
    rules_version = models.PositiveIntegerField(_("rules version"), null=True, blank=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ("-placed_at",)
        indexes = [
            models.Index(fields=["buyer", "-placed_at"], name="order_buyer_recent"),
            models.Index(fields=["store", "status", "-placed_at"], name="order_store_status_recent"),
            # The API's order list (the marketplace's orders, newest first, by cursor).
            models.Index(
                fields=["-placed_at", "-id"], name="order_external_recent", condition=Q(external_ref__isnull=False)
            ),
            # The store's desk: paid orders by handling limit, shipped ones by promised date.
            models.Index(fields=["store", "paid_at", "id"], name="order_to_ship", condition=Q(status="paid")),
            models.Index(
                fields=["store", "delivery_by_at", "id"], name="order_promised_by", condition=Q(status="shipped")
            ),
            # Partial indexes: the sweeps only ever look at the few orders still pending.
            models.Index(
                fields=["auto_confirm_due_at"],
                name="order_auto_confirm_pending",
                condition=Q(status="shipped", has_open_dispute=False),
            ),
            models.Index(
                fields=["auto_confirm_reminder_due_at"],
                name="order_auto_confirm_remind",
                condition=Q(status="shipped", auto_confirm_reminded_at__isnull=True),
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(total__gte=0), name="order_total_not_negative"),
            models.CheckConstraint(
                condition=~Q(status="completed") | Q(completed_at__isnull=False), name="order_completed_has_time"
            ),
        ]

    def __str__(self) -> str:
        return self.number


class OrderItem(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items", verbose_name=_("order"))
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="order_items", verbose_name=_("product")
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    unit_price = models.DecimalField(_("unit price"), max_digits=12, decimal_places=2)
    # The listing as sold, copied by `order_create`: a "not as described" case is judged
    # against it, whatever the store changes in the product later. The photo is the product's
    # first photo then; a Photo row is never changed, and this reference keeps it from the
    # retention sweep after the product drops it.
    sold_title = models.CharField(_("title as sold"), max_length=200, blank=True)
    sold_description = models.TextField(_("description as sold"), blank=True)
    sold_price = models.DecimalField(_("price as sold"), max_digits=12, decimal_places=2, null=True, blank=True)
    sold_currency = models.CharField(_("currency as sold"), max_length=3, blank=True)
    sold_photo = models.ForeignKey(
        "Photo",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("photo as sold"),
    )

    class Meta:
        verbose_name = _("order item")
        verbose_name_plural = _("order items")
        constraints = [models.CheckConstraint(condition=Q(quantity__gte=1), name="order_item_quantity_positive")]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.product}"

    @property
    def line_total(self) -> Decimal:
        return self.unit_price * self.quantity

    @property
    def title_as_sold(self) -> str:
        return self.sold_title or self.product.title


class OrderEvent(TimelineNote):
    """One row per status change: who (None for the system), from, to, when, why.

    Why is a note kind with parameters when the system says it (rendered in the reader's
    language), or the free text a person typed in `note`.
    """

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events", verbose_name=_("order"))
    actor = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("actor")
    )
    old_status = models.CharField(max_length=10, choices=Order.Status.choices, blank=True, verbose_name=_("old status"))
    new_status = models.CharField(max_length=10, choices=Order.Status.choices, verbose_name=_("new status"))
    note = models.CharField(max_length=300, blank=True, verbose_name=_("note"))
    created_at = models.DateTimeField(verbose_name=_("created"))

    class Meta:
        verbose_name = _("order event")
        verbose_name_plural = _("order events")
        ordering = ("created_at", "pk")

    def __str__(self) -> str:
        return f"{self.order_id}: {self.old_status} → {self.new_status}"


class Photo(models.Model):
    """An uploaded image after validation; the one pipeline for reviews, messages and evidence.

    The uploaded bytes are kept under `quarantine/` until the worker has re-encoded them
    (orientation applied, every metadata block dropped); only the re-encoded file and its
    thumbnail are ever served.
    """

    class Status(models.TextChoices):
        PROCESSING = "processing", _("Processing")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False, verbose_name=_("UUID"))
    owner = models.ForeignKey(User, on_delete=models.CASCADE, related_name="photos", verbose_name=_("owner"))
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.PROCESSING, verbose_name=_("status")
    )
    original_name = models.CharField(max_length=120, blank=True, verbose_name=_("original name"))
    source_format = models.CharField(max_length=8, verbose_name=_("source format"))
    quarantine = models.FileField(upload_to="quarantine/", max_length=200, blank=True, verbose_name=_("quarantine"))
    image = models.FileField(upload_to="photos/", max_length=200, blank=True, verbose_name=_("image"))
    thumbnail = models.FileField(upload_to="thumbs/", max_length=200, blank=True, verbose_name=_("thumbnail"))
    content_type = models.CharField(max_length=30, blank=True, verbose_name=_("content type"))
    width = models.PositiveIntegerField(default=0, verbose_name=_("width"))
    height = models.PositiveIntegerField(default=0, verbose_name=_("height"))
    size = models.PositiveIntegerField(default=0, verbose_name=_("size"))
    # SHA-256 of the re-encoded file that is served (`image`), in hex: evidence that cannot be
    # changed quietly. Null while processing, when processing failed, or when the file was lost.
    sha256 = models.CharField(max_length=64, null=True, blank=True, verbose_name=_("SHA-256"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created"))
    processed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("processed"))

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        indexes = [
            models.Index(fields=["created_at"], name="photo_processing", condition=Q(status="processing")),
        ]

    def __str__(self) -> str:
        return f"{self.uuid} ({self.status})"


class ProductPhoto(models.Model):
    """A photo of a product's listing, shown publicly; the first by position leads the page."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="photos", verbose_name=_("product"))
    photo = models.ForeignKey(Photo, on_delete=models.CASCADE, related_name="+", verbose_name=_("photo"))
    position = models.PositiveIntegerField(_("position"), default=0)
    added_at = models.DateTimeField(_("added"), default=timezone.now)

    class Meta:
        verbose_name = _("product photo")
        verbose_name_plural = _("product photos")
        ordering = ("position", "pk")
        indexes = [models.Index(fields=["product", "position"], name="product_photo_order")]
        constraints = [models.UniqueConstraint(fields=["photo"], name="product_photo_once")]

    def __str__(self) -> str:
        return f"{self.product_id}: {self.photo_id}"


class WeeklySummary(models.Model):
    """One weekly summary as it was sent: for which store and week, to whom, when, and what it said.

    `contents` holds each section's facts (counts, order numbers, moments) as the sweep
    collected them; the text is rendered from them in the reader's language when shown
    (`portal.weekly_summary.summary_text`), as the notification that carried it is.
    """

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="weekly_summaries", verbose_name=_("store"))
    # The Saturday it was due, on the store's calendar: one summary per store and week.
    week = models.DateField(_("week of"))
    due_at = models.DateTimeField(_("due"))
    sent_at = models.DateTimeField(_("sent"))
    late = models.BooleanField(_("sent late"), default=False)
    recipients = models.ManyToManyField(User, related_name="+", verbose_name=_("recipients"))
    contents = models.JSONField(_("contents"), default=dict, blank=True)

    class Meta:
        verbose_name = _("weekly summary")
        verbose_name_plural = _("weekly summaries")
        ordering = ("-sent_at", "-pk")
        constraints = [models.UniqueConstraint(fields=["store", "week"], name="weekly_summary_once_a_week")]

    def __str__(self) -> str:
        return f"{self.store_id} @ {self.week}"


class RuleSet(models.Model):
    """One version of the marketplace's rules (`portal.rules`); versions are added, never edited.

    `values` holds the numbers staff chose, by rule name; a rule it lacks reads its setting
    (version 1 is the settings and stores nothing).
    """

    version = models.PositiveIntegerField(_("version"), unique=True)
    effective_from = models.DateTimeField(_("effective from"))
    values = models.JSONField(_("values"), default=dict, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created"))

    class Meta:
        verbose_name = _("rules version")
        verbose_name_plural = _("rules versions")
        ordering = ("-version",)
        default_permissions = ("view",)
        permissions = [("publish_rules", _("Can publish a new version of the marketplace rules"))]

    def __str__(self) -> str:
        # Stored as is in the admin's log (no language): the number alone.
        return f"v{self.version}"
