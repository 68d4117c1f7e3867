from django import forms
from django.utils.translation import gettext_lazy as _

from api.scopes import INTEGRATION_SCOPES, STORE_SCOPES

EXPIRY_CHOICES = [
    ("", _("Never")),
    ("30", _("In 30 days")),
    ("90", _("In 90 days")),
    ("365", _("In a year")),
]


class StoreKeyForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=80, help_text=_("What the key is for, e.g. the tool that uses it.")
    )
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"), choices=list(STORE_SCOPES.items()), widget=forms.CheckboxSelectMultiple
    )
    expires_in_days = forms.ChoiceField(label=_("Expires"), choices=EXPIRY_CHOICES, required=False)


class IntegrationKeyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80)
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"), choices=list(INTEGRATION_SCOPES.items()), widget=forms.CheckboxSelectMultiple
    )
    expires_in_days = forms.ChoiceField(label=_("Expires"), choices=EXPIRY_CHOICES, required=False)
