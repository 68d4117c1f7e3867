"""The feedback sections of the sellers' weekly summary (portal/weekly_summary.py).

The counts are the seller dashboard's (the same selectors as `feedback.panels.store_actions`).
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from feedback import selectors
from portal.models import Store
from portal.weekly_summary import Facts, SummarySection, iso, moment_text, register_summary_section


def reviews_awaiting_reply_collect(*, store: Store, now: datetime) -> Facts | None:
    count = selectors.reviews_awaiting_reply_count(store=store)
    return {"count": count} if count else None


def reviews_awaiting_reply_render(facts: Mapping[str, Any], zone: ZoneInfo) -> list[str]:
    count = int(facts["count"])
    return [
        ngettext("%(n)d review is awaiting your reply.", "%(n)d reviews are awaiting your reply.", count) % {"n": count}
    ]


def buyers_to_rate_collect(*, store: Store, now: datetime) -> Facts | None:
    soonest = selectors.windows_to_rate(store=store, now=now, limit=1)
    if not soonest:
        return None
    return {"count": selectors.windows_to_rate_count(store=store, now=now), "closes": iso(soonest[0].closes_at)}


def buyers_to_rate_render(facts: Mapping[str, Any], zone: ZoneInfo) -> list[str]:
    count = int(facts["count"])
    return [
        ngettext("%(n)d buyer is still to rate.", "%(n)d buyers are still to rate.", count) % {"n": count},
        _("Next window closes: %(when)s") % {"when": moment_text(facts["closes"], zone)},
    ]


def score_change_collect(*, store: Store, now: datetime) -> Facts | None:
    change = selectors.store_score_change(store=store, now=now)
    if change.now is None:
        return None
    return {"now": change.now, "week_ago": change.week_ago}


def score_change_render(facts: Mapping[str, Any], zone: ZoneInfo) -> list[str]:
    now, week_ago = float(facts["now"]), facts.get("week_ago")
    percent = number_format(now, 1)
    if week_ago is None:
        return [_("Positive feedback: %(percent)s%% (no score a week ago).") % {"percent": percent}]
    difference = round(now - float(week_ago), 1)
    if difference == 0:
        return [_("Positive feedback: %(percent)s%%, unchanged since a week ago.") % {"percent": percent}]
    text = (
        _("Positive feedback: %(percent)s%%, up %(points)s points since a week ago.")
        if difference > 0
        else _("Positive feedback: %(percent)s%%, down %(points)s points since a week ago.")
    )
    return [text % {"percent": percent, "points": number_format(abs(difference), 1)}]


def register() -> None:
    register_summary_section(
        SummarySection(
            key="reviews_awaiting_reply",
            collect=reviews_awaiting_reply_collect,
            render=reviews_awaiting_reply_render,
            order=50,
        )
    )
    register_summary_section(
        SummarySection(key="buyers_to_rate", collect=buyers_to_rate_collect, render=buyers_to_rate_render, order=60)
    )
    register_summary_section(
        SummarySection(
            key="score_change",
            collect=score_change_collect,
            render=score_change_render,
            order=70,
            informational=True,
        )
    )
