"""The message centre: notifications (system messages) now; conversations in their own module."""

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from portal.notify import NOTIFICATION_KINDS


class Notification(models.Model):
    """A system message in the Notifications tab; its text is rendered in the reader's language."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(_("kind"), max_length=60)
    params = models.JSONField(default=dict, blank=True)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(_("sent"))
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    texted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ("-created_at", "-pk")
        indexes = [
            models.Index(fields=["recipient", "-created_at", "-id"], name="notification_inbox"),
            models.Index(fields=["recipient"], name="notification_unread", condition=Q(read_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient_id}"

    def _render(self, attribute: str, language: str | None = None) -> str:
        kind = NOTIFICATION_KINDS.get(self.kind)
        if kind is None:
            return self.kind
        template: Any = getattr(kind, attribute)
        if language:
            with translation.override(language):
                return str(template) % self.params
        return str(template) % self.params

    def title(self, language: str | None = None) -> str:
        return self._render("title", language)

    def body(self, language: str | None = None) -> str:
        return self._render("body", language)
