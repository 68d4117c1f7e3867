"""HTTP for the inboxes: the buyer's conversations, their live refresh and the navigation badge."""

import hashlib
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from messaging import selectors
from messaging.models import Conversation, Side
from messaging.selectors import InboxFilters
from messaging.views.common import (
    centre_context,
    login_required_live,
)
from portal.http import HtmxHttpRequest
from portal.http import request_user as _user

# --- Inboxes -----------------------------------------------------------------------------------


def _filters(request: HttpRequest) -> InboxFilters:
    return InboxFilters(
        unread=request.GET.get("unread") == "1",
        with_order=request.GET.get("order") == "1",
        store_slug=(request.GET.get("store") or "")[:140],
        query=(request.GET.get("q") or "").strip()[:100],
    )


def _inbox_version(items: list[Conversation]) -> str:
    """A short fingerprint of what an inbox page shows; the live poll sends it back."""
    seen = "|".join(
        f"{c.pk}:{c.last_message_at.isoformat()}:{c.unread}:{c.status}:{c.order_id}:{c.preview}"  # type: ignore[attr-defined]
        for c in items
    )
    return hashlib.blake2b(seen.encode(), digest_size=8).hexdigest()


def inbox_response(
    request: HtmxHttpRequest, *, conversations: Any, side: str, tab: str, extra: dict[str, Any]
) -> HttpResponse:
    filters = _filters(request)
    page = selectors.inbox_page(
        conversations=conversations, side=side, filters=filters, cursor=request.GET.get("after", "")
    )
    query = request.GET.copy()
    query.pop("after", None)
    query.pop("seen", None)
    version = _inbox_version(page.items)
    if request.htmx and request.GET.get("seen") == version:
        # Nothing changed since the last poll: swap nothing, so the list under a keyboard or
        # screen-reader user's focus is not rebuilt every few seconds.
        return HttpResponse(status=204)
    context = {
        **extra,
        "page": page,
        "side": side,
        "filters": filters,
        "base_query": query.urlencode(),
        "page_version": version,
        "is_first_page": not request.GET.get("after"),
    }
    if request.htmx:
        return render(request, "messaging/_inbox_list.html", context)
    return render(request, "messaging/inbox.html", {**centre_context(request, tab), **context})


@login_required_live
@require_GET
def inbox(request: HtmxHttpRequest) -> HttpResponse:
    user = _user(request)
    # The stores of the 30 most recent conversations: walks the inbox index, never the whole history.
    recent = selectors.buyer_conversations(user=user).order_by("-last_message_at", "-pk")
    stores = sorted(
        {(slug, name) for slug, name in recent.values_list("store__slug", "store__name")[:30] if slug},
        key=lambda pair: pair[1],
    )
    return inbox_response(
        request,
        conversations=selectors.buyer_conversations(user=user),
        side=Side.BUYER,
        tab="inbox",
        extra={"filter_stores": stores, "inbox_url": reverse("messaging:inbox")},
    )


@login_required_live
@require_GET
def badge(request: HttpRequest) -> HttpResponse:
    return render(request, "messaging/_nav.html", {"badge_count": selectors.unread_badge_count(user=request.user)})
