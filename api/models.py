"""API keys, the idempotency ledger of POSTs and the audit log of every write made with a key."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.models import Store


class ApiKey(models.Model):
    """A key: `prefix` identifies it in lists and logs; only the SHA-256 of the whole key is kept.

    The key is 256 bits from `secrets`, so a fast hash is enough (nothing to brute-force, unlike
    a password) and the lookup by prefix plus one constant-time comparison stays cheap per request.
    """

    class Kind(models.TextChoices):
        INTEGRATION = "integration", _("Integration (marketplace)")
        STORE = "store", _("Store")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    store = models.ForeignKey(
        Store, on_delete=models.CASCADE, null=True, blank=True, related_name="api_keys", verbose_name=_("store")
    )
    name = models.CharField(_("name"), max_length=80)
    prefix = models.CharField(_("prefix"), max_length=16, unique=True, editable=False)
    secret_hash = models.CharField(_("secret hash"), max_length=64, editable=False)
    scopes = models.JSONField(_("scopes"), default=list)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"))

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ("-created_at", "-pk")
        # Given to no group by default: superusers have it, others only when granted by name.
        permissions = [("revoke_apikey", _("Can revoke API keys"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="integration", store__isnull=True) | Q(kind="store", store__isnull=False),
                name="api_key_store_iff_store_kind",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class IdempotencyRecord(models.Model):
    """The first response to a POST carrying an `Idempotency-Key`, replayed for the same key and body.

    The unique (key, idempotency key) pair is what makes two concurrent duplicates one effect:
    the second insert waits for the first transaction and then fails (see `api/writes.py`).
    """

    api_key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="+", verbose_name=_("API key"))
    key = models.CharField(_("idempotency key"), max_length=255)
    request_hash = models.CharField(_("request hash"), max_length=64)
    status_code = models.PositiveSmallIntegerField(_("status code"), null=True, blank=True)
    response_body = models.TextField(_("response body"), blank=True)
    created_at = models.DateTimeField(_("created"))

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [models.UniqueConstraint(fields=["api_key", "key"], name="idempotency_key_unique_per_api_key")]

    def __str__(self) -> str:
        return self.key


class ApiRequestLog(models.Model):
    """One row per write made through the API: which key, what, and how it ended."""

    api_key = models.ForeignKey(
        ApiKey, on_delete=models.CASCADE, related_name="request_logs", verbose_name=_("API key")
    )
    method = models.CharField(_("method"), max_length=8)
    path = models.CharField(_("path"), max_length=300)
    status_code = models.PositiveSmallIntegerField(_("status code"))
    idempotency_key = models.CharField(_("idempotency key"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created"))

    class Meta:
        verbose_name = _("API request")
        verbose_name_plural = _("API requests")
        ordering = ("-created_at", "-pk")
        indexes = [models.Index(fields=["api_key", "-created_at"], name="api_request_log_key_recent")]

    def __str__(self) -> str:
        return f"{self.method} {self.path} → {self.status_code}"
