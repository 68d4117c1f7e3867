"""The sellers' weekly summary: every Saturday at 09:00 store time, what needs attention.

A summary is a list of *sections*. Each app registers its own (`register_summary_section`
in its `AppConfig.ready()`): a `collect(store=…, now=…)` that returns the section's facts
(counts, order numbers, moments as ISO strings; JSON, stored as they are) or None when
there is nothing to say, and a `render(facts, zone)` that words them in the active
language. Adding a section is one registration. The sweep collects every section when the
summary is sent and stores the facts on a `WeeklySummary` row and in the notification's
parameters; the text is rendered from them whenever someone reads it, in their language.

The clock is `Store.weekly_summary_due_at` (partial index): the next Saturday 09:00 on the
store's wall clock, set when the store is created or changes its time zone. The sweep locks
a batch of due stores (`SKIP LOCKED`: two workers take disjoint batches), and for each one
sends the summary and advances the due time in the same transaction, so a store is summed
up once a week whatever the number of workers; the unique (store, week) constraint is the
final guard. A worker that was down on Saturday sends the summary when it is back, once,
marked late, and the next due time is the next Saturday after *now*: no burst of missed weeks.
"""

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from portal.dates import format_moment
from portal.deadlines import MAX_BATCHES_PER_RUN
from portal.models import Order, Store, User, WeeklySummary
from portal.notify import NotificationKind, notify, register_notification_kind
from portal.rules import all_versions
from portal.selectors import (
    order_handling_due_at,
    order_is_overdue,
    orders_for_store,
    orders_late,
    store_agent_memberships_of,
    store_summary_recipient_ids,
)

if TYPE_CHECKING:
    from portal.demo import DemoWorld

logger = logging.getLogger(__name__)

SATURDAY = 5
SEND_AT = time(9, 0)
# A summary sent this long after its due time says it is late (the worker was down).
LATE_AFTER = timedelta(hours=1)
# How many items a section lists by name; the count says how many there are in all.
LISTED_ITEMS = 5
# A paid order this close to its handling limit is listed as "near" the limit.
HANDLING_NEAR = timedelta(days=2)


# --- The clock ----------------------------------------------------------------------------------


def weekly_summary_next_due(*, time_zone: str, after: datetime) -> datetime:
    """The first Saturday 09:00 on the wall clock of `time_zone` strictly after `after` (in UTC).

    Built from the local date and time, then resolved in the zone, so 09:00 stays 09:00 across
    daylight saving changes (the UTC moment moves by an hour, the wall clock does not).
    """
    zone = ZoneInfo(time_zone)
    local = after.astimezone(zone)
    day = local.date() + timedelta(days=(SATURDAY - local.weekday()) % 7)
    due = datetime.combine(day, SEND_AT, tzinfo=zone)
    if due <= after:
        due = datetime.combine(day + timedelta(days=7), SEND_AT, tzinfo=zone)
    return due.astimezone(UTC)


def summary_week(*, due_at: datetime, time_zone: str) -> date:
    """The week a summary belongs to: the date of its Saturday on the store's calendar."""
    return due_at.astimezone(ZoneInfo(time_zone)).date()


def store_weekly_summary_redate(*, store: Store, now: datetime) -> None:
    """Set the store's next due time from its (new) time zone; call inside the store's locked transaction.

    A week already summed up is skipped: a store moving west on a Saturday morning, after its
    summary went out, does not get a second one for the same week.
    """
    due = weekly_summary_next_due(time_zone=store.time_zone, after=now)
    last_week = WeeklySummary.objects.filter(store=store).order_by("-week").values_list("week", flat=True).first()
    while last_week is not None and summary_week(due_at=due, time_zone=store.time_zone) <= last_week:
        due = weekly_summary_next_due(time_zone=store.time_zone, after=due)
    store.weekly_summary_due_at = due


# --- Sections -----------------------------------------------------------------------------------

Facts = dict[str, Any]


