"""Staff side: the dispute queue and its Resolve view, the complaint desk, the penalty ledger.

Statuses are read-only here (STYLE rule 9): a decision or an answer goes through a custom
view added in `get_urls()` that checks the staff permission, validates a form, calls the service,
logs the change and redirects.
"""

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, Exists, F, IntegerField, OuterRef, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from disputes import selectors, services
from disputes.forms import ComplaintAnswerForm, ResolveForm
from disputes.models import Complaint, Dispute, EvidenceAccess, PenaltyEntry, StorePenaltyStanding, StoreRestriction
from disputes.services import complaints as complaint_services
from portal.admin_mixins import ReadOnlyAdminMixin, model_field_names
from portal.dates import format_moment
from portal.form_errors import add_service_error
from portal.models import Store, User

# Staff rights are permissions (granted to the groups by migrations), so renaming a group keeps them.
RESOLVE_PERM = "disputes.resolve_dispute"
ANSWER_PERM = "disputes.answer_complaint"
CUSTODY_PERM = "disputes.view_evidenceaccess"
# The latest custody entries shown on a case page; the whole log is the custody admin list.
CUSTODY_ON_CASE_PAGE = 50


def _overdue_badge(due: Any, overdue: bool) -> str:
    if due is None:
        return "—"
    # The locale's format, as Django prints the other date columns and the change page.
    text = format_moment(due)
    if overdue:
        return format_html('<span class="opinia-overdue">{} · {}</span>', text, gettext("overdue"))
    return text


class CappedCountPaginator(Paginator):
    """Count at most CAP rows: an exact count of a 100k-row filtered queue costs more than the page.

    The queue shows "10000+" pages' worth as the last page; staff narrow it with filters.
    """

    CAP = 10_000

    @cached_property
    def count(self) -> int:
        return self.object_list.order_by()[: self.CAP].count()  # type: ignore[attr-defined]


class AdminMedia:
    css = {"all": ("disputes/admin.css",)}


# --- Disputes ------------------------------------------------------------------------------------------


class EscalatedFilter(admin.SimpleListFilter):
    title = _("escalated")
    parameter_name = "escalated"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Escalated (ever)")), ("no", _("Never escalated"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.filter(escalated_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(escalated_at__isnull=True)
        return queryset


class DecisionOverdueFilter(admin.SimpleListFilter):
    title = _("decision overdue")
    parameter_name = "overdue"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Overdue")), ("no", _("Not overdue"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        overdue = Q(status=Dispute.Status.ESCALATED, decision_due_at__lte=timezone.now())
        if self.value() == "yes":
            return queryset.filter(overdue)
        if self.value() == "no":
            return queryset.exclude(overdue)
        return queryset


class StoreFilter(admin.SimpleListFilter):
    """Every store that has disputes, by name.

    Read store by store with an EXISTS probe of the dispute index that starts with the store
    (`dispute_store_status`): the cost follows the number of stores, never the number of
    disputes, where a DISTINCT over the disputes would read all 100k of them.
    """

    title = _("store")
    parameter_name = "store"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        stores = (
            Store.objects.filter(Exists(Dispute.objects.filter(store_id=OuterRef("pk"))))
            .order_by("name", "pk")
            .values_list("pk", "name")
        )
        return [(str(pk), name) for pk, name in stores]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(store_id=int(value))
        return queryset


# Overdue escalations first, then the other escalations by the day their decision is due;
# then everything else, newest first. Escalations are ordered by their due date alone (the
# overdue ones are exactly those whose due date has passed), so the order needs no clock and
# the `dispute_admin_queue` expression index serves it without sorting the table.
ESCALATION_DUE = Case(When(status=Dispute.Status.ESCALATED, then=F("decision_due_at")))
QUEUE_ORDERING = (ESCALATION_DUE.asc(nulls_last=True), F("opened_at").desc(), F("id").desc())


