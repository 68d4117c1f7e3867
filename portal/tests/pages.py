"""Which pages a person reaches: the navigation and one level below, one page per kind.

A page "kind" is its URL route (every order page is the same template); in the admin, where only
the index and the work queues are visited, it is the path. Shared by the HTTP-level page test and the Chromium walk.
"""

import re
from collections.abc import Callable, Iterable
from urllib.parse import urljoin, urlsplit

from django.urls import Resolver404, resolve

# Links that are not pages to look at: actions, files, polling fragments.
SKIPPED = re.compile(
    r"^/(?:static|media|photos|language|accounts/logout|api)/|^/messages/(?:badge|c/\d+/poll|m/\d+/photos)/"
)


# The admin's pages for staff: its index and the work queues (Django's own model lists are
# covered by the admin's tests).
ADMIN_PAGES = {
    "/admin/",
    "/admin/disputes/dispute/",
    "/admin/disputes/complaint/",
    "/admin/disputes/penaltyentry/",
    "/admin/feedback/reviewreport/",
    "/admin/messaging/messagereport/",
    "/admin/messaging/conversation/",
}


def page_kind(path: str) -> str | None:
    """The kind of page at `path` (None: not a page of this site worth a visit)."""
    if SKIPPED.search(path) or (path.startswith("/admin/") and path not in ADMIN_PAGES):
        return None
    try:
        match = resolve(path)
    except Resolver404:
        return None
    if path.startswith("/admin/"):
        return path
    return match.view_name


def local_path(base: str, href: str) -> str | None:
    """The site-local path (without query or fragment) that `href` on page `base` points to."""
    if not href or href.startswith(("#", "mailto:", "tel:", "javascript:")):
        return None
    url = urlsplit(urljoin("http://testserver" + base, href))
    if url.netloc not in ("testserver",) or url.query:
        return None
    return url.path


def reachable_pages(start: Iterable[str], links_of: Callable[[str], Iterable[str]], *, depth: int = 2) -> list[str]:
    """The pages reachable from `start` within `depth` clicks, one per kind, in visiting order.

    `links_of(path)` returns the hrefs on the page at `path` (it is where the page is fetched).
    """
    seen_kinds: set[str] = set()
    order: list[str] = []
    level = list(start)
    for current_depth in range(depth + 1):
        following: list[str] = []
        for path in level:
            kind = page_kind(path)
            if kind is None or kind in seen_kinds:
                continue
            seen_kinds.add(kind)
            order.append(path)
            hrefs = list(links_of(path))
            if current_depth < depth:
                following.extend(p for p in (local_path(path, href) for href in hrefs) if p)
        level = following
    return order
