"""How every form field is drawn: a refused over-long text comes back trimmed, not whole."""

from typing import Any

from django.forms.renderers import DjangoTemplates
from django.http import HttpRequest


def redisplay_limit(max_length: int) -> int:
    """How much of a refused text to show again: the field's limit plus a margin.

    The margin lets the writer see where the text ran over and shorten it; beyond that, a
    pasted novel (or a script's megabytes) is not echoed back into the page.
    """
    return max_length + max(100, max_length // 10)


class BoundedValueRenderer(DjangoTemplates):
    """The default renderer, except that a widget with `maxlength` shows at most `redisplay_limit`.

    Django gives every text field with a `max_length` (form or model field) that attribute,
    so one renderer covers the site's, allauth's and the admin's forms alike.
    """

    def render(self, template_name: str, context: dict[str, Any], request: HttpRequest | None = None) -> str:
        widget = context.get("widget")
        if isinstance(widget, dict) and isinstance(widget.get("value"), str):
            try:
                limit = redisplay_limit(int(widget.get("attrs", {}).get("maxlength") or 0))
            except (TypeError, ValueError):
                limit = 0
            if limit and len(widget["value"]) > limit:
                context = {**context, "widget": {**widget, "value": widget["value"][:limit]}}
        return super().render(template_name, context, request)