@admin.register(Dispute)
class DisputeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    # Six columns that fit beside the filter panel at 1280 px: the case and its order share
    # one column, the store and its buyer another.
    list_display = ("case", "parties", "reason", "status", "opened_at", "decision_due")
    list_display_links = ("case",)
    list_filter = ("status", "reason", EscalatedFilter, DecisionOverdueFilter, StoreFilter)
    search_fields = ("=id", "=order__number", "buyer__email", "store__name")
    list_select_related = ("order", "store", "buyer")
    show_full_result_count = False
    ordering = QUEUE_ORDERING
    list_per_page = 50
    paginator = CappedCountPaginator
    change_form_template = "admin/disputes/dispute/change_form.html"
    change_allowed = True  # the Resolve view is offered to those who may change a dispute
    readonly_fields = [*model_field_names(Dispute, exclude=("id",)), "photos"]
    fieldsets = (
        (None, {"fields": ("order", "store", "buyer", "status", "reason", "detail", "description")}),
        (_("Request"), {"fields": ("requested_outcome", "requested_amount", "agreed_amount")}),
        (
            _("Clocks"),
            {
                "fields": (
                    "opened_at",
                    "seller_response_due_at",
                    "seller_responded_at",
                    "escalation_opens_at",
                    "auto_escalate_at",
                    "escalated_at",
                    "decision_due_at",
                    "decision_reminded_at",
                    "return_ship_due_at",
                    "return_tracking_number",
                    "return_confirm_due_at",
                    "replacement_carrier",
                    "replacement_tracking_number",
                    "replacement_due_at",
                )
            },
        ),
        (
            _("Outcome"),
            {
                "fields": (
                    "closed_at",
                    "closed_by",
                    "resolution",
                    "refund_amount",
                    "responsibility",
                    "shipped_without_tracking",
                    "resolution_note",
                    "decided_by",
                )
            },
        ),
    )
    Media = AdminMedia

    def get_ordering(self, request: HttpRequest) -> Any:
        # Filtered to one status other than "escalated", the escalation key is empty on every
        # row and the queue's order is simply newest first: say so, and the status indexes
        # serve the page instead of a walk past every escalated case of the expression index.
        status = request.GET.get("status__exact") or request.GET.get("status")
        if status and status != Dispute.Status.ESCALATED:
            return ("-opened_at", "-id")
        return QUEUE_ORDERING

    @admin.display(description=_("case"), ordering="id")
    def case(self, dispute: Dispute) -> str:
        return format_html('#{}<br><span class="opinia-sub">{}</span>', dispute.pk, dispute.order.number)

    @admin.display(description=_("store and buyer"), ordering="store__name")
    def parties(self, dispute: Dispute) -> str:
        return format_html('{}<br><span class="opinia-sub">{}</span>', dispute.store.name, dispute.buyer)

    @admin.display(description=_("decision due"), ordering="decision_due_at")
    def decision_due(self, dispute: Dispute) -> str:
        if dispute.status != Dispute.Status.ESCALATED:
            return "—"
        return _overdue_badge(dispute.decision_due_at, dispute.decision_overdue())

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<int:object_id>/resolve/",
                self.admin_site.admin_view(self.resolve_view),
                name="disputes_dispute_resolve",
            ),
            *super().get_urls(),
        ]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        dispute = Dispute.objects.filter(pk=object_id).first() if object_id.isdigit() else None
        extra = dict(extra_context or {})
        if dispute is not None:
            now = timezone.now()
            extra.update(selectors.dispute_case(dispute=dispute))
            extra.update(
                {
                    "dispute": dispute,
                    "clocks": selectors.dispute_clocks(dispute=dispute, now=now),
                    "overdue": dispute.decision_overdue(now),
                    "store_points": selectors.penalty_points_live(store=dispute.store, now=now),
                    "store_restricted": selectors.store_is_restricted(store=dispute.store, now=now),
                    "can_resolve": dispute.status == Dispute.Status.ESCALATED and request.user.has_perm(RESOLVE_PERM),
                    "penalties": list(dispute.penalties.order_by("pk")),
                }
            )
            if request.user.has_perm(CUSTODY_PERM):
                extra["custody"] = selectors.evidence_custody(dispute=dispute, limit=CUSTODY_ON_CASE_PAGE)
        response = super().change_view(request, object_id, form_url, extra_context=extra)
        # Logged once the admin has let the page be seen: a refused request looked at nothing.
        if dispute is not None and request.method == "GET" and response.status_code == 200:
            assert isinstance(request.user, User)
            services.evidence_case_viewed(staff=request.user, dispute=dispute, now=timezone.now())
        return response

    def resolve_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """Decide an escalated dispute (holders of `resolve_dispute` only); the decision is final."""
        if not request.user.has_perm(RESOLVE_PERM):
            raise PermissionDenied
        dispute = get_object_or_404(Dispute.objects.select_related("order", "store", "buyer"), pk=object_id)
        change_url = reverse("admin:disputes_dispute_change", args=[dispute.pk])
        if dispute.status != Dispute.Status.ESCALATED:
            messages.error(
                request,
                gettext("Dispute #%(id)s is %(status)s: only escalated disputes are decided here.")
                % {"id": dispute.pk, "status": dispute.get_status_display()},
            )
            return HttpResponseRedirect(change_url)
        form = ResolveForm(request.POST or None, total=dispute.order.total)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            user = request.user
            assert isinstance(user, User)
            try:
                services.dispute_resolve_by_staff(
                    dispute_id=dispute.pk,
                    staff=user,
                    resolution=data["resolution"],
                    amount=data["amount"],
                    responsibility=data["responsibility"],
                    note=data["note"],
                    shipped_without_tracking=data["shipped_without_tracking"],
                    now=timezone.now(),
                )
            except ValidationError as error:
                add_service_error(form, error)
            else:
                dispute.refresh_from_db()
                self.log_change(
                    request,
                    dispute,
                    f"Resolved: {dispute.resolution}, refund {dispute.refund_amount or Decimal('0')}, "
                    f"responsibility {dispute.responsibility}"
                    f"{', shipped without valid tracking (as refused to ship)' if dispute.shipped_without_tracking else ''}.",
                )
                messages.success(
                    request,
                    gettext("Dispute #%(id)s is resolved: %(decision)s. Both parties were notified.")
                    % {"id": dispute.pk, "decision": dispute.get_resolution_display()},
                )
                return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Resolve dispute #%(id)s") % {"id": dispute.pk},
            "opts": self.model._meta,
            "original": dispute,
            "dispute": dispute,
            "form": form,
            "media": self.media + form.media,
            "store_points": selectors.penalty_points_live(store=dispute.store, now=timezone.now()),
            "penalty_reason": services.penalty_reason_for(dispute),
        }
        return TemplateResponse(
            request, "admin/disputes/dispute/resolve.html", context, status=400 if form.errors else 200
        )


