"""The marketplace's webhook endpoints (store empty) for staff, and the delivery log of every endpoint."""

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.admin_mixins import ReadOnlyAdminMixin
from webhooks import services
from webhooks.forms import EndpointAdminForm, EndpointForm
from webhooks.models import DisabledReason, WebhookAttempt, WebhookDelivery, WebhookEndpoint

PERMISSION = "webhooks.manage_endpoints"


class _ManagePermissionMixin(ReadOnlyAdminMixin):
    """Staff manage webhooks with `webhooks.manage_endpoints`, never by group name."""

    change_permission = PERMISSION

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(PERMISSION)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm(PERMISSION)


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(_ManagePermissionMixin, admin.ModelAdmin):
    list_display = ("url", "store", "description", "is_active", "disabled_at", "created_at")
    list_filter = ("is_active", ("store", admin.EmptyFieldListFilter))
    search_fields = ("url", "description", "store__slug")
    readonly_fields = (
        "store",
        "is_active",
        "disabled_at",
        "disabled_reason_display",
        "previous_secret_expires_at",
        "created_by",
        "created_at",
    )
    # The secrets never appear in the admin: they are shown once, when made.
    fields = ("url", "description", "event_types", *readonly_fields)
    form = EndpointAdminForm
    actions = ("send_test_event", "rotate_secret", "enable_endpoints", "disable_endpoints")
    change_list_template = "admin/webhooks/webhookendpoint/change_list.html"

    @admin.display(description=gettext_lazy("reason for disabling"))
    def disabled_reason_display(self, endpoint: WebhookEndpoint) -> str:
        return endpoint.disabled_reason_text

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False  # endpoints are made on the "Add marketplace endpoint" page, which shows the secret once

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "add-marketplace/",
                self.admin_site.admin_view(self.add_marketplace_endpoint),
                name="webhooks_webhookendpoint_add_marketplace",
            ),
            *super().get_urls(),
        ]

    def add_marketplace_endpoint(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm(PERMISSION):
            raise Http404
        form = EndpointForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            endpoint = services.endpoint_create(
                store=None,
                actor=request.user,  # type: ignore[arg-type]
                url=form.cleaned_data["url"],
                description=form.cleaned_data["description"],
                event_types=form.cleaned_data["event_types"],
                now=timezone.now(),
            )
            self.log_addition(request, endpoint, [{"added": {}}])
            return self._secret_page(request, endpoint, endpoint.secret)
        context = {**self.admin_site.each_context(request), "form": form, "title": _("Add marketplace endpoint")}
        return TemplateResponse(request, "admin/webhooks/endpoint_add.html", context)

    def _secret_page(self, request: HttpRequest, endpoint: WebhookEndpoint, secret: str) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "endpoint": endpoint,
            "secret": secret,
            "title": _("Signing secret"),
        }
        response = render(request, "admin/webhooks/secret.html", context)
        response["Cache-Control"] = "no-store"
        return response

    def save_model(self, request: HttpRequest, obj: WebhookEndpoint, form: Any, change: bool) -> None:
        services.endpoint_update(
            endpoint_id=obj.pk, url=obj.url, description=obj.description, event_types=obj.event_types or []
        )

    @admin.action(description=gettext_lazy("Send test event"))
    def send_test_event(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        now = timezone.now()
        for endpoint in queryset:
            services.endpoint_send_test(endpoint_id=endpoint.pk, now=now)
            self.log_change(request, endpoint, _("Sent a test event."))
        messages.success(request, _("Test events queued."))

    @admin.action(description=gettext_lazy("Rotate secret"))
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> HttpResponse | None:
        if queryset.count() != 1:
            messages.error(request, _("Rotate one endpoint at a time: its new secret is shown once."))
            return None
        endpoint, secret = services.endpoint_rotate_secret(endpoint_id=queryset.get().pk, now=timezone.now())
        self.log_change(request, endpoint, _("Rotated the signing secret."))
        return self._secret_page(request, endpoint, secret)

    @admin.action(description=gettext_lazy("Enable"))
    def enable_endpoints(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        for endpoint in queryset:
            services.endpoint_set_active(endpoint_id=endpoint.pk, active=True, now=timezone.now())
            self.log_change(request, endpoint, _("Enabled."))

    @admin.action(description=gettext_lazy("Disable"))
    def disable_endpoints(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        for endpoint in queryset:
            services.endpoint_set_active(
                endpoint_id=endpoint.pk, active=False, reason=DisabledReason.STAFF, now=timezone.now()
            )
            self.log_change(request, endpoint, _("Disabled."))


class WebhookAttemptInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    fields = ("attempted_at", "response_status", "duration_ms", "error_display", "error", "response_body")
    readonly_fields = fields

    @admin.display(description=gettext_lazy("what went wrong"))
    def error_display(self, attempt: WebhookAttempt) -> str:
        return attempt.error_text


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(_ManagePermissionMixin, admin.ModelAdmin):
    """The delivery log, with *Replay*."""

    list_display = ("event", "endpoint", "status", "attempts", "next_attempt_at", "last_attempt_at", "created_at")
    list_filter = ("status",)
    search_fields = ("event__public_id", "endpoint__url", "subject")
    list_select_related = ("event", "endpoint")
    readonly_fields = (
        "event",
        "endpoint",
        "subject",
        "sequence",
        "status",
        "attempts",
        "next_attempt_at",
        "claimed_until",
        "last_attempt_at",
        "delivered_at",
        "created_at",
    )
    fields = readonly_fields
    inlines = (WebhookAttemptInline,)
    actions = ("replay",)
    show_full_result_count = False

    @admin.action(description=gettext_lazy("Replay"))
    def replay(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        now = timezone.now()
        for delivery in queryset:
            services.delivery_replay(delivery_id=delivery.pk, now=now)
        messages.success(request, _("Deliveries queued again with their event ids."))
