"""The moderators' queue for trust signals, and the phrase lists staff edit (STYLE rule 9)."""

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.admin_mixins import ReadOnlyAdminMixin
from portal.form_errors import add_service_error
from portal.models import RequestUser, User
from trust import selectors, services
from trust.forms import CaseDecisionForm, PhraseForm, PhraseInlineFormSet
from trust.models import Case, CaseDecision, Phrase, PhraseList, Source, TextCheck


def annotate_after_dispute(queryset: QuerySet[Any]) -> QuerySet[Any]:
    """Mark review reports that opened a case of a disputing buyer's review (feedback's report queue)."""
    return queryset.annotate(
        after_dispute=Exists(
            Case.objects.filter(
                kind=Case.Kind.REPORT_AFTER_DISPUTE, source=Source.REVIEW_REPORT, source_id=OuterRef("pk")
            )
        )
    )


ALL = "all"


def _can_decide(user: RequestUser) -> bool:
    # A permission, not a group name: renaming the group in the admin keeps the right.
    return bool(user.has_perm("trust.decide_case"))


def highlighted(case: Case) -> str:
    """The case's text with the matched phrase marked."""
    if case.match_start is None or case.match_end is None:
        return format_html("{}", case.text or "—")
    return format_html(
        '{}<mark class="opinia-phrase">{}</mark>{}',
        case.text[: case.match_start],
        case.text[case.match_start : case.match_end],
        case.text[case.match_end :],
    )


class CaseDecisionInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = CaseDecision
    extra = 0
    fields = ("moderator", "decision", "points", "note", "created_at")
    readonly_fields = fields
    change_allowed = True


class OpenFirstFilter(admin.SimpleListFilter):
    """The queue shows open cases unless another status (or every status) is chosen."""

    title = gettext_lazy("status")
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [*Case.Status.choices, (ALL, gettext_lazy("Every status"))]

    def choices(self, changelist: Any) -> Any:
        # No "All" link of Django's own: without a choice the queue shows the open cases.
        for value, label in self.lookup_choices:
            selected = self.value() == str(value) or (self.value() is None and value == Case.Status.OPEN)
            yield {
                "selected": selected,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }

    def queryset(self, request: HttpRequest, queryset: QuerySet[Case]) -> QuerySet[Case]:
        if self.value() == ALL:
            return queryset
        return queryset.filter(status=self.value() or Case.Status.OPEN)


@admin.register(Case)
class CaseAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    change_allowed = True
    list_display = ("pk", "kind", "status", "store", "author", "source", "excerpt", "created_at")
    list_filter = (OpenFirstFilter, "kind", "source", "language")
    list_select_related = ("store", "author")
    search_fields = ("text", "pattern", "store__name")
    show_full_result_count = False
    ordering = ("-created_at", "-pk")
    readonly_fields = (
        "kind",
        "status",
        "store",
        "author",
        "counterpart",
        "source",
        "source_id",
        "pattern",
        "language",
        "day",
        "created_at",
        "decided_at",
    )
    fields = readonly_fields
    inlines = (CaseDecisionInline,)
    change_form_template = "admin/trust/case/change_form.html"

    @admin.display(description=gettext_lazy("text"))
    def excerpt(self, obj: Case) -> str:
        if obj.kind == Case.Kind.BURST:
            return _("%(ratings)s ratings on %(day)s") % {"ratings": obj.facts.get("ratings"), "day": obj.day}
        return (obj.text[:80] + "…") if len(obj.text) > 80 else obj.text

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra = dict(extra_context or {})
        case = (
            Case.objects.select_related("store", "author", "counterpart").filter(pk=object_id).first()
            if (object_id.isdigit())
            else None
        )
        if case is not None:
            extra.update(
                {
                    "case": case,
                    "case_text": highlighted(case),
                    "source_url": selectors.case_source_url(case),
                    "timeline": selectors.case_timeline(case),
                    "can_decide": case.status == Case.Status.OPEN and _can_decide(request.user),
                    "can_remove": services.case_can_remove(case),
                    "decision_form": CaseDecisionForm(),
                }
            )
        return super().change_view(request, object_id, form_url, extra_context=extra)

    def get_urls(self) -> list[URLPattern]:
        custom = [
            path(
                "<int:case_id>/decide/",
                self.admin_site.admin_view(self.decide_view),
                name="trust_case_decide",
            )
        ]
        return custom + super().get_urls()

    def decide_view(self, request: HttpRequest, case_id: int) -> HttpResponse:
        """Decide one case: permission, form, service, log, message, redirect."""
        if not (self.has_change_permission(request) and _can_decide(request.user)):
            raise PermissionDenied
        case = get_object_or_404(Case.objects.select_related("store", "author", "counterpart"), pk=case_id)
        form = CaseDecisionForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            moderator = request.user
            assert isinstance(moderator, User)
            decision = form.cleaned_data["decision"]
            try:
                services.case_decide(
                    case_id=case.pk,
                    moderator=moderator,
                    decision=decision,
                    note=form.cleaned_data["note"],
                    points=form.cleaned_data["points"],
                    now=timezone.now(),
                )
            except ValidationError as error:
                add_service_error(form, error)
            else:
                label = CaseDecision.Decision(decision).label
                self.log_change(request, case, f"Decision: {decision}. {form.cleaned_data['note']}".strip())
                self.message_user(
                    request, _("Decision recorded: %(decision)s.") % {"decision": label}, messages.SUCCESS
                )
                return HttpResponseRedirect(reverse("admin:trust_case_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Decide case #%(id)s") % {"id": case.pk},
            "case": case,
            "case_text": highlighted(case),
            "source_url": selectors.case_source_url(case),
            "timeline": selectors.case_timeline(case),
            "can_remove": services.case_can_remove(case),
            "decision_form": form,
            "can_decide": True,
        }
        return TemplateResponse(request, "admin/trust/case/decide.html", context)


class PhraseInline(admin.TabularInline):
    model = Phrase
    form = PhraseForm
    formset = PhraseInlineFormSet
    extra = 1


@admin.register(PhraseList)
class PhraseListAdmin(admin.ModelAdmin):
    """Staff edit the phrases; a save is refused when a pattern is invalid or an example misbehaves."""

    list_display = ("language", "phrase_count", "updated_at")
    fields = ("language", "must_match", "must_not_match")
    inlines = (PhraseInline,)

    @admin.display(description=gettext_lazy("phrases"))
    def phrase_count(self, obj: PhraseList) -> int:
        return obj.phrases.filter(is_active=True).count()


@admin.register(TextCheck)
class TextCheckAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("pk", "source", "source_id", "created_at", "checked_at")
    list_filter = ("source", ("checked_at", admin.EmptyFieldListFilter))
    show_full_result_count = False
    ordering = ("-pk",)