# --- Complaints -------------------------------------------------------------------------------------------------


@admin.register(EvidenceAccess)
class EvidenceAccessAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The custody log of case evidence: read-only, for the holders of its view permission."""

    list_display = ("at", "dispute", "staff_email", "kind", "photo", "photo_sha256")
    list_filter = ("kind",)
    search_fields = ("=dispute__id", "staff_email", "=photo_sha256")
    list_select_related = ("dispute", "photo")
    readonly_fields = model_field_names(EvidenceAccess, exclude=("id",))
    show_full_result_count = False
    paginator = CappedCountPaginator
    list_per_page = 100


class ComplaintOverdueFilter(admin.SimpleListFilter):
    title = _("first answer overdue")
    parameter_name = "overdue"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Overdue")), ("no", _("Not overdue"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        overdue = Q(first_responded_at__isnull=True, first_response_due_at__lte=timezone.now()) & ~Q(
            status=Complaint.Status.CLOSED
        )
        if self.value() == "yes":
            return queryset.filter(overdue)
        if self.value() == "no":
            return queryset.exclude(overdue)
        return queryset


@admin.register(Complaint)
class ComplaintAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "id",
        "subject",
        "category",
        "author",
        "store",
        "status",
        "created_at",
        "first_answer_due",
        "rating",
    )
    list_filter = ("status", "subject", "category", ComplaintOverdueFilter)
    search_fields = ("=id", "author__email", "store__name", "text", "reference")
    list_select_related = ("author", "store")
    show_full_result_count = False
    ordering = ("-created_at", "-id")
    change_form_template = "admin/disputes/complaint/change_form.html"
    change_allowed = True  # answering and closing are offered to those who may change a complaint
    readonly_fields = [*model_field_names(Complaint, exclude=("id",)), "photos"]
    Media = AdminMedia

    @admin.display(description=_("first answer due"), ordering="first_response_due_at")
    def first_answer_due(self, complaint: Complaint) -> str:
        if complaint.first_responded_at is not None:
            return gettext("answered")
        return _overdue_badge(
            complaint.first_response_due_at,
            complaint.status != Complaint.Status.CLOSED and complaint.response_overdue(),
        )

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<int:object_id>/answer/",
                self.admin_site.admin_view(self.answer_view),
                name="disputes_complaint_answer",
            ),
            path("<int:object_id>/take/", self.admin_site.admin_view(self.take_view), name="disputes_complaint_take"),
            path(
                "<int:object_id>/close/", self.admin_site.admin_view(self.close_view), name="disputes_complaint_close"
            ),
            *super().get_urls(),
        ]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        complaint = Complaint.objects.filter(pk=object_id).first() if object_id.isdigit() else None
        extra = dict(extra_context or {})
        if complaint is not None:
            extra.update(
                {
                    "complaint": complaint,
                    "events": complaint.events.select_related("actor").order_by("created_at", "pk"),
                    "attachments": complaint.photos.order_by("pk"),
                    "overdue": complaint.status != Complaint.Status.CLOSED and complaint.response_overdue(),
                    "can_answer": complaint.status != Complaint.Status.CLOSED and request.user.has_perm(ANSWER_PERM),
                }
            )
        return super().change_view(request, object_id, form_url, extra_context=extra)

    def _complaint_button(
        self,
        request: HttpRequest,
        object_id: int,
        *,
        perform: Callable[[Complaint, User], object],
        log: str,
        success: str,
    ) -> HttpResponse:
        """A one-button complaint action: complaint staff only, POST only, through the service, logged."""
        if not request.user.has_perm(ANSWER_PERM):
            raise PermissionDenied
        complaint = get_object_or_404(Complaint, pk=object_id)
        change_url = reverse("admin:disputes_complaint_change", args=[complaint.pk])
        if request.method != "POST":
            return HttpResponseRedirect(change_url)
        user = request.user
        assert isinstance(user, User)
        try:
            perform(complaint, user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            self.log_change(request, complaint, log)
            messages.success(request, success % {"id": complaint.pk})
        return HttpResponseRedirect(change_url)

    def take_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        return self._complaint_button(
            request,
            object_id,
            perform=lambda complaint, user: complaint_services.complaint_take(
                complaint_id=complaint.pk, staff=user, now=timezone.now()
            ),
            log="Taken in progress.",
            success=gettext("You are working on complaint #%(id)s."),
        )

    def close_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """Close a complaint that needs nothing more (answered, or a duplicate)."""
        return self._complaint_button(
            request,
            object_id,
            perform=lambda complaint, user: complaint_services.complaint_close(
                complaint_id=complaint.pk, actor=user, now=timezone.now()
            ),
            log="Closed.",
            success=gettext("Complaint #%(id)s is closed."),
        )

    def answer_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """Answer the author (holders of `answer_complaint`); an upheld appeal withdraws the points."""
        if not request.user.has_perm(ANSWER_PERM):
            raise PermissionDenied
        complaint = get_object_or_404(Complaint.objects.select_related("author", "penalty"), pk=object_id)
        change_url = reverse("admin:disputes_complaint_change", args=[complaint.pk])
        form = ComplaintAnswerForm(request.POST or None, initial={"answer": complaint.answer})
        if complaint.penalty_id is None:
            del form.fields["uphold_appeal"]
        if request.method == "POST" and form.is_valid():
            user = request.user
            assert isinstance(user, User)
            try:
                complaint_services.complaint_answer(
                    complaint_id=complaint.pk,
                    staff=user,
                    answer=form.cleaned_data["answer"],
                    uphold_appeal=bool(form.cleaned_data.get("uphold_appeal")),
                    now=timezone.now(),
                )
            except ValidationError as error:
                add_service_error(form, error)
            else:
                self.log_change(
                    request,
                    complaint,
                    "Answered"
                    + (" (appeal upheld, points withdrawn)." if form.cleaned_data.get("uphold_appeal") else "."),
                )
                messages.success(request, gettext("The answer was sent to the author."))
                return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Answer complaint #%(id)s") % {"id": complaint.pk},
            "opts": self.model._meta,
            "original": complaint,
            "complaint": complaint,
            "form": form,
            "media": self.media + form.media,
        }
        return TemplateResponse(
            request, "admin/disputes/complaint/answer.html", context, status=400 if form.errors else 200
        )


# --- Penalty ledger ------------------------------------------------------------------------------------------------


@admin.register(PenaltyEntry)
class PenaltyEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Append-only: staff read the ledger; entries are added by decisions and withdrawn by appeals."""

    list_display = ("id", "store", "dispute", "reason", "points", "created_at", "expires_at", "is_live")
    list_filter = ("reason",)
    search_fields = ("store__name", "=dispute__id")
    list_select_related = ("store", "dispute")
    show_full_result_count = False
    readonly_fields = model_field_names(PenaltyEntry, exclude=("id",))

    @admin.display(description=_("live"), boolean=True)
    def is_live(self, entry: PenaltyEntry) -> bool:
        return entry.expires_at > timezone.now()


