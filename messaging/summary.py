"""The message centre's section of the sellers' weekly summary (portal/weekly_summary.py)."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from messaging import selectors
from portal.models import Store
from portal.weekly_summary import Facts, SummarySection, iso, moment_text, register_summary_section


def unanswered_collect(*, store: Store, now: datetime) -> Facts | None:
    """Buyers whose last message is still unanswered: the dashboard's count and the longest wait."""
    since = selectors.store_unanswered_since(store=store)
    if since is None:
        return None
    return {"count": selectors.store_unanswered_count(store=store), "since": iso(since)}


def unanswered_render(facts: Mapping[str, Any], zone: ZoneInfo) -> list[str]:
    count = int(facts["count"])
    return [
        ngettext("%(n)d buyer is waiting for an answer.", "%(n)d buyers are waiting for an answer.", count)
        % {"n": count},
        _("Waiting since: %(when)s") % {"when": moment_text(facts["since"], zone)},
    ]


def register() -> None:
    register_summary_section(
        SummarySection(key="unanswered", collect=unanswered_collect, render=unanswered_render, order=40)
    )
