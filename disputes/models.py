"""Disputes between a buyer and a store, complaints to the platform, and the penalty ledger.

Every clock is a due-date column with a partial index on the rows still waiting for it, so
that the worker's sweep (disputes.sweeps) reads only the few cases that can be due.
"""

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.dates import format_moment
from portal.fragments import content_changed
from portal.models import Order, Photo, Store
from portal.timeline import TimelineNote


class Dispute(models.Model):
    class Status(models.TextChoices):
        AWAITING_SELLER = "awaiting_seller", _("Awaiting the seller")
        NEGOTIATING = "negotiating", _("Negotiating")
        ESCALATED = "escalated", _("Escalated to the platform")
        AWAITING_RETURN = "awaiting_return", _("Awaiting the return")
        RETURN_SHIPPED = "return_shipped", _("Return shipped")
        AWAITING_REPLACEMENT = "awaiting_replacement", _("Awaiting the replacement")
        RESOLVED = "resolved", _("Resolved")
        CANCELLED = "cancelled", _("Cancelled")

    class Reason(models.TextChoices):
        NOT_RECEIVED = "not_received", _("Not received")
        NOT_AS_DESCRIBED = "not_as_described", _("Not as described")
        DAMAGED = "damaged", _("Damaged in transit")
        WRONG_QUANTITY = "wrong_quantity", _("Wrong quantity")
        REFUSED_TO_SHIP = "refused_to_ship", _("Seller refused to ship / out of stock")

    class Detail(models.TextChoices):
        MATERIAL = "material", _("Material")
        COLOUR = "colour", _("Colour")
        STYLE = "style", _("Style")
        SIZE = "size", _("Size")
        QUALITY = "quality", _("Quality")

    class Outcome(models.TextChoices):
        FULL_REFUND = "full_refund", _("Full refund")
        PARTIAL_REFUND = "partial_refund", _("Partial refund")
        RETURN_REFUND = "return_refund", _("Return and refund")
        # The seller's offer only: the item is sent again under a new tracking number.
        REPLACEMENT = "replacement", _("Replacement (reshipped)")

    # What the buyer may ask for when opening a case; a replacement is the seller's to offer.
    BUYER_OUTCOMES = ("full_refund", "partial_refund", "return_refund")

    class Resolution(models.TextChoices):
        FULL_REFUND = "full_refund", _("Full refund")
        PARTIAL_REFUND = "partial_refund", _("Partial refund")
        REJECTED = "rejected", _("Rejected: no refund")
        REPLACED = "replaced", _("Replacement received: no refund")

    class Responsibility(models.TextChoices):
        SELLER = "seller", _("Seller")
        BUYER = "buyer", _("Buyer")
        CARRIER = "carrier", _("Carrier")
        NONE = "none", _("Nobody")

    class ClosedBy(models.TextChoices):
        AGREEMENT = "agreement", _("Agreement between buyer and seller")
        SELLER_TIMEOUT = "seller_timeout", _("The seller did not respond in time")
        RETURN_NOT_SHIPPED = "return_not_shipped", _("The buyer did not ship the return in time")
        RETURN_NOT_CONFIRMED = "return_not_confirmed", _("The seller did not confirm the return in time")
        RETURN_RECEIVED = "return_received", _("The seller confirmed the return")
        REPLACEMENT_RECEIVED = "replacement_received", _("The buyer confirmed the replacement arrived")
        REPLACEMENT_NOT_CONFIRMED = (
            "replacement_not_confirmed",
            _("The buyer did not report the replacement missing in time: taken as received"),
        )
        STAFF = "staff", _("Platform decision")
        BUYER_CANCELLED = "buyer_cancelled", _("Cancelled by the buyer")

    OPEN_STATUSES = (
        Status.AWAITING_SELLER,
        Status.NEGOTIATING,
        Status.ESCALATED,
        Status.AWAITING_RETURN,
        Status.RETURN_SHIPPED,
        Status.AWAITING_REPLACEMENT,
    )

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="disputes", verbose_name=_("order"))
    # Copied from the order so that the admin queue and the seller's list filter one table.
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="disputes", verbose_name=_("store"))
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="disputes", verbose_name=_("buyer")
    )
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    detail = models.CharField(_("what differs"), max_length=10, choices=Detail.choices, blank=True)
    requested_outcome = models.CharField(_("requested outcome"), max_length=20, choices=Outcome.choices)
    requested_amount = models.DecimalField(_("requested amount"), max_digits=12, decimal_places=2)
    description = models.TextField(_("description"), max_length=3000)
    photos = models.ManyToManyField(Photo, blank=True, related_name="+", verbose_name=_("evidence photos"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.AWAITING_SELLER)
    opened_at = models.DateTimeField(_("opened"))
    updated_at = models.DateTimeField(_("updated"))
    seller_responded_at = models.DateTimeField(_("seller first responded"), null=True, blank=True)

    # Clocks, copied from the settings when each starts (rules in force at that moment).
    seller_response_due_at = models.DateTimeField(_("seller response due"), null=True, blank=True)
    escalation_opens_at = models.DateTimeField(_("escalation possible from"))
    # Day 15 itself still counts ("from day 3 to day 15"); the worker escalates on day 16.
    escalation_closes_at = models.DateTimeField(_("escalation possible until"))
    auto_escalate_at = models.DateTimeField(_("automatic escalation"))
    return_ship_due_at = models.DateTimeField(_("return shipment due"), null=True, blank=True)
    return_confirm_due_at = models.DateTimeField(_("return receipt due"), null=True, blank=True)
    # An accepted replacement: the new parcel, and when it is taken as received if the buyer is silent.
    replacement_carrier = models.CharField(_("replacement carrier"), max_length=64, blank=True)
    replacement_tracking_number = models.CharField(_("replacement tracking number"), max_length=64, blank=True)
    replacement_due_at = models.DateTimeField(_("replacement taken as received"), null=True, blank=True)
    # The amount agreed for a return and refund, paid once the seller has the item back.
    agreed_amount = models.DecimalField(_("agreed refund"), max_digits=12, decimal_places=2, null=True, blank=True)
    return_tracking_number = models.CharField(_("return tracking number"), max_length=64, blank=True)
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)
    decision_due_at = models.DateTimeField(_("decision due"), null=True, blank=True)
    decision_reminded_at = models.DateTimeField(null=True, blank=True, verbose_name=_("decision reminded"))
    # The version of the rules (`portal.rules`) the latest clock above was copied from.
    rules_version = models.PositiveIntegerField(_("rules version"), null=True, blank=True)

    # The outcome, once closed.
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.CharField(_("closed by"), max_length=32, choices=ClosedBy.choices, blank=True)
    resolution = models.CharField(_("resolution"), max_length=20, choices=Resolution.choices, blank=True)
    refund_amount = models.DecimalField(
        _("refund"), max_digits=12, decimal_places=2, null=True, blank=True, help_text=_("Refunded to the buyer.")
    )
    responsibility = models.CharField(_("responsibility"), max_length=10, choices=Responsibility.choices, blank=True)
    # Staff found the order shipped without a valid tracking number: decided as refused to ship.
    shipped_without_tracking = models.BooleanField(_("shipped without valid tracking"), default=False)
    resolution_note = models.TextField(_("note to both parties"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )

    class Meta:
        verbose_name = _("dispute")
        verbose_name_plural = _("disputes")
        # Staff rights are checked by permission, never by group name (groups can be renamed).
        permissions = [("resolve_dispute", "Can decide escalated disputes")]
        ordering = ("-opened_at", "-pk")
        constraints = [
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(
                    status__in=[
                        "awaiting_seller",
                        "negotiating",
                        "escalated",
                        "awaiting_return",
                        "return_shipped",
                        "awaiting_replacement",
                    ]
                ),
                name="dispute_one_open_per_order",
            ),
            models.CheckConstraint(condition=Q(requested_amount__gt=0), name="dispute_requested_amount_positive"),
            models.CheckConstraint(
                condition=Q(refund_amount__isnull=True) | Q(refund_amount__gte=0), name="dispute_refund_not_negative"
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["resolved", "cancelled"]) | Q(closed_at__isnull=False),
                name="dispute_closed_has_time",
            ),
        ]
        indexes = [
            # The admin queue and the seller's list: newest first, by status and by store.
            models.Index(fields=["-opened_at", "-id"], name="dispute_queue"),
            models.Index(fields=["status", "-opened_at", "-id"], name="dispute_status_queue"),
            models.Index(fields=["reason", "-opened_at", "-id"], name="dispute_reason_queue"),
            # Both filters at once: the capped count stays an index-only scan.
            models.Index(fields=["status", "reason", "-opened_at", "-id"], name="dispute_status_reason_queue"),
            models.Index(fields=["store", "status", "-opened_at"], name="dispute_store_status"),
            models.Index(fields=["buyer", "-opened_at"], name="dispute_buyer_recent"),
            # One partial index per clock: only the cases still waiting for it.
            models.Index(
                fields=["seller_response_due_at"], name="dispute_seller_due", condition=Q(status="awaiting_seller")
            ),
            models.Index(
                fields=["auto_escalate_at"],
                name="dispute_escalate_due",
                condition=Q(status__in=["awaiting_seller", "negotiating"]),
            ),
            models.Index(
                fields=["return_ship_due_at"], name="dispute_return_ship_due", condition=Q(status="awaiting_return")
            ),
            models.Index(
                fields=["return_confirm_due_at"],
                name="dispute_return_confirm_due",
                condition=Q(status="return_shipped"),
            ),
            models.Index(
                fields=["replacement_due_at"],
                name="dispute_replacement_due",
                condition=Q(status="awaiting_replacement"),
            ),
            models.Index(fields=["decision_due_at"], name="dispute_decision_due", condition=Q(status="escalated")),
            # The admin queue's default order (overdue escalations first, then by due date,
            # then newest first): the same expressions as `disputes.admin.QUEUE_ORDERING`. A plain
            # ascending key: PostgreSQL sorts NULLs last there already, and SQLite (the zero-setup
            # default) cannot create an index with NULLS LAST.
            models.Index(
                models.Case(models.When(status="escalated", then=models.F("decision_due_at"))).asc(),
                models.F("opened_at").desc(),
                models.F("id").desc(),
                name="dispute_admin_queue",
            ),
            models.Index(
                fields=["-opened_at", "-id"], name="dispute_ever_escalated", condition=Q(escalated_at__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return _("Dispute #%(id)s on order %(number)s") % {"id": self.pk, "number": self.order.number}

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    def decision_overdue(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.status == self.Status.ESCALATED and self.decision_due_at is not None and self.decision_due_at <= now


class DisputeOffer(models.Model):
    """One proposal of one side; every offer is kept, the latest of each side is the current one."""

    class Side(models.TextChoices):
        BUYER = "buyer", _("Buyer")
        SELLER = "seller", _("Seller")

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="offers", verbose_name=_("dispute"))
    side = models.CharField(_("side"), max_length=6, choices=Side.choices)
    kind = models.CharField(_("kind"), max_length=20, choices=Dispute.Outcome.choices)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    note = models.TextField(_("note"), max_length=2000, blank=True)
    # A replacement's new parcel (no amount: nothing is refunded).
    carrier = models.CharField(_("carrier"), max_length=64, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=64, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("author")
    )
    created_at = models.DateTimeField(_("made"))
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)

    class Meta:
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        ordering = ("created_at", "pk")
        indexes = [models.Index(fields=["dispute", "side", "-created_at"], name="dispute_offer_latest")]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0) | Q(kind="replacement", amount=0), name="dispute_offer_amount_positive"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_side_display()}: {self.get_kind_display()} {self.amount}"


