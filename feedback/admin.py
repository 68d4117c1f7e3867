"""The moderation queue: reported reviews, kept or removed through `review_moderate` (STYLE rule 9)."""

from collections.abc import Iterable
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from feedback import services
from feedback.forms import ModerationForm
from feedback.models import (
    AdditionalReview,
    FeedbackWindow,
    ItemReview,
    ModerationDecision,
    ReviewReport,
    SellerRating,
    SellerReply,
    StoreScoreDay,
)
from portal.admin_mixins import ReadOnlyAdminMixin, model_field_names
from portal.form_errors import add_service_error
from portal.integrity import annotate_review_reports
from portal.models import Photo, RequestUser, User


def _is_moderator(user: RequestUser) -> bool:
    # A permission, not a group name: renaming the group in the admin keeps the right.
    return bool(user.has_perm("feedback.moderate_review"))


def _photo_thumbnails(photos: Iterable[Photo]) -> str:
    """Thumbnails through the permission-checked photo view; a photo the worker has not
    processed yet has no thumbnail to show (its URL is a 404), so it is named instead."""
    parts = []
    for photo in photos:
        if photo.status == Photo.Status.READY:
            parts.append(
                format_html(
                    '<a href="{}"><img src="{}" alt="{}" class="opinia-thumb" width="96" height="96"></a>',
                    reverse("portal:photo", args=[photo.uuid]),
                    reverse("portal:photo_thumbnail", args=[photo.uuid]),
                    _("Photo from the buyer"),
                )
            )
        elif photo.status == Photo.Status.PROCESSING:
            parts.append(format_html('<span class="opinia-pending">{}</span>', _("Photo processing…")))
        else:
            parts.append(format_html('<span class="opinia-pending">{}</span>', _("Photo could not be processed")))
    if not parts:
        return "—"
    return format_html('<span class="opinia-photos">{}</span>', format_html_join("", "{}", ((p,) for p in parts)))


def _decision_form() -> ModerationForm:
    form = ModerationForm()
    # The note is typed on the report's page but sent with the decision form after it.
    form.fields["note"].widget.attrs["form"] = "opinia-moderate"
    return form


class AdminMedia:
    css = {"all": ("feedback/admin.css",)}


class ReportedFilter(admin.SimpleListFilter):
    title = gettext_lazy("reports")
    parameter_name = "reported"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("open", gettext_lazy("Open reports (queue)")), ("any", gettext_lazy("Ever reported"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[ItemReview]) -> QuerySet[ItemReview]:
        if self.value() == "open":
            return queryset.filter(
                Exists(ReviewReport.objects.filter(review=OuterRef("pk"), status=ReviewReport.Status.OPEN))
            )
        if self.value() == "any":
            return queryset.filter(reports__isnull=False).distinct()
        return queryset


class ReportInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ReviewReport
    extra = 0
    fields = ("reporter", "reason", "details", "created_at", "status", "decided_at")
    readonly_fields = fields
    change_allowed = True


class DecisionInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ModerationDecision
    extra = 0
    fields = ("moderator", "decision", "note", "created_at")
    readonly_fields = fields
    change_allowed = True


class ReplyInline(ReadOnlyAdminMixin, admin.StackedInline):
    """The store's reply, as written: staff read it even once moderation removed it."""

    model = SellerReply
    fk_name = "item_review"
    extra = 0
    fields = ("author", "text", "created_at", "removed_at")
    readonly_fields = fields
    change_allowed = True


class AdditionalReviewInline(ReadOnlyAdminMixin, admin.StackedInline):
    """The buyer's additional review and the store's reply to it, as written (removed or not)."""

    model = AdditionalReview
    fk_name = "window"
    extra = 0
    fields = ("buyer", "text", "created_at", "removed_at", "reply_text", "reply_removed_at")
    readonly_fields = fields
    change_allowed = True

    @admin.display(description=gettext_lazy("reply"))
    def reply_text(self, obj: AdditionalReview) -> str:
        reply = SellerReply.objects.filter(additional_review=obj).first()
        return reply.text if reply else ""

    @admin.display(description=gettext_lazy("reply removed"))
    def reply_removed_at(self, obj: AdditionalReview) -> object:
        reply = SellerReply.objects.filter(additional_review=obj).first()
        return reply.removed_at if reply and reply.removed_at else "—"


@admin.register(ItemReview)
class ItemReviewAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    change_allowed = True
    list_display = ("pk", "product", "store", "stars", "is_automatic", "published_at", "removed_at", "open_count")
    list_filter = (ReportedFilter, "is_automatic", ("removed_at", admin.EmptyFieldListFilter))
    search_fields = ("text", "product__title", "store__name")
    list_select_related = ("product", "store")
    show_full_result_count = False
    ordering = ("-pk",)
    readonly_fields = (
        "window",
        "order_item",
        "product",
        "store",
        "buyer",
        "stars",
        "text",
        "photo_links",
        "is_automatic",
        "created_at",
        "published_at",
        "removed_at",
        "original_stars",
        "revised_at",
        "revision_note",
        "score_role",
    )
    fields = readonly_fields
    # Every field is read-only: the "change" permission only opens the keep/remove views.
    inlines = (ReplyInline, ReportInline, DecisionInline)
    change_form_template = "admin/feedback/itemreview/change_form.html"
    Media = AdminMedia

    def get_queryset(self, request: HttpRequest) -> QuerySet[ItemReview]:
        return (
            super()
            .get_queryset(request)
            .annotate(open_reports=Count("reports", filter=Q(reports__status=ReviewReport.Status.OPEN)))
        )

    @admin.display(description=gettext_lazy("open reports"), ordering="open_reports")
    def open_count(self, obj: ItemReview) -> int:
        return getattr(obj, "open_reports", 0)

    @admin.display(description=gettext_lazy("photos"))
    def photo_links(self, obj: ItemReview) -> str:
        return _photo_thumbnails(obj.photos.order_by("pk"))

    def get_urls(self) -> list[URLPattern]:
        custom = [
            path(
                "<int:review_id>/moderate/<str:decision>/",
                self.admin_site.admin_view(self.moderate_view),
                name="feedback_itemreview_moderate",
            )
        ]
        return custom + super().get_urls()

    def moderate_view(self, request: HttpRequest, review_id: int, decision: str) -> HttpResponse:
        """Keep or remove one review: permission, form, service, log, message, redirect."""
        if not (self.has_change_permission(request) and _is_moderator(request.user)):
            raise PermissionDenied
        if decision not in ModerationDecision.Decision.values:
            raise PermissionDenied
        review = get_object_or_404(ItemReview.objects.select_related("product", "store"), pk=review_id)
        form = ModerationForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            moderator = request.user
            assert isinstance(moderator, User)
            try:
                services.review_moderate(
                    review_id=review.pk,
                    moderator=moderator,
                    decision=decision,
                    note=form.cleaned_data["note"],
                    now=timezone.now(),
                )
            except ValidationError as error:
                add_service_error(form, error)
            else:
                label = ModerationDecision.Decision(decision).label
                note = form.cleaned_data["note"]
                self.log_change(request, review, f"Moderation: {decision}. {note}".strip())
                self.message_user(
                    request, _("Decision recorded: %(decision)s.") % {"decision": label}, messages.SUCCESS
                )
                # Decided from a report's page: back to the report queue the moderator came from.
                report_id = request.POST.get("report", "")
                if report_id.isdigit() and ReviewReport.objects.filter(pk=int(report_id), review=review).exists():
                    return HttpResponseRedirect(
                        reverse("admin:feedback_reviewreport_changelist") + "?status__exact=open"
                    )
                return HttpResponseRedirect(reverse("admin:feedback_itemreview_changelist") + "?reported=open")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Keep review") if decision == "keep" else _("Remove review"),
            "review": review,
            "decision": decision,
            "form": form,
            "reports": review.reports.select_related("reporter").order_by("created_at"),
        }
        return TemplateResponse(request, "admin/feedback/moderate.html", context)


