"""Input of the trust admin: a moderator's decision, and the staff's phrase lists (validated whole)."""

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from trust.matching import compile_pattern, example_lines, examples_errors
from trust.models import CaseDecision, Phrase, PhraseList


class CaseDecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=CaseDecision.Decision.choices, widget=forms.RadioSelect)
    note = forms.CharField(
        label=_("Note for the log"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )
    points = forms.IntegerField(
        label=_("Penalty points"),
        required=False,
        min_value=1,
        max_value=settings.OPINIA_PENALTY_RESTRICTION_POINTS,
        help_text=_("Only for “Add penalty points”; empty for the usual number."),
    )


class PhraseForm(forms.ModelForm):
    class Meta:
        model = Phrase
        fields = ("kind", "pattern", "is_active")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        pattern = cleaned.get("pattern")
        phrase_list = getattr(self.instance, "phrase_list", None) if self.instance.phrase_list_id else None
        language = phrase_list.language if phrase_list else "en"
        if pattern:
            try:
                compile_pattern(pattern, language=language)
            except ValueError as error:
                self.add_error("pattern", str(error))
        return cleaned


class PhraseInlineFormSet(forms.BaseInlineFormSet):
    """Checks the list as it would be saved: every example must still behave."""

    def clean(self) -> None:
        super().clean()
        if any(form.errors for form in self.forms):
            return
        phrase_list: PhraseList = self.instance
        patterns = [
            form.cleaned_data["pattern"]
            for form in self.forms
            if form.cleaned_data
            and not form.cleaned_data.get("DELETE")
            and form.cleaned_data.get("is_active")
            and form.cleaned_data.get("pattern")
        ]
        errors = examples_errors(
            language=phrase_list.language,
            patterns=patterns,
            must_match=example_lines(phrase_list.must_match),
            must_not_match=example_lines(phrase_list.must_not_match),
        )
        if errors:
            raise ValidationError(errors)
