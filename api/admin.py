"""Integration keys are issued here by staff: the key is shown once on the page after issuing."""

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from api import services
from api.forms import IntegrationKeyForm
from api.models import ApiKey, ApiRequestLog
from api.views import expiry
from portal.admin_mixins import ReadOnlyAdminMixin
from portal.http import request_user


@admin.register(ApiKey)
class ApiKeyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("name", "prefix", "kind", "store", "last_used_at", "expires_at", "revoked_at", "created_at")
    list_filter = ("kind", "revoked_at")
    search_fields = ("name", "prefix", "store__name")
    list_select_related = ("store",)
    readonly_fields = (
        "kind",
        "store",
        "name",
        "prefix",
        "scopes",
        "expires_at",
        "last_used_at",
        "revoked_at",
        "created_by",
        "created_at",
    )
    exclude = ("secret_hash",)
    actions = ("revoke_selected",)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Adding is issuing (the page below); a key never changes afterwards except by being revoked.
        return admin.ModelAdmin.has_add_permission(self, request)

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: Any = None) -> HttpResponse:
        """Issue an integration key through the service and show it once (never stored, never again)."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = IntegrationKeyForm(request.POST or None)
        issued = None
        if request.method == "POST" and form.is_valid():
            now = timezone.now()
            try:
                issued = services.api_key_issue(
                    kind=ApiKey.Kind.INTEGRATION,
                    name=form.cleaned_data["name"],
                    scopes=form.cleaned_data["scopes"],
                    actor=request_user(request),
                    now=now,
                    expires_at=expiry(form.cleaned_data["expires_in_days"], now),
                )
            except ValidationError as error:
                form.add_error(None, error)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Issue an integration key"),
            "form": form,
            "issued": issued,
        }
        response = TemplateResponse(request, "admin/api/apikey/issue.html", context)
        response["Cache-Control"] = "no-store"
        return response

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return services.user_may_revoke_any_key(request_user(request))

    @admin.action(description=_("Revoke the selected keys"), permissions=["revoke"])
    def revoke_selected(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        actor = request_user(request)
        now = timezone.now()
        count = 0
        for key in queryset:
            try:
                services.api_key_revoke(key_id=key.pk, actor=actor, now=now)
            except PermissionDenied:
                continue
            count += 1
        message = ngettext("%(count)d key revoked.", "%(count)d keys revoked.", count) % {"count": count}
        self.message_user(request, message, messages.SUCCESS)


@admin.register(ApiRequestLog)
class ApiRequestLogAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "api_key", "method", "path", "status_code", "idempotency_key")
    list_filter = ("method", "status_code")
    search_fields = ("api_key__prefix", "path", "idempotency_key")
    list_select_related = ("api_key",)
    show_full_result_count = False