@admin.register(ReviewReport)
class ReviewReportAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The report queue. A report's page shows the reported words and photos and decides
    through the review's Keep / Remove view (`review_moderate`, logged)."""

    list_display = ("pk", "review_link", "reason", "status", "after_dispute_mark", "created_at", "decided_at")
    list_filter = ("status", "reason")
    list_select_related = ("review__product",)
    readonly_fields = ("review_link", "reporter", "reason", "details", "created_at", "status", "decided_at")
    fields = readonly_fields
    show_full_result_count = False
    ordering = ("-created_at",)
    change_form_template = "admin/feedback/reviewreport/change_form.html"
    # Nothing on a report is edited by hand (no "Save"): moderators decide with Keep / Remove.
    change_allowed = False
    Media = AdminMedia

    def get_queryset(self, request: HttpRequest) -> QuerySet[ReviewReport]:
        # The trust app marks a store's report of a review whose author disputed the order.
        return annotate_review_reports(super().get_queryset(request))

    @admin.display(description=gettext_lazy("after a dispute"), boolean=True)
    def after_dispute_mark(self, obj: ReviewReport) -> bool | None:
        """A seller's report of a review written by a buyer who disputed or complained: possible retaliation."""
        return getattr(obj, "after_dispute", None)

    @admin.display(description=gettext_lazy("review"))
    def review_link(self, obj: ReviewReport) -> str:
        review = obj.review
        return format_html(
            '<a href="{}">{}★ · {}</a>',
            reverse("admin:feedback_itemreview_change", args=[review.pk]),
            review.stars,
            review.product.title,
        )

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra = dict(extra_context or {})
        report = (
            ReviewReport.objects.select_related("review__product", "review__store", "review__buyer")
            .filter(pk=object_id)
            .first()
            if object_id.isdigit()
            else None
        )
        if report is not None:
            review = report.review
            additional = AdditionalReview.objects.filter(window_id=review.window_id).first()
            extra.update(
                {
                    "report": report,
                    "review": review,
                    "review_photos": _photo_thumbnails(review.photos.order_by("pk")),
                    "additional": additional,
                    "additional_photos": _photo_thumbnails(additional.photos.order_by("pk")) if additional else "",
                    "decisions": review.decisions.select_related("moderator"),
                    "can_moderate": report.status == ReviewReport.Status.OPEN and _is_moderator(request.user),
                    "moderation_form": _decision_form(),
                }
            )
        return super().change_view(request, object_id, form_url, extra_context=extra)


@admin.register(FeedbackWindow)
class FeedbackWindowAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    change_allowed = True
    list_display = ("order", "store", "state", "completed_at", "closes_at", "buyer_rated_at", "seller_rated_at")
    list_filter = ("state",)
    list_select_related = ("order", "store")
    search_fields = ("order__number",)
    show_full_result_count = False
    readonly_fields = model_field_names(FeedbackWindow)
    inlines = (AdditionalReviewInline,)


@admin.register(SellerRating)
class SellerRatingAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    change_allowed = True
    list_display = ("window", "store", "stars", "created_at", "published_at", "removed_at")
    list_select_related = ("window", "store")
    show_full_result_count = False
    readonly_fields = model_field_names(SellerRating)


@admin.register(StoreScoreDay)
class StoreScoreDayAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    change_allowed = True
    list_display = ("store", "day", "positive", "neutral", "negative", "merged", "removed")
    list_select_related = ("store",)
    show_full_result_count = False
    readonly_fields = model_field_names(StoreScoreDay)
