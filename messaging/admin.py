"""Staff views of the message centre: searchable conversations and messages, the reported-messages queue."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from messaging import services
from messaging.forms import ResolveReportForm
from messaging.models import Block, Conversation, ConversationEvent, Message, MessageReport, Notification
from portal.admin_mixins import ReadOnlyAdminMixin
from portal.form_errors import add_service_error


class ReadOnlyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Correspondence is evidence: staff read it here and act through the services only."""

    show_full_result_count = False


class ConversationEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    """A support chat's opening, closing and rating, as recorded by the services (read only)."""

    model = ConversationEvent
    extra = 0
    fields = ("kind", "actor", "old_status", "new_status", "note", "created_at")
    readonly_fields = fields

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # Part of the conversation's record: whoever may read the conversation reads its events.
        return request.user.has_perm("messaging.view_conversation")


@admin.register(Conversation)
class ConversationAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "kind",
        "topic",
        "buyer",
        "store",
        "status",
        "last_message_at",
        "buyer_unread",
        "store_unread",
        "rating",
    )
    list_filter = ("kind", "topic", "status", "rating")
    search_fields = ("=id", "buyer__email", "buyer__display_name", "store__name", "store__slug", "order__number")
    list_select_related = ("buyer", "store")
    date_hierarchy = "last_message_at"
    raw_id_fields = ("buyer", "store", "order", "product", "closed_by")
    readonly_fields = ("thread_link",)
    inlines = (ConversationEventInline,)

    @admin.display(description=gettext_lazy("thread"))
    def thread_link(self, obj: Conversation) -> str:
        return format_html('<a href="{}">{}</a>', reverse("messaging:thread", args=[obj.pk]), _("Read the thread"))


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = ("id", "conversation_id", "side", "sender", "excerpt", "is_auto_reply", "created_at", "removed_at")
    list_filter = ("side", "is_auto_reply")
    search_fields = ("=id", "text", "sender__email", "conversation__store__name", "conversation__buyer__email")
    list_select_related = ("sender",)
    raw_id_fields = ("conversation", "sender", "product", "order", "photos")

    @admin.display(description=gettext_lazy("text"))
    def excerpt(self, obj: Message) -> str:
        return Truncator(obj.text).chars(80)


@admin.register(MessageReport)
class MessageReportAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("id", "created_at", "reason", "reporter", "message_excerpt", "status", "resolve_link")
    list_filter = ("status", "reason")
    search_fields = ("=id", "message__text", "reporter__email", "note")
    list_select_related = ("reporter", "message")
    ordering = ("created_at", "id")
    raw_id_fields = ("message", "reporter", "resolved_by")
    readonly_fields = ("message", "reporter", "reason", "note", "status", "created_at", "resolved_at", "resolved_by")
    change_allowed = True  # the Resolve view is offered to those who may change a report
    show_full_result_count = False

    @admin.display(description=gettext_lazy("message"))
    def message_excerpt(self, obj: MessageReport) -> str:
        return Truncator(obj.message.text).chars(80)

    @admin.display(description=gettext_lazy("decision"))
    def resolve_link(self, obj: MessageReport) -> str:
        if obj.status != MessageReport.Status.OPEN:
            return str(obj.get_status_display())
        url = reverse("admin:messaging_messagereport_resolve", args=[obj.pk])
        return format_html('<a class="button" href="{}">{}</a>', url, _("Resolve"))

    def get_urls(self) -> list[URLPattern]:
        custom = [
            path(
                "<int:report_id>/resolve/",
                self.admin_site.admin_view(self.resolve_view),
                name="messaging_messagereport_resolve",
            )
        ]
        return custom + super().get_urls()

    def resolve_view(self, request: HttpRequest, report_id: int) -> HttpResponse:
        """Uphold or dismiss a report through the service (the pattern of UserAdmin's password view)."""
        report = get_object_or_404(MessageReport.objects.select_related("message__conversation"), pk=report_id)
        if not request.user.has_perm("messaging.moderate_message"):
            raise PermissionDenied
        form = ResolveReportForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            user = request.user
            try:
                services.message_report_resolve(
                    report_id=report.pk,
                    actor=user,  # type: ignore[arg-type]
                    to=form.cleaned_data["decision"],
                    note=form.cleaned_data["note"],
                    now=timezone.now(),
                )
            except ValidationError as error:
                add_service_error(form, error)
            else:
                report.refresh_from_db()
                self.log_change(request, report, _("Resolved: %(status)s") % {"status": report.get_status_display()})
                messages.success(request, _("Report %(id)s resolved.") % {"id": report.pk})
                return HttpResponseRedirect(reverse("admin:messaging_messagereport_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Resolve report %(id)s") % {"id": report.pk},
            "report": report,
            "form": form,
            "thread_url": reverse("messaging:thread", args=[report.message.conversation_id]),
        }
        return TemplateResponse(request, "admin/messaging/messagereport/resolve.html", context)


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("id", "recipient", "kind", "created_at", "read_at", "emailed_at", "texted_at")
    list_filter = ("kind",)
    search_fields = ("=id", "recipient__email", "kind")
    list_select_related = ("recipient",)
    raw_id_fields = ("recipient",)


@admin.register(Block)
class BlockAdmin(ReadOnlyAdmin):
    list_display = ("id", "store", "buyer", "by_side", "created_at")
    list_filter = ("by_side",)
    search_fields = ("store__name", "buyer__email")
    list_select_related = ("store", "buyer")