class RunningFilter(admin.SimpleListFilter):
    title = _("running")
    parameter_name = "running"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Running")), ("no", _("Lifted"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.filter(lifted_at__isnull=True)
        if self.value() == "no":
            return queryset.filter(lifted_at__isnull=False)
        return queryset


@admin.register(StoreRestriction)
class StoreRestrictionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """When each store was restricted and lifted: written by decisions and the penalty-expiry sweep only."""

    list_display = ("id", "store", "started_at", "points_at_start", "lifted_at")
    list_filter = (RunningFilter,)
    search_fields = ("store__name", "store__slug")
    list_select_related = ("store",)
    show_full_result_count = False
    ordering = ("-started_at", "-id")


class RestrictedFilter(admin.SimpleListFilter):
    title = _("restricted")
    parameter_name = "restricted"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Restricted")), ("points", _("Has live points"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.filter(live_points__gte=selectors.restriction_threshold())
        if self.value() == "points":
            return queryset.filter(live_points__gt=0)
        return queryset


@admin.register(StorePenaltyStanding)
class StorePenaltyStandingAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Stores by live penalty points: where restriction stands, at a glance."""

    list_display = ("name", "slug", "live_points_display", "restricted")
    list_filter = (RestrictedFilter,)
    search_fields = ("name", "slug")
    show_full_result_count = False
    Media = AdminMedia

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        live = Sum("penalties__points", filter=Q(penalties__expires_at__gt=timezone.now()))
        return (
            super()
            .get_queryset(request)
            .annotate(live_points=Coalesce(live, Value(0), output_field=IntegerField()))
            .order_by("-live_points", "name")
        )

    @admin.display(description=_("live points"), ordering="live_points")
    def live_points_display(self, store: Any) -> int:
        return int(store.live_points)

    @admin.display(description=_("restricted"))
    def restricted(self, store: Any) -> str:
        if selectors.points_restrict(store.live_points):
            return format_html('<span class="opinia-overdue">{}</span>', gettext("restricted"))
        return "—"
