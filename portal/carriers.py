"""The carriers a store ships with (`settings.OPINIA_CARRIERS`): names, tracking pages, number patterns."""

import re
from dataclasses import dataclass
from functools import cache
from urllib.parse import quote

from django.conf import settings


@dataclass(frozen=True)
class Carrier:
    code: str
    name: str
    tracking_url: str  # with `{number}` where the tracking number goes
    pattern: str

    def accepts(self, number: str) -> bool:
        """Whether `number` (normalised) is one of this carrier's tracking numbers."""
        return _compiled(self.pattern).fullmatch(number) is not None

    def url_for(self, number: str) -> str:
        return self.tracking_url.format(number=quote(number, safe=""))


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def carriers() -> list[Carrier]:
    """Every configured carrier, in the settings' order (the order of the form's list)."""
    return [
        Carrier(code=code, name=entry["name"], tracking_url=entry["tracking_url"], pattern=entry["pattern"])
        for code, entry in settings.OPINIA_CARRIERS.items()
    ]


def carrier_choices() -> list[tuple[str, str]]:
    return [(carrier.code, carrier.name) for carrier in carriers()]


def carrier_find(value: str) -> Carrier | None:
    """The carrier `value` names, by code or by display name, ignoring case and surrounding spaces.

    The name is accepted too because integrations sent free-text carrier names ("Cainiao",
    "China Post") before carriers had codes.
    """
    wanted = value.strip().casefold()
    if not wanted:
        return None
    for carrier in carriers():
        if wanted in (carrier.code.casefold(), carrier.name.casefold()):
            return carrier
    return None


def tracking_number_normalise(raw: str) -> str:
    """A tracking number as carriers print it: no spaces or dashes, letters upper-case."""
    return re.sub(r"[\s-]+", "", raw).upper()


def carrier_name(code: str) -> str:
    """The display name of the carrier stored on an order; an unknown code (removed since) as it is."""
    carrier = carrier_find(code)
    return carrier.name if carrier else code


def tracking_url(*, carrier: str, number: str) -> str:
    """The carrier's tracking page for `number`; "" when the carrier is unknown or there is no number."""
    found = carrier_find(carrier)
    if found is None or not number:
        return ""
    return found.url_for(number)
