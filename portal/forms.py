"""Input validation of the core's pages."""

from typing import Any

from django import forms
from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from portal.carriers import carrier_choices
from portal.models import ShippingMethod, Store, User, WorkingHours


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
        fields = ("name", "time_zone", "auto_reply")
        widgets = {"auto_reply": forms.Textarea(attrs={"rows": 3})}


class WorkingDayForm(forms.Form):
    weekday = forms.TypedChoiceField(choices=WorkingHours.Weekday.choices, coerce=int, widget=forms.HiddenInput)
    is_open = forms.BooleanField(label=_("Open"), required=False)
    opens_at = forms.TimeField(label=_("Opens at"), required=False, widget=forms.TimeInput(attrs={"type": "time"}))
    closes_at = forms.TimeField(label=_("Closes at"), required=False, widget=forms.TimeInput(attrs={"type": "time"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("is_open"):
            opens, closes = data.get("opens_at"), data.get("closes_at")
            if opens is None or closes is None:
                raise forms.ValidationError(_("Give the opening and closing time of an open day."))
            if opens >= closes:
                raise forms.ValidationError(_("The store must open before it closes."))
        return data


WorkingWeekFormSet = forms.formset_factory(WorkingDayForm, extra=0, min_num=7, max_num=7, validate_max=True)


class AddAgentForm(forms.Form):
    email = forms.EmailField(label=_("Agent's e-mail address"))


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