class DisputeMessage(models.Model):
    """The dispute's own thread; its text and photos are evidence for the platform."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="messages", verbose_name=_("dispute"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("author")
    )
    side = models.CharField(_("side"), max_length=6, choices=DisputeOffer.Side.choices)
    text = models.TextField(_("message"), max_length=2000, blank=True)
    photos = models.ManyToManyField(Photo, blank=True, related_name="+")
    created_at = models.DateTimeField(_("sent"))
    # Removed by a moderator (a trust case): the parties see a placeholder, staff the text.
    removed_at = models.DateTimeField(_("removed"), null=True, blank=True)

    class Meta:
        verbose_name = _("dispute message")
        verbose_name_plural = _("dispute messages")
        ordering = ("created_at", "pk")
        indexes = [models.Index(fields=["dispute", "created_at"], name="dispute_message_thread")]

    def __str__(self) -> str:
        return f"{self.dispute_id}: {self.text[:40]}"

    @property
    def shown_text(self) -> str:
        """The text as the parties see it: a neutral placeholder once moderation removed it."""
        return str(_("Removed by moderation")) if self.removed_at is not None else self.text


class DisputeEvent(TimelineNote):
    """The audit timeline: one row per change (actor None for the system).

    The system's notes are a note kind with parameters, rendered in the reader's language
    (`note_text`); `note` keeps what a person typed.
    """

    class Kind(models.TextChoices):
        OPENED = "opened", _("Dispute opened")
        OFFER = "offer", _("Offer made")
        ACCEPTED = "accepted", _("Offer accepted")
        ESCALATED = "escalated", _("Escalated")
        RETURN_SHIPPED = "return_shipped", _("Return shipped")
        RETURN_RECEIVED = "return_received", _("Return received")
        REPLACEMENT_RECEIVED = "replacement_received", _("Replacement received")
        RESOLVED = "resolved", _("Resolved")
        CANCELLED = "cancelled", _("Cancelled")
        CLOCK = "clock", _("Deadline passed")

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="events", verbose_name=_("dispute"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("actor")
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, verbose_name=_("kind"))
    old_status = models.CharField(
        max_length=20, choices=Dispute.Status.choices, blank=True, verbose_name=_("old status")
    )
    new_status = models.CharField(max_length=20, choices=Dispute.Status.choices, verbose_name=_("new status"))
    note = models.TextField(blank=True, verbose_name=_("note"))
    # Which clock fired, for the sweeps: at most one event per clock and dispute (the final guard).
    clock = models.CharField(max_length=24, blank=True, verbose_name=_("clock"))
    created_at = models.DateTimeField(verbose_name=_("created"))

    class Meta:
        verbose_name = _("dispute event")
        verbose_name_plural = _("dispute events")
        ordering = ("created_at", "pk")
        indexes = [models.Index(fields=["dispute", "created_at"], name="dispute_event_timeline")]
        constraints = [
            models.UniqueConstraint(
                fields=["dispute", "clock"], condition=~Q(clock=""), name="dispute_clock_fires_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.dispute_id}: {self.old_status} → {self.new_status}"


class PenaltyEntry(models.Model):
    """Append-only ledger: a row is never changed; an upheld appeal appends a reversing row."""

    class Reason(models.TextChoices):
        REFUSED_TO_SHIP = "refused_to_ship", _("Refused to ship or out of stock")
        REFUSED_NOT_COOPERATING = "refused_not_cooperating", _("Refused to ship and did not cooperate in the dispute")
        NOT_AS_DESCRIBED = "not_as_described", _("Item not as described")
        APPEAL_UPHELD = "appeal_upheld", _("Appeal upheld: points withdrawn")
        ABUSE = "abuse", _("Abuse found by moderators (trust case)")

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="penalties", verbose_name=_("store"))
    dispute = models.ForeignKey(
        Dispute, on_delete=models.PROTECT, related_name="penalties", verbose_name=_("dispute"), null=True, blank=True
    )
    reason = models.CharField(_("reason"), max_length=30, choices=Reason.choices)
    points = models.IntegerField(_("points"))
    created_at = models.DateTimeField(_("added"))
    expires_at = models.DateTimeField(_("expires"))
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversal", verbose_name=_("reverses")
    )

    class Meta:
        verbose_name = _("penalty entry")
        verbose_name_plural = _("penalty ledger")
        ordering = ("-created_at", "-pk")
        indexes = [models.Index(fields=["store", "expires_at"], name="penalty_store_live")]
        constraints = [
            # One penalty per dispute: two staff deciding at once can never both add points.
            models.UniqueConstraint(
                fields=["dispute"], condition=Q(reverses__isnull=True), name="penalty_one_per_dispute"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.store_id}: {self.points:+d} ({self.reason})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        # The store's public pages keep its live points (the restriction banner) in the cache:
        # every ledger row renews them, whoever writes it.
        content_changed(topic="penalties", store_id=self.store_id)


class StoreRestriction(models.Model):
    """One period in which a store had the restricting number of live penalty points.

    The banner reads the live points directly; these rows exist so that the start and the
    lift (when points expire or an appeal withdraws them) are each told to the seller once.
    """

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="restrictions", verbose_name=_("store"))
    started_at = models.DateTimeField(_("restricted from"))
    points_at_start = models.IntegerField(_("live points then"))
    lifted_at = models.DateTimeField(_("lifted"), null=True, blank=True)
    # The lift's clock: when the live points, as the ledger stands, drop under the limit. Kept
    # by whoever changes the ledger (a new penalty, a withdrawal), so the sweep reads due rows only.
    lapses_at = models.DateTimeField(_("lapses"), null=True, blank=True)

    class Meta:
        verbose_name = _("store restriction")
        verbose_name_plural = _("store restrictions")
        ordering = ("-started_at", "-pk")
        indexes = [
            models.Index(fields=["lapses_at"], name="store_restriction_lapse_due", condition=Q(lifted_at__isnull=True))
        ]
        constraints = [
            # At most one running restriction per store: two decisions at once cannot open two.
            models.UniqueConstraint(
                fields=["store"], condition=Q(lifted_at__isnull=True), name="store_restriction_one_running"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.store_id}: {format_moment(self.started_at)} → {format_moment(self.lifted_at, empty='…')}"


class Complaint(models.Model):
    class Subject(models.TextChoices):
        SELLER = "seller", _("A seller")
        REVIEW = "review", _("A review")
        MESSAGE = "message", _("A message")
        SITE = "site", _("The site")
        PENALTY_APPEAL = "penalty_appeal", _("Appeal against penalty points")

    class Category(models.TextChoices):
        REVIEW_MANIPULATION = "review_manipulation", _("Review manipulation")
        COERCION = "coercion", _("Coercion")
        HARASSMENT = "harassment", _("Harassment")
        FRAUD = "fraud", _("Fraud")
        OFFENSIVE = "offensive", _("Offensive or personal data")
        BUG = "bug", _("Something does not work")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        NEW = "new", _("New")
        IN_PROGRESS = "in_progress", _("In progress")
        ANSWERED = "answered", _("Answered")
        CLOSED = "closed", _("Closed")

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="complaints", verbose_name=_("author")
    )
    subject = models.CharField(_("about"), max_length=20, choices=Subject.choices)
    category = models.CharField(_("category"), max_length=24, choices=Category.choices, default=Category.OTHER)
    text = models.TextField(_("complaint"), max_length=3000)
    store = models.ForeignKey(
        Store, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("store")
    )
    order = models.ForeignKey(
        Order, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("order")
    )
    reference = models.CharField(
        _("reference"), max_length=300, blank=True, help_text=_("A link to the review or message, or its number.")
    )
    penalty = models.OneToOneField(
        PenaltyEntry,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appeal",
        verbose_name=_("penalty appealed"),
    )
    photos = models.ManyToManyField(Photo, blank=True, related_name="+", verbose_name=_("attachments"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.NEW)
    created_at = models.DateTimeField(_("sent"))
    updated_at = models.DateTimeField(_("updated"))
    first_response_due_at = models.DateTimeField(_("first answer due"))
    # The version of the rules (`portal.rules`) the answer clock was copied from.
    rules_version = models.PositiveIntegerField(_("rules version"), null=True, blank=True)
    first_responded_at = models.DateTimeField(_("first answered"), null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True, verbose_name=_("reminded"))
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("answered by"),
    )
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    rating = models.PositiveSmallIntegerField(_("rating of the answer"), null=True, blank=True)
    rating_comment = models.CharField(_("comment on the answer"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        permissions = [("answer_complaint", "Can take, answer and close complaints")]
        ordering = ("-created_at", "-pk")
        indexes = [
            models.Index(fields=["author", "-created_at"], name="complaint_author_recent"),
            models.Index(fields=["status", "-created_at"], name="complaint_status_queue"),
            models.Index(
                fields=["first_response_due_at"],
                name="complaint_response_due",
                condition=Q(first_responded_at__isnull=True, status__in=["new", "in_progress"]),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5), name="complaint_rating_1_to_5"
            ),
        ]

    def __str__(self) -> str:
        return _("Complaint #%(id)s") % {"id": self.pk}

    def response_overdue(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.first_responded_at is None and self.first_response_due_at <= now


class ComplaintEvent(models.Model):
    complaint = models.ForeignKey(
        Complaint, on_delete=models.CASCADE, related_name="events", verbose_name=_("complaint")
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("actor")
    )
    old_status = models.CharField(
        max_length=12, choices=Complaint.Status.choices, blank=True, verbose_name=_("old status")
    )
    new_status = models.CharField(max_length=12, choices=Complaint.Status.choices, verbose_name=_("new status"))
    note = models.TextField(blank=True, verbose_name=_("note"))
    created_at = models.DateTimeField(verbose_name=_("created"))

    class Meta:
        verbose_name = _("complaint event")
        verbose_name_plural = _("complaint events")
        ordering = ("created_at", "pk")

    def __str__(self) -> str:
        return f"{self.complaint_id}: {self.old_status} → {self.new_status}"


class StorePenaltyStanding(Store):
    """The stores seen from the penalty ledger: live points and restriction, for staff."""

    class Meta:
        proxy = True
        verbose_name = _("store penalty standing")
        verbose_name_plural = _("store penalty standings")


class EvidenceAccess(models.Model):
    """The custody log: a staff member opened a case's page or fetched one of its evidence photos.

    Append-only: written by `disputes.services.custody` and only read afterwards. The parties
    themselves (the buyer, the store's people) are not logged: it is their own case.
    """

    class Kind(models.TextChoices):
        CASE_PAGE = "case_page", _("Opened the case page")
        PHOTO = "photo", _("Fetched an evidence photo")
        THUMBNAIL = "thumbnail", _("Fetched an evidence thumbnail")

    dispute = models.ForeignKey(
        Dispute, on_delete=models.PROTECT, related_name="evidence_accesses", verbose_name=_("dispute")
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("staff member")
    )
    # Kept as text too: the log names who looked even after their account is gone.
    staff_email = models.EmailField(verbose_name=_("staff e-mail"))
    kind = models.CharField(max_length=10, choices=Kind.choices, verbose_name=_("what"))
    photo = models.ForeignKey(
        Photo, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("photo")
    )
    photo_sha256 = models.CharField(max_length=64, blank=True, verbose_name=_("photo SHA-256"))
    at = models.DateTimeField(verbose_name=_("when"))

    class Meta:
        verbose_name = _("evidence access")
        verbose_name_plural = _("evidence custody log")
        ordering = ("-at", "-pk")
        indexes = [models.Index(fields=["dispute", "-at"], name="evidence_access_case")]

    def __str__(self) -> str:
        return f"{self.staff_email} {self.kind} #{self.dispute_id}"
