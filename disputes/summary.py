"""The disputes' section of the sellers' weekly summary (portal/weekly_summary.py)."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from disputes import selectors
from disputes.panels import CLOCK_SAMPLE, SELLER_DEADLINES
from portal.models import Store
from portal.weekly_summary import LISTED_ITEMS, Facts, SummarySection, iso, moment_text, register_summary_section


def open_disputes_collect(*, store: Store, now: datetime) -> Facts | None:
    """Open disputes, the soonest deadlines first (the clocks the case pages show the seller)."""
    open_disputes = selectors.disputes_for_store(store=store, open_only=True)
    sample = list(open_disputes[:CLOCK_SAMPLE])
    if not sample:
        return None
    count = open_disputes.count() if len(sample) == CLOCK_SAMPLE else len(sample)
    deadlines = []
    for dispute in sample:
        clocks = [c for c in selectors.dispute_clocks(dispute=dispute, now=now) if c.name in SELLER_DEADLINES]
        if clocks:
            deadlines.append((clocks[0].due_at, dispute.pk, dispute.order.number))
    deadlines.sort()
    return {
        "count": count,
        "items": [{"id": pk, "order": number, "due": iso(due)} for due, pk, number in deadlines[:LISTED_ITEMS]],
    }


def open_disputes_render(facts: Mapping[str, Any], zone: ZoneInfo) -> list[str]:
    count = int(facts["count"])
    return [
        ngettext("%(n)d open dispute.", "%(n)d open disputes.", count) % {"n": count},
        *(
            _("Dispute #%(id)s on order %(number)s: next deadline %(when)s")
            % {"id": item["id"], "number": item["order"], "when": moment_text(item["due"], zone)}
            for item in facts.get("items", [])
        ),
    ]


def register() -> None:
    register_summary_section(
        SummarySection(key="open_disputes", collect=open_disputes_collect, render=open_disputes_render, order=30)
    )
