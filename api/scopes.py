"""What a key may do. Integration keys (the marketplace) and store keys (a seller's tools) have
scopes of their own; a key never holds a scope of the other kind."""

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

INTEGRATION_SCOPES: dict[str, str | Promise] = {
    "stores:write": _("Create and update stores and their owners"),
    "products:write": _("Create and update products"),
    "orders:write": _("Create orders and move them through their states"),
    "orders:read": _("Read orders"),
}

STORE_SCOPES: dict[str, str | Promise] = {
    "feedback:read": _("Read the store's reviews, ratings and score"),
    "feedback:write": _("Rate buyers, invite reviews, reply, request revisions and report reviews"),
    "disputes:read": _("Read the store's disputes"),
    "disputes:write": _("Answer disputes: offers, returns and the case thread"),
    "messages:read": _("Read the store's conversations"),
    "messages:write": _("Answer and mark conversations read"),
}


def scopes_for_kind(kind: str) -> dict[str, str | Promise]:
    return INTEGRATION_SCOPES if kind == "integration" else STORE_SCOPES