class SectionCollect(Protocol):
    def __call__(self, *, store: Store, now: datetime) -> Facts | None: ...


SectionRender = Callable[[Mapping[str, Any], ZoneInfo], list[str]]


@dataclass(frozen=True)
class SummarySection:
    """One part of the summary.

    `collect` returns JSON-serialisable facts, or None (or an empty dict) when the section has
    nothing to say: it is then left out. `render` words the facts in the active language, the
    first line a sentence with the count, the next ones the listed items. An `informational`
    section (the score) does not keep the summary from being "all clear".
    """

    key: str
    collect: SectionCollect
    render: SectionRender
    order: int = 100
    informational: bool = False


SUMMARY_SECTIONS: dict[str, SummarySection] = {}


def register_summary_section(section: SummarySection) -> None:
    """Add a section to every store's weekly summary (call from `AppConfig.ready()`)."""
    SUMMARY_SECTIONS[section.key] = section


def _sections() -> list[SummarySection]:
    return sorted(SUMMARY_SECTIONS.values(), key=lambda section: (section.order, section.key))


def summary_collect(*, store: Store, now: datetime) -> dict[str, Facts]:
    """Every section's facts for the store at `now`, leaving out the sections with nothing to say."""
    contents: dict[str, Facts] = {}
    for section in _sections():
        facts = section.collect(store=store, now=now)
        if facts:
            contents[section.key] = facts
    return contents


def iso(moment: datetime) -> str:
    """A moment as a section stores it among its facts."""
    return moment.astimezone(UTC).isoformat()


def moment_text(value: str, zone: ZoneInfo) -> str:
    """A stored moment as the reader sees it: the weekday and date-time on the store's clock."""
    moment = parse_datetime(value)
    if moment is None:
        return "—"
    local = moment.astimezone(zone)
    return f"{date_format(local, 'l')} {format_moment(local, zone=zone)}"


def summary_text(params: Mapping[str, Any]) -> str:
    """The summary's text in the active language, from a notification's (or record's) parameters.

    Sections registered since are rendered when present; facts of a section no longer
    registered are skipped. Moments are on the store's wall clock (the summary says so).
    """
    zone = ZoneInfo(str(params.get("time_zone") or "UTC"))
    contents = params.get("sections") or {}
    lines: list[str] = []
    if params.get("late") and params.get("due_at"):
        lines += [
            _("Sent late: this summary was due on %(when)s.") % {"when": moment_text(str(params["due_at"]), zone)},
            "",
        ]
    action = False
    blocks: list[list[str]] = []
    for section in _sections():
        facts = contents.get(section.key)
        if not facts:
            continue
        rendered = section.render(facts, zone)
        if rendered:
            blocks.append(rendered)
            action = action or not section.informational
    if not action:
        lines += [_("All clear: nothing needs your attention this week."), ""]
    for block in blocks:
        lines.append(block[0])
        lines += [f"  – {line}" for line in block[1:]]
        lines.append("")
    lines.append(_("Times are in the store's time zone (%(zone)s).") % {"zone": zone.key})
    return "\n".join(lines).strip()


def summary_params(*, summary: WeeklySummary, store: Store) -> dict[str, Any]:
    """What the notification carries: the record's facts, enough to render the text without a query."""
    return {
        "summary_id": summary.pk,
        "store_id": store.pk,
        "store": store.name,
        "time_zone": store.time_zone,
        "due_at": iso(summary.due_at),
        "late": summary.late,
        "sections": summary.contents,
    }


def _summary_link(params: Mapping[str, Any]) -> str:
    slug = Store.objects.filter(pk=int(params["store_id"])).values_list("slug", flat=True).first()
    return reverse("portal:store_dashboard", args=[slug]) if slug else ""


def register_kind() -> None:
    register_notification_kind(
        "weekly_summary",
        NotificationKind(
            title=gettext_lazy("Weekly summary for %(store)s"),
            body=gettext_lazy("What needs attention in %(store)s this week."),
            render_body=summary_text,
            link=_summary_link,
            topic="orders",
        ),
    )


