"""Panels that other apps add to the core's pages without the core importing them.

A page names a slot (`buyer_order`, `seller_order`, `store_dashboard`, `store_page`,
`product_page`, `buyer_home`, and `store_trust`: the store's standing in a line where a
buyer decides, on product and order pages); each app registers a function for a slot that returns
rendered HTML, or an empty string when it has nothing to show. Panels appear in the order
they were registered.

A page may keep its panels in a cached part (the store page does). For that a panel tells
what it reads of the request beyond the store and the viewer's standing (`variant`: its query
parameters, canonical), and leaves what belongs to one viewer as *viewer slots* (markers in the
HTML that `fill_viewer_slots` turns into that viewer's links and forms after the cached part
is read).
"""

from collections.abc import Callable, Hashable
from typing import Any

from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.utils.html import escape
from django.utils.safestring import SafeString

from portal.models import RequestUser

# Left as Callable[..., str], not a Protocol: each slot passes its own context (order, store,
# product), and a panel takes only the keywords of its slot.
Panel = Callable[..., str]
PANELS: dict[str, list[Panel]] = {}
# What a slot's panels read of the request (query parameters), canonical: part of a cached page's key.
PanelVariant = Callable[[HttpRequest], Hashable]
VARIANTS: dict[str, list[PanelVariant]] = {}
# Fill a panel's viewer slots for the request's viewer: (html, request, user) -> html.
ViewerSlots = Callable[[str, HttpRequest, RequestUser], str]
VIEWER_SLOTS: list[ViewerSlots] = []


def register_panel(slot: str, panel: Panel, *, variant: PanelVariant | None = None) -> None:
    PANELS.setdefault(slot, [])
    if panel not in PANELS[slot]:
        PANELS[slot].append(panel)
    VARIANTS.setdefault(slot, [])
    if variant is not None and variant not in VARIANTS[slot]:
        VARIANTS[slot].append(variant)


def register_viewer_slots(filler: ViewerSlots) -> None:
    if filler not in VIEWER_SLOTS:
        VIEWER_SLOTS.append(filler)


def panels_variant(slot: str, request: HttpRequest) -> tuple[Hashable, ...]:
    """What the slot's panels read of the request, for the key of a cached part that holds them."""
    return tuple(variant(request) for variant in VARIANTS.get(slot, []))


# The request's own values in a part kept for every visitor: a form's CSRF input and the page's
# address (a form's `next`). Markers of our own templates only; never in text a user wrote
# (escaped, `<!--` cannot come from it).
CSRF_SLOT = "<!--viewer:csrf-->"
PATH_SLOT = "<!--viewer:path-->"


def fill_request_slots(html: str, request: HttpRequest) -> str:
    if CSRF_SLOT in html:
        html = html.replace(
            CSRF_SLOT, f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(get_token(request))}">'
        )
    if PATH_SLOT in html:
        html = html.replace(PATH_SLOT, escape(request.get_full_path()))
    return html


def fill_viewer_slots(html: str, request: HttpRequest, user: RequestUser) -> SafeString:
    """The request's viewer's own links and forms in panels' HTML (a filled slot is not filled again)."""
    html = fill_request_slots(html, request)
    for filler in VIEWER_SLOTS:
        html = filler(html, request, user)
    return SafeString(html)


def panels_for(
    slot: str, *, request: HttpRequest, user: RequestUser, viewer_slots: bool = True, **context: Any
) -> list[SafeString]:
    """The slot's panels; `viewer_slots=False` leaves their viewer slots empty, for a part kept for every viewer."""
    rendered = []
    for panel in PANELS.get(slot, []):
        html = panel(request=request, user=user, **context)
        if html:
            rendered.append(fill_viewer_slots(html, request, user) if viewer_slots else SafeString(html))
    return rendered
