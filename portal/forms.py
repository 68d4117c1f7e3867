"""Input validation of the core's pages."""

from datetime import time
from typing import Any

from django import forms
from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from portal.dates import format_moment
from portal.hours import Interval, intervals_overlap
from portal.models import Store, User, WorkingHours


class SignupExtraForm(forms.Form):
    """Fields allauth's sign-up form adds to e-mail and password."""

    display_name = forms.CharField(label=_("Display name"), max_length=80, required=False)

    def signup(self, request: HttpRequest, user: User) -> None:
        user.display_name = self.cleaned_data.get("display_name", "")
        language = getattr(request, "LANGUAGE_CODE", "en")
        if language in dict(settings.LANGUAGES):
            user.language = language
        user.save(update_fields=["display_name", "language"])


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ("display_name", "language", "time_zone", "phone")

    def clean_phone(self) -> str:
        phone: str = self.cleaned_data["phone"].strip().replace(" ", "")
        if phone and not (phone.startswith("+") and phone[1:].isdigit() and 8 <= len(phone) <= 16):
            raise forms.ValidationError(_("Enter the phone number in international form, like +48123456789."))
        return phone


class LanguageForm(forms.Form):
    language = forms.ChoiceField(choices=settings.LANGUAGES)
    next = forms.CharField(required=False)


class StoreSettingsForm(forms.ModelForm):
    class Meta:
        model = Store
        fields = ("name", "time_zone", "auto_reply", "busy_reply")
        widgets = {
            "auto_reply": forms.Textarea(attrs={"rows": 3}),
            "busy_reply": forms.Textarea(attrs={"rows": 2}),
        }


# Intervals a day may hold in the settings form (a lunch break needs two).
INTERVALS_PER_DAY = 3


def _time_field(label: str) -> forms.TimeField:
    return forms.TimeField(
        label=label,
        required=False,
        input_formats=["%H:%M", "%H:%M:%S"],
        error_messages={"invalid": _("Enter a time of day from 00:00 to 23:59, like 09:30.")},
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )


class WorkingDayForm(forms.Form):
    """One weekday: open or not, and up to INTERVALS_PER_DAY intervals (the first keeps the old field names).

    A closing time earlier than the opening time runs past midnight (07:00–01:00).
    """

    weekday = forms.TypedChoiceField(choices=WorkingHours.Weekday.choices, coerce=int, widget=forms.HiddenInput)
    is_open = forms.BooleanField(label=_("Open"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for opens, closes in self.interval_names():
            self.fields[opens] = _time_field(str(_("Opens at")))
            self.fields[closes] = _time_field(str(_("Closes at")))

    @staticmethod
    def interval_names() -> list[tuple[str, str]]:
        return [
            ("opens_at", "closes_at") if n == 1 else (f"opens_at_{n}", f"closes_at_{n}")
            for n in range(1, INTERVALS_PER_DAY + 1)
        ]

    def interval_fields(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[opens], self[closes]) for opens, closes in self.interval_names()]

    def intervals(self) -> list[tuple[time, time]]:
        """The filled intervals of a valid open day."""
        data = self.cleaned_data
        if not data.get("is_open"):
            return []
        return [
            (data[opens], data[closes])
            for opens, closes in self.interval_names()
            if data.get(opens) is not None and data.get(closes) is not None
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("is_open"):
            return data
        filled = 0
        for opens, closes in self.interval_names():
            if opens in self.errors or closes in self.errors:
                continue
            start, end = data.get(opens), data.get(closes)
            if start is None and end is None:
                continue
            if start is None:
                self.add_error(opens, _("Give the opening time of this interval."))
            elif end is None:
                self.add_error(closes, _("Give the closing time of this interval."))
            elif start == end:
                self.add_error(closes, _("The store must not open and close at the same time."))
            else:
                filled += 1
        if not filled and not self.errors:
            raise forms.ValidationError(_("Give the opening and closing time of an open day."))
        return data


class BaseWorkingWeekFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        """Refuse intervals that overlap on the weekly clock, next to the later interval's fields."""
        if any(form.errors for form in self.forms):
            return
        where: dict[Interval, tuple[forms.Form, str]] = {}
        intervals = []
        for form in self.forms:
            assert isinstance(form, WorkingDayForm)
            if not form.cleaned_data.get("is_open"):
                continue
            for opens, closes in form.interval_names():
                start, end = form.cleaned_data.get(opens), form.cleaned_data.get(closes)
                if start is not None and end is not None:
                    interval = Interval(weekday=form.cleaned_data["weekday"], opens_at=start, closes_at=end)
                    where[interval] = (form, opens)
                    intervals.append(interval)
        for first, second in intervals_overlap(intervals):
            form, field = where[second]
            if field not in form.errors:
                form.add_error(
                    field,
                    _("This interval overlaps %(day)s %(opens)s–%(closes)s.")
                    % {
                        "day": WorkingHours.Weekday(first.weekday).label,
                        "opens": format_moment(first.opens_at),
                        "closes": format_moment(first.closes_at),
                    },
                )


WorkingWeekFormSet = forms.formset_factory(
    WorkingDayForm, formset=BaseWorkingWeekFormSet, extra=0, min_num=7, max_num=7, validate_max=True
)


class HolidayForm(forms.Form):
    starts_on = forms.DateField(label=_("First day"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("Last day"), widget=forms.DateInput(attrs={"type": "date"}))
    auto_reply = forms.CharField(
        label=_("Holiday auto-reply"),
        required=False,
        max_length=1000,
        help_text=_("Leave empty for the platform's text saying when the store is back."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts, ends = data.get("starts_on"), data.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", _("The last day cannot be before the first day."))
        return data


class AddAgentForm(forms.Form):
    email = forms.EmailField(label=_("Agent's e-mail address"))