# --- Sending ------------------------------------------------------------------------------------


def weekly_summary_send(*, store: Store, now: datetime) -> WeeklySummary | None:
    """Send the locked, due store's summary and advance its due time; call inside its locked transaction.

    Returns None when the (store, week) summary exists already (the unique constraint, the final
    guard), after advancing the due time all the same.
    """
    due_at = store.weekly_summary_due_at
    assert due_at is not None, "only a dated store is summed up"
    assert due_at <= now, "only a due store is summed up"
    contents = summary_collect(store=store, now=now)
    recipients = store_summary_recipient_ids(store_id=store.pk)
    summary: WeeklySummary | None
    try:
        with transaction.atomic():
            summary = WeeklySummary.objects.create(
                store=store,
                week=summary_week(due_at=due_at, time_zone=store.time_zone),
                due_at=due_at,
                sent_at=now,
                late=now - due_at >= LATE_AFTER,
                contents=contents,
            )
    except IntegrityError:
        summary = None
    if summary is not None:
        # A new row has no recipients yet: one INSERT, not `set()`'s read-then-write.
        through = WeeklySummary.recipients.through
        through.objects.bulk_create([through(weeklysummary_id=summary.pk, user_id=user_id) for user_id in recipients])
        params = summary_params(summary=summary, store=store)
        for user_id in recipients:
            notify(user_id=user_id, kind="weekly_summary", params=params, now=now)
    store.weekly_summary_due_at = weekly_summary_next_due(time_zone=store.time_zone, after=now)
    store.save(update_fields=["weekly_summary_due_at"])
    return summary


def weekly_summaries_sweep(*, now: datetime, batch_size: int | None = None) -> int:
    """Send every due store's weekly summary once; returns how many were sent.

    Each batch is one transaction that locks its stores with `FOR NO KEY UPDATE SKIP LOCKED`:
    a second worker takes the next stores instead of waiting, and a store it reads after the
    first committed is no longer due. NO KEY keeps new orders and messages of those stores
    (which take a key-share lock on the store row) from waiting for the batch. A store whose
    section fails is rolled back to its savepoint, logged, and stays due for the next run.
    """
    limit = batch_size or settings.OPINIA_SWEEP_BATCH_SIZE
    sent = 0
    for _batch in range(MAX_BATCHES_PER_RUN):
        with transaction.atomic():
            stores = list(
                Store.objects.select_for_update(skip_locked=True, no_key=True)
                .filter(weekly_summary_due_at__lte=now)
                .order_by("weekly_summary_due_at", "pk")[:limit]
            )
            failed = 0
            for store in stores:
                try:
                    with transaction.atomic():
                        sent += weekly_summary_send(store=store, now=now) is not None
                except Exception:
                    # One store's broken data must not hold every other store's summary back.
                    logger.exception("Weekly summary of store %s failed; retried at the next run", store.pk)
                    failed += 1
        if len(stores) < limit or failed == len(stores):
            break
    return sent


def store_member_set_weekly_summary(*, user: User, store_ids: list[int]) -> int:
    """Receive the weekly summary of exactly `store_ids` among the stores the user is an agent of.

    Owners always receive it; ids of other stores are ignored. Returns how many memberships changed.
    """
    memberships = store_agent_memberships_of(user=user)
    wanted = set(store_ids)
    changed = 0
    with transaction.atomic():
        for member in memberships.select_for_update(of=("self",)):
            if member.weekly_summary != (member.store_id in wanted):
                member.weekly_summary = member.store_id in wanted
                member.save(update_fields=["weekly_summary"])
                changed += 1
    return changed


# --- The core's own sections --------------------------------------------------------------------


