"""Star display and keyset-page links for the feedback templates."""

from urllib.parse import urlencode

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import ngettext

register = template.Library()


@register.simple_tag
def stars(count: int | None) -> SafeString:
    """Filled and empty stars with a text alternative for screen readers."""
    value = int(count or 0)
    label = ngettext("%(n)d out of 5 stars", "%(n)d out of 5 stars", value) % {"n": value}
    return format_html(
        '<span class="stars" role="img" aria-label="{}">{}{}</span>', label, "★" * value, "☆" * (5 - value)
    )


@register.simple_tag
def page_query(base: dict[str, str] | None = None, **changes: object) -> str:
    """A query string from the current filters plus `changes` (None or "" drops a key)."""
    query = dict(base or {})
    for key, value in changes.items():
        if value in (None, "", False):
            query.pop(key, None)
        else:
            query[key] = str(value)
    return "?" + urlencode(query) if query else "?"


@register.filter
def percent_class(value: int) -> str:
    """The site.css width class (w-0 … w-100) closest to a percentage; no inline styles under CSP."""
    tens = max(0, min(100, round((value or 0) / 10.0) * 10))
    return f"w-{tens}"
