"""Input validation of the core's pages."""

from datetime import time
from typing import Any, ClassVar, cast

from django import forms
from django.conf import settings
from django.http import HttpRequest
from django.utils import translation
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from portal.carriers import carrier_choices
from portal.countries import country_choices, country_name, is_known_country
from portal.dates import format_moment
from portal.hours import Interval, intervals_overlap
from portal.models import ShippingMethod, Store, User, WorkingHours
from portal.uploads import PhotosField


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
    # Offered as chosen, or as assumed from the language while nothing is chosen.
    country = forms.ChoiceField(label=_("Country"), choices=lambda: [("", "—"), *country_choices()], required=False)

    class Meta:
        model = User
        fields = ("display_name", "language", "time_zone", "country", "phone")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["country"].help_text = _("Product pages show delivery times to this country.")
        if not self.is_bound and self.instance.pk:
            self.initial["country"] = self.instance.delivery_country

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


class CountrySelect(forms.Select):
    """The select of `country_choices`, drawn once per language (and attributes), not per page.

    Its two hundred options cost every anonymous product page more than the rest of the page;
    they change only with the language (the names and their order), so the drawn list is kept
    per process and only the chosen option is marked per request. The markup is Django's own
    (drawn by `Select` with nothing chosen), so the two never differ.
    """

    _drawn: ClassVar[dict[tuple[object, ...], str]] = {}
    # Languages times attribute sets: a handful in practice; a bound keeps a mistake from growing it.
    _DRAWN_MAX = 64

    def use_required_attribute(self, initial: Any) -> bool:
        # `Select` asks for `required` only when the first choice is an empty placeholder, reading
        # it by sorting the whole list by name each page; `country_choices` never starts with one.
        return False

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        final = self.build_attrs(self.attrs, attrs)
        key = (translation.get_language(), name, tuple(sorted((k, str(v)) for k, v in final.items())))
        html = self._drawn.get(key)
        if html is None:
            html = str(super().render(name, None, attrs, renderer))
            if len(self._drawn) < self._DRAWN_MAX:
                self._drawn[key] = html
        for chosen in self.format_value(value):
            if chosen:
                option = f'<option value="{escape(chosen)}"'
                html = html.replace(f"{option}>", f"{option} selected>", 1)
        return mark_safe(html)  # Django's rendering, with a chosen code it escaped


class DeliveryCountryForm(forms.Form):
    """A visitor's choice of the country product pages show delivery times to."""

    country = forms.ChoiceField(label=_("Deliver to"), choices=country_choices, widget=CountrySelect)
    next = forms.CharField(required=False)


class DeliveryTimeForm(forms.Form):
    """One row of the delivery-time table. The country is typed (a list suggests the codes), so a
    wrong code stays in the box with its message beside it."""

    country = forms.CharField(
        label=_("Country"),
        max_length=2,
        widget=forms.TextInput(attrs={"list": "country-codes", "size": 4, "autocomplete": "off"}),
    )
    method = forms.ChoiceField(label=_("Shipping method"), choices=ShippingMethod.choices)
    min_days = forms.IntegerField(label=_("Minimum days"), min_value=1, max_value=365)
    max_days = forms.IntegerField(label=_("Maximum days"), min_value=1, max_value=365)

    def clean_country(self) -> str:
        code: str = self.cleaned_data["country"].strip().upper()
        if not is_known_country(code):
            raise forms.ValidationError(_("Unknown country code %(code)s."), params={"code": code})
        return code

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        low, high = data.get("min_days"), data.get("max_days")
        if low is not None and high is not None and low > high:
            self.add_error("max_days", _("The maximum cannot be below the minimum."))
        return data


class BaseDeliveryTableFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        """Refuse a country and method given twice, beside the second one."""
        if any(self.errors):
            return
        seen: set[tuple[str, str]] = set()
        for form in self.kept_forms():
            key = (form.cleaned_data["country"], form.cleaned_data["method"])
            if key in seen:
                form.add_error(
                    "country",
                    _("%(country)s by %(method)s is already in the table.")
                    % {"country": country_name(key[0]), "method": ShippingMethod(key[1]).label},
                )
            seen.add(key)

    def kept_forms(self) -> list[forms.Form]:
        """The table's rows (blank extra lines left out) that are not marked for deletion."""
        return [
            form
            for index, form in enumerate(self.forms)
            if (index < self.initial_form_count() or form.has_changed())
            and not getattr(form, "cleaned_data", {}).get("DELETE", False)
        ]


DeliveryTableFormSet = cast(
    type[BaseDeliveryTableFormSet],
    forms.formset_factory(
        DeliveryTimeForm, formset=BaseDeliveryTableFormSet, extra=3, can_delete=True, max_num=500, validate_max=True
    ),
)


class ProductPhotosForm(forms.Form):
    photos = PhotosField(
        label=_("Add photos"),
        required=True,
        max_count=settings.OPINIA_PRODUCT_PHOTOS_MAX,
        help_text=_(
            "JPEG, PNG or WebP, at most 5 MB each. The first photo leads the product page and is sold with it."
        ),
    )


class WeeklySummaryForm(forms.Form):
    """Which of the stores the user is an agent of send them the Saturday summary."""

    stores = forms.TypedMultipleChoiceField(
        label=_("Send me the weekly summary of"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, agent_stores: list[Store], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["stores"]
        assert isinstance(field, forms.TypedMultipleChoiceField)
        field.choices = [(store.pk, store.name) for store in agent_stores]


class ShipForm(forms.Form):
    """What the store says when it ships: how, with whom, and the tracking number.

    Only drawn here: `order_ship` checks every field (a known carrier, a number of that
    carrier's form, a shipping method), so the desk, the admin and the API refuse alike; its
    refusals are shown beside these fields with what was typed kept.
    """

    shipping_method = forms.CharField(label=_("Shipping method"), required=False, widget=forms.Select)
    carrier = forms.CharField(label=_("Carrier"), required=False, widget=forms.Select)
    tracking_number = forms.CharField(label=_("Tracking number"), max_length=64, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        blank = [("", "—")]
        self.fields["shipping_method"].widget.choices = blank + list(ShippingMethod.choices)
        self.fields["carrier"].widget.choices = blank + carrier_choices()
        self.fields["tracking_number"].widget.attrs.update({"autocomplete": "off", "spellcheck": "false"})
