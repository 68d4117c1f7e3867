"""Panels that other apps add to the core's pages without the core importing them.

A page names a slot (`buyer_order`, `seller_order`, `store_dashboard`, `store_page`,
`product_page`, `buyer_home`, and `store_trust`: the store's standing in a line where a
buyer decides, on product and order pages); each app registers a function for a slot that returns
rendered HTML, or an empty string when it has nothing to show. Panels appear in the order
they were registered.
"""

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from django.utils.safestring import SafeString

from portal.models import RequestUser

# Left as Callable[..., str], not a Protocol: each slot passes its own context (order, store,
# product), and a panel takes only the keywords of its slot.
Panel = Callable[..., str]
PANELS: dict[str, list[Panel]] = {}


def register_panel(slot: str, panel: Panel) -> None:
    PANELS.setdefault(slot, [])
    if panel not in PANELS[slot]:
        PANELS[slot].append(panel)


def panels_for(slot: str, *, request: HttpRequest, user: RequestUser, **context: Any) -> list[SafeString]:
    rendered = []
    for panel in PANELS.get(slot, []):
        html = panel(request=request, user=user, **context)
        if html:
            rendered.append(SafeString(html))
    return rendered
