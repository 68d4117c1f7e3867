"""Outgoing webhooks: endpoints, the outbox of events, deliveries and their attempts.

An event row and its delivery rows are written by the publishing service's transaction (the
outbox). The delivery sweep (webhooks.delivery) claims due pending deliveries, sends them
outside any transaction and records each attempt; the due time of the next attempt is a
column with a partial index on the pending rows, like every other clock of the portal.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.models import Store


class DisabledReason(models.TextChoices):
    """Why an endpoint is disabled: stored as a code, shown in the reader's language."""

    RETRIES_EXHAUSTED = "retries_exhausted", _("No 2xx answer after the last retry")
    OWNER = "owner", _("Disabled by the store owner")
    STAFF = "staff", _("Disabled by staff")


# What went wrong in an attempt, stored as a code and its parameters (`WebhookAttempt.error_code`,
# `error_params`) and rendered in the reader's language; `error` keeps the technical detail.
ATTEMPT_ERRORS = {
    "scheme": _("Only http and https URLs can receive webhooks."),
    "unresolvable": _("The name %(host)s cannot be resolved."),
    "private_address": _("%(host)s resolves to a private or reserved address (%(address)s)."),
    "connection": _("The connection failed."),
    "timeout": _("No complete answer within %(seconds)s seconds."),
    "redirect": _("Redirect not followed: %(location)s"),
    "http_status": _("The answer was HTTP %(status)s, not 2xx."),
    "internal": _("The attempt failed on Opinia's side; it is retried."),
}


class WebhookEndpoint(models.Model):
    """A URL that receives signed events: a store's (registered by its owner) or the marketplace's (store empty)."""

    store = models.ForeignKey(
        Store,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="webhook_endpoints",
        verbose_name=_("store"),
        help_text=_("Empty for the marketplace's own endpoints, which receive the events of every store."),
    )
    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    event_types = models.JSONField(_("event types"), default=list)
    # The signing secret in the Standard Webhooks format ("whsec_" + base64); shown once.
    secret = models.CharField(_("secret"), max_length=100)
    # After a rotation the old secret signs too, until it expires (the receiver's overlap).
    previous_secret = models.CharField(_("previous secret"), max_length=100, blank=True)
    previous_secret_expires_at = models.DateTimeField(_("previous secret expires"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    disabled_at = models.DateTimeField(_("disabled"), null=True, blank=True)
    disabled_reason = models.CharField(_("reason for disabling"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ("-created_at", "-id")
        permissions = [("manage_endpoints", _("Can manage the marketplace's webhook endpoints"))]
        indexes = [models.Index(fields=["store", "is_active"], name="webhook_endpoint_store")]

    def __str__(self) -> str:
        return self.url

    @property
    def disabled_reason_text(self) -> str:
        """The reason in the reader's language (a code; an older free text is shown as it is)."""
        if self.disabled_reason in DisabledReason.values:
            return str(DisabledReason(self.disabled_reason).label)
        return self.disabled_reason


class WebhookSubject(models.Model):
    """The last sequence number given to an event about one object ("order:12")."""

    subject = models.CharField(_("subject"), max_length=80, unique=True)
    last_sequence = models.PositiveBigIntegerField(_("last sequence"), default=0)

    class Meta:
        verbose_name = _("webhook subject")
        verbose_name_plural = _("webhook subjects")

    def __str__(self) -> str:
        return self.subject


class WebhookEvent(models.Model):
    """Something that happened, written in the transaction that made it happen."""

    # The Standard Webhooks message id ("msg_…"): the same on every attempt and replay.
    public_id = models.CharField(_("event id"), max_length=40, unique=True)
    type = models.CharField(_("type"), max_length=50)
    store = models.ForeignKey(
        Store, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("store")
    )
    subject = models.CharField(_("subject"), max_length=80)
    sequence = models.PositiveBigIntegerField(_("sequence"))
    payload = models.JSONField(_("payload"), default=dict)
    created_at = models.DateTimeField(_("created"))

    class Meta:
        verbose_name = _("webhook event")
        verbose_name_plural = _("webhook events")
        ordering = ("-created_at", "-id")
        constraints = [models.UniqueConstraint(fields=["subject", "sequence"], name="webhook_event_subject_sequence")]

    def __str__(self) -> str:
        return f"{self.type} {self.public_id}"


class WebhookDelivery(models.Model):
    """One event to one endpoint, attempted until a 2xx or the last retry."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    event = models.ForeignKey(
        WebhookEvent, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("event")
    )
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("endpoint")
    )
    # Copied from the event so that the ordering check ("no earlier delivery of this object
    # still pending to this endpoint") is one index lookup.
    subject = models.CharField(_("subject"), max_length=80)
    sequence = models.PositiveBigIntegerField(_("sequence"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"))
    # A worker that claimed the delivery holds it until then; if it dies, the claim lapses
    # and the next sweep sends the delivery again (at least once, never lost).
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    claim_token = models.UUIDField(_("claim"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"))

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ("-created_at", "-id")
        constraints = [models.UniqueConstraint(fields=["event", "endpoint"], name="webhook_delivery_once")]
        indexes = [
            # The sweep's clock: only the deliveries still pending.
            models.Index(fields=["next_attempt_at"], name="webhook_delivery_due", condition=Q(status="pending")),
            # Per-object order: is an earlier delivery of this subject to this endpoint pending?
            models.Index(
                fields=["endpoint", "subject", "sequence"],
                name="webhook_delivery_order",
                condition=Q(status="pending"),
            ),
            models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_log"),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint}"


class WebhookAttempt(models.Model):
    """One POST of a delivery: when, what came back, how long it took."""

    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log", verbose_name=_("delivery")
    )
    attempted_at = models.DateTimeField(_("attempted"))
    response_status = models.PositiveSmallIntegerField(_("response code"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    # The first bytes of the response body (capped), for the owner to see what went wrong.
    response_body = models.TextField(_("response body"), blank=True)
    # The technical detail (an exception's text), for diagnosis; what the owner reads comes from the code.
    error = models.CharField(_("error"), max_length=300, blank=True)
    error_code = models.CharField(_("error code"), max_length=30, blank=True)
    error_params = models.JSONField(_("error parameters"), default=dict, blank=True)
    succeeded = models.BooleanField(_("succeeded"), default=False)

    class Meta:
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")
        ordering = ("-attempted_at", "-id")

    def __str__(self) -> str:
        return f"{self.delivery_id} @ {self.attempted_at:%Y-%m-%d %H:%M:%S}"

    @property
    def error_text(self) -> str:
        """What went wrong, in the reader's language."""
        message = ATTEMPT_ERRORS.get(self.error_code)
        if message is None:
            return self.error
        try:
            return str(message) % self.error_params
        except (KeyError, TypeError, ValueError):
            return str(message)
