"""HTTP for the inboxes: the buyer's conversations, their live refresh and the navigation badge."""

import hashlib
from functools import cache as once
from typing import Any

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import get_template
from django.urls import get_script_prefix, reverse
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET

from messaging import selectors
from messaging.models import Side
from messaging.selectors import InboxFilters, InboxLine, InboxPage
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


def _inbox_version(lines: list[InboxLine]) -> str:
    """A short fingerprint of what an inbox page shows; the live poll sends it back."""
    seen = "|".join(
        f"{line.pk}:{line.last_message_at.isoformat()}:{line.unread}:{line.status}:{line.order_id}:{line.preview}"
        for line in lines
    )
    return hashlib.blake2b(seen.encode(), digest_size=8).hexdigest()


ROW_TEMPLATE = "messaging/_inbox_row.html"
# A row not shown again for this long leaves the cache; a changed row never reuses an entry.
ROW_TIMEOUT = 60 * 60


@once
def _row_template_digest() -> str:
    """The row template's own fingerprint: a deploy that changes it never serves the old rows."""
    source = getattr(get_template(ROW_TEMPLATE), "template", None)
    return hashlib.blake2b(str(getattr(source, "source", "")).encode(), digest_size=8).hexdigest()


def _row_key_context(side: str) -> tuple[str, ...]:
    """What every row key of a page shares: the template, the script prefix, the reader's language, zone and side."""
    return (
        _row_template_digest(),
        get_script_prefix(),
        translation.get_language() or "",
        timezone.get_current_timezone_name(),
        side,
    )


def _row_key(line: InboxLine, context: tuple[str, ...]) -> str:
    """Everything a row shows, for the side reading it, in the reader's language and time zone.

    The key is the row's content itself, not a version to bump: a new message, a read, a
    closed chat, a renamed store or buyer all make another key, and two readers with one key
    would see the same row.
    """
    parts = (
        *context,
        line.pk,
        line.kind,
        line.status,
        line.topic,
        line.unread,
        line.last_message_at.isoformat(),
        line.preview_side,
        line.preview,
        line.other_name,
        line.order_number,
    )
    return "inbox-row:" + hashlib.sha256(repr(parts).encode()).hexdigest()


def inbox_rows(page: InboxPage) -> list[SafeString]:
    """The page's rows as HTML, each rendered once per content and kept in the cache.

    Only a row missing from the cache builds its conversation (`page.items`, no query).
    """
    context = _row_key_context(page.side)
    keys = [_row_key(line, context) for line in page.lines]
    found = cache.get_many(keys)
    missing = {}
    rows = []
    for index, key in enumerate(keys):
        html = found.get(key)
        if html is None:
            html = get_template(ROW_TEMPLATE).render({"c": page.items[index], "side": page.side})
            missing[key] = str(html)
        # Our own template's output, escaped when it was rendered.
        rows.append(mark_safe(html))
    if missing:
        cache.set_many(missing, timeout=ROW_TIMEOUT)
    return rows


def _store_options(stores: list[tuple[str, str]], *, chosen: str) -> SafeString:
    """The store filter's options, escaped here: one string instead of a template loop per store."""
    return SafeString(
        "".join(
            f'<option value="{escape(slug)}"{" selected" if slug == chosen else ""}>{escape(name)}</option>'
            for slug, name in stores
        )
    )


def inbox_response(
    request: HtmxHttpRequest,
    *,
    conversations: Any,
    side: str,
    tab: str,
    extra: dict[str, Any],
    owner: selectors.InboxOwner | None = None,
) -> HttpResponse:
    filters = _filters(request)
    page = selectors.inbox_page(
        conversations=conversations, side=side, filters=filters, cursor=request.GET.get("after", ""), owner=owner
    )
    query = request.GET.copy()
    query.pop("after", None)
    query.pop("seen", None)
    version = _inbox_version(page.lines)
    if request.htmx and request.GET.get("seen") == version:
        # Nothing changed since the last poll: swap nothing, so the list under a keyboard or
        # screen-reader user's focus is not rebuilt every few seconds.
        return HttpResponse(status=204)
    context = {
        **extra,
        "filter_store_options": _store_options(extra.get("filter_stores", []), chosen=filters.store_slug),
        "page": page,
        # Joined here: one value for the template instead of a loop over rows already rendered.
        "page_rows": SafeString("\n".join(inbox_rows(page))),
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
    stores = selectors.buyer_recent_stores(user=user)
    return inbox_response(
        request,
        conversations=selectors.buyer_conversations(user=user),
        owner=("buyer_id", user.pk),
        side=Side.BUYER,
        tab="inbox",
        extra={"filter_stores": stores, "inbox_url": reverse("messaging:inbox")},
    )


@login_required_live
@require_GET
def badge(request: HttpRequest) -> HttpResponse:
    return render(request, "messaging/_nav.html", {"badge_count": selectors.unread_badge_count(user=request.user)})