def late_shipments_collect(*, store: Store, now: datetime) -> Facts | None:
    """Shipped orders past their latest promised delivery date."""
    late = orders_late(orders_for_store(store=store, status=Order.Status.SHIPPED), now=now)
    rows = late.order_by("delivery_by_at", "pk").values_list("number", "delivery_by_at")[:LISTED_ITEMS]
    listed = [(number, by) for number, by in rows if by is not None]  # the filter leaves no None
    if not listed:
        return None
    count = len(listed) if len(listed) < LISTED_ITEMS else late.count()
    return {"count": count, "items": [{"number": number, "by": iso(by)} for number, by in listed]}


def late_shipments_render(facts: Mapping[str, Any], zone: ZoneInfo) -> list[str]:
    count = int(facts["count"])
    return [
        ngettext(
            "%(n)d shipped order is past its promised delivery date.",
            "%(n)d shipped orders are past their promised delivery date.",
            count,
        )
        % {"n": count},
        *(
            _("Order %(number)s: promised by %(when)s")
            % {"number": item["number"], "when": moment_text(item["by"], zone)}
            for item in facts.get("items", [])
        ),
    ]


def handling_limit_collect(*, store: Store, now: datetime) -> Facts | None:
    """Paid orders over their handling limit, or within two days of it.

    "Over" is the desk's `order_is_overdue`: past payment plus the handling days of the rules in
    force at payment. The query narrows with the shortest handling limit any rules version has
    (a superset), and each order's own limit decides; a store's paid backlog is small.
    """
    shortest = min(timedelta(days=rules.handling_days) for rules in all_versions())
    waiting = orders_for_store(store=store, status=Order.Status.PAID).filter(
        paid_at__lte=now + HANDLING_NEAR - shortest
    )
    due = [
        (limit, order.number, order)
        for order in waiting.select_related(None).only("pk", "number", "paid_at", "status")
        if (limit := order_handling_due_at(order)) is not None and limit <= now + HANDLING_NEAR
    ]
    if not due:
        return None
    due.sort(key=lambda row: (row[0], row[2].pk))
    over = sum(order_is_overdue(order, now) for _limit, _number, order in due)
    return {
        "over": over,
        "near": len(due) - over,
        "items": [{"number": number, "limit": iso(limit)} for limit, number, _order in due[:LISTED_ITEMS]],
    }


def handling_limit_render(facts: Mapping[str, Any], zone: ZoneInfo) -> list[str]:
    over, near = int(facts["over"]), int(facts["near"])
    parts = []
    if over:
        parts.append(
            ngettext(
                "%(n)d paid order is over the handling limit.", "%(n)d paid orders are over the handling limit.", over
            )
            % {"n": over}
        )
    if near:
        parts.append(
            ngettext(
                "%(n)d paid order reaches the handling limit within 2 days.",
                "%(n)d paid orders reach the handling limit within 2 days.",
                near,
            )
            % {"n": near}
        )
    return [
        " ".join(parts),
        *(
            _("Order %(number)s: ship by %(when)s")
            % {"number": item["number"], "when": moment_text(item["limit"], zone)}
            for item in facts.get("items", [])
        ),
    ]


def register_core_sections() -> None:
    register_summary_section(
        SummarySection(key="late_shipments", collect=late_shipments_collect, render=late_shipments_render, order=10)
    )
    register_summary_section(
        SummarySection(key="handling_limit", collect=handling_limit_collect, render=handling_limit_render, order=20)
    )


# --- Demo data ----------------------------------------------------------------------------------

DEMO_DUE_IN = timedelta(minutes=3)


def seed_weekly_summary(world: "DemoWorld") -> None:
    """The first demo store's summary falls due minutes after seeding, so the worker visibly sends it.

    Its agent has asked for the summary too. The clock is moved directly: a demo shortcut for
    "it is Saturday 09:00 there", which no service offers.
    """
    store = world.stores[0]
    store_member_set_weekly_summary(user=world.agent, store_ids=[store.pk])
    Store.objects.filter(pk=store.pk).update(weekly_summary_due_at=world.now + DEMO_DUE_IN)
