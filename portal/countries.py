"""The countries the portal knows: ISO 3166-1 alpha-2 codes with names in the reader's language.

One list for every place that takes or shows a country (a store's delivery-time table, a
buyer's country, an order's destination). It holds the countries the marketplace ships to;
a code outside it is refused as unknown. Adding a country is one line here and its name in
each language's catalogue.
"""

from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

COUNTRIES: dict[str, str | Promise] = {
    "AE": _("United Arab Emirates"),
    "AR": _("Argentina"),
    "AT": _("Austria"),
    "AU": _("Australia"),
    "BE": _("Belgium"),
    "BR": _("Brazil"),
    "CA": _("Canada"),
    "CH": _("Switzerland"),
    "CL": _("Chile"),
    "CN": _("China"),
    "CZ": _("Czechia"),
    "DE": _("Germany"),
    "DK": _("Denmark"),
    "EE": _("Estonia"),
    "ES": _("Spain"),
    "FI": _("Finland"),
    "FR": _("France"),
    "GB": _("United Kingdom"),
    "GR": _("Greece"),
    "HK": _("Hong Kong"),
    "HU": _("Hungary"),
    "ID": _("Indonesia"),
    "IE": _("Ireland"),
    "IL": _("Israel"),
    "IN": _("India"),
    "IT": _("Italy"),
    "JP": _("Japan"),
    "KR": _("South Korea"),
    "LT": _("Lithuania"),
    "LV": _("Latvia"),
    "MX": _("Mexico"),
    "MY": _("Malaysia"),
    "NL": _("Netherlands"),
    "NO": _("Norway"),
    "NZ": _("New Zealand"),
    "PH": _("Philippines"),
    "PL": _("Poland"),
    "PT": _("Portugal"),
    "RO": _("Romania"),
    "SA": _("Saudi Arabia"),
    "SE": _("Sweden"),
    "SG": _("Singapore"),
    "SK": _("Slovakia"),
    "TH": _("Thailand"),
    "TR": _("Türkiye"),
    "TW": _("Taiwan"),
    "UA": _("Ukraine"),
    "US": _("United States"),
    "VN": _("Vietnam"),
    "ZA": _("South Africa"),
}

# A person who has not chosen a country is taken to live where their language is mostly spoken.
LANGUAGE_COUNTRIES: dict[str, str] = {"pl": "PL", "zh-hans": "CN", "ko": "KR", "gu": "IN", "en": "US"}


def is_known_country(code: str) -> bool:
    return code in COUNTRIES


def country_name(code: str) -> str:
    """The country's name in the active language; the code itself for one the list does not hold."""
    name = COUNTRIES.get(code)
    return str(name) if name is not None else code


def country_for_language(language: str) -> str:
    """The country assumed for a reader of `language` ("" when none is)."""
    return LANGUAGE_COUNTRIES.get(language.lower(), "")


def country_choices() -> list[tuple[str, str]]:
    """(code, name) for a select, sorted by the name in the active language."""
    return sorted(((code, str(name)) for code, name in COUNTRIES.items()), key=lambda pair: pair[1])


def validate_country(value: str) -> None:
    """A model field's validator: a code of the list (blank is the field's own business)."""
    if value and not is_known_country(value):
        raise ValidationError(_("Unknown country code %(code)s."), code="unknown_country", params={"code": value})
