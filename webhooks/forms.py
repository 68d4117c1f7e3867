import ipaddress
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from webhooks.delivery import address_is_public
from webhooks.events import event_type_choices
from webhooks.models import WebhookEndpoint


class EndpointForm(forms.Form):
    url = forms.URLField(
        label=_("URL"),
        max_length=500,
        assume_scheme="https",
        help_text=_("Where Opinia POSTs the signed events (https recommended)."),
    )
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    event_types = forms.MultipleChoiceField(
        label=_("Events"), choices=event_type_choices, widget=forms.CheckboxSelectMultiple
    )

    def clean_url(self) -> str:
        url: str = self.cleaned_data["url"]
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"}:
            raise forms.ValidationError(_("Enter an http or https URL."))
        if not settings.OPINIA_WEBHOOKS_ALLOW_PRIVATE_TARGETS and _is_private_host(parts.hostname or ""):
            raise forms.ValidationError(_("Webhooks cannot be sent to a private or local address."))
        return url


class EndpointAdminForm(forms.ModelForm):
    """The admin's change form: the same checks as the pages, event types as checkboxes (never raw JSON)."""

    url = EndpointForm.base_fields["url"]
    event_types = EndpointForm.base_fields["event_types"]

    class Meta:
        model = WebhookEndpoint
        fields = ("url", "description", "event_types")

    def clean_url(self) -> str:
        return EndpointForm.clean_url(self)  # type: ignore[arg-type]


def _is_private_host(host: str) -> bool:
    """A literal private address or a local name; names are checked again, resolved, at every delivery."""
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return not address_is_public(address)
