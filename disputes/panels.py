"""Panels on the core's pages: the dispute button and case on orders, disputes and penalties for sellers."""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from disputes import selectors
from disputes.models import Dispute
from disputes.services import dispute_opening_refusal
from portal.actions import ActionItem
from portal.buyer_record import BuyerFact
from portal.models import Order, RequestUser, Store, User
from portal.navigation import SqlPart, capped_count
from portal.selectors import order_is_late, store_ids_for_member


def buyer_order_panel(*, request: HttpRequest, user: User, order: Order, **context: Any) -> str:
    now = timezone.now()
    dispute = selectors.open_dispute_for_order(order=order)
    past = list(
        Dispute.objects.filter(order=order).exclude(status__in=Dispute.OPEN_STATUSES).order_by("-opened_at")[:5]
    )
    refusal = "" if dispute else dispute_opening_refusal(order=order, now=now)
    if dispute is None and not past and refusal and order.status in (Order.Status.PLACED, Order.Status.CANCELLED):
        return ""
    return render_to_string(
        "disputes/panels/buyer_order.html",
        {
            "order": order,
            "dispute": dispute,
            "past": past,
            "refusal": refusal,
            "late": order_is_late(order, now),
            "clocks": selectors.dispute_clocks(dispute=dispute, now=now) if dispute else [],
        },
        request=request,
    )


def seller_order_panel(*, request: HttpRequest, user: User, order: Order, store: Store, **context: Any) -> str:
    disputes = list(Dispute.objects.filter(order=order).order_by("-opened_at")[:5])
    if not disputes:
        return ""
    now = timezone.now()
    return render_to_string(
        "disputes/panels/seller_order.html",
        {
            "order": order,
            "store": store,
            "disputes": disputes,
            "clocks": {d.pk: selectors.dispute_clocks(dispute=d, now=now) for d in disputes if d.is_open},
        },
        request=request,
    )


def buyer_facts(*, buyer: User, store: Store) -> list[BuyerFact]:
    """The disputes the buyer opened, for the buyer's record."""
    counts = selectors.buyer_dispute_counts(buyer=buyer, store=store)
    return [
        BuyerFact(
            label=gettext_lazy("Disputes opened"),
            value=_("%(here)s with this store · %(total)s in all") % counts,
        )
    ]


def store_dashboard_panel(*, request: HttpRequest, user: User, store: Store, **context: Any) -> str:
    now = timezone.now()
    disputes = list(selectors.disputes_for_store(store=store, open_only=True)[:10])
    points = selectors.penalty_points_live(store=store, now=now)
    return render_to_string(
        "disputes/panels/store_dashboard.html",
        {
            "store": store,
            "disputes": [(d, selectors.dispute_clocks(dispute=d, now=now)[:1]) for d in disputes],
            "open_count": selectors.disputes_for_store(store=store, open_only=True).count(),
            "points": points,
            "restricted": selectors.points_restrict(points),
            "threshold": selectors.restriction_threshold(),
            "entries": list(selectors.penalties_for_store(store=store)[:5]),
        },
        request=request,
    )


def store_page_panel(*, request: HttpRequest, user: RequestUser, store: Store, **context: Any) -> str:
    if not selectors.store_is_restricted_public(store=store, now=timezone.now()):
        return ""
    return render_to_string("disputes/panels/store_restricted.html", {"store": store}, request=request)


# The clocks that are deadlines for one side (the others only say when escalating opens).
SELLER_DEADLINES = frozenset({"seller_response", "return_confirm", "auto_escalation", "decision"})
BUYER_DEADLINES = frozenset({"return_ship", "auto_escalation", "decision"})


def _soonest_clock(disputes: list[Dispute], now: datetime, names: frozenset[str]) -> str:
    """The sentence of the nearest deadline among these disputes, as their case pages word it."""
    clocks = [clock for d in disputes for clock in selectors.dispute_clocks(dispute=d, now=now) if clock.name in names]
    return min(clocks, key=lambda clock: clock.due_at).text if clocks else ""


# A home page shows the nearest deadline among this many open cases (newest first): the
# list itself is one page away, and a store with more open cases sees its count regardless.
CLOCK_SAMPLE = 50


def store_actions(*, store: Store, now: datetime) -> list[ActionItem]:
    """Open disputes with the nearest deadline, escalations, and the penalty standing."""
    items = []
    open_disputes = selectors.disputes_for_store(store=store, open_only=True)
    sample = list(open_disputes[:CLOCK_SAMPLE])
    if sample:
        count = open_disputes.count() if len(sample) == CLOCK_SAMPLE else len(sample)
        items.append(
            ActionItem(
                key="open_disputes",
                count=count,
                text=ngettext("%(n)d open dispute", "%(n)d open disputes", count) % {"n": count},
                url=reverse("disputes:store", args=[store.slug]) + "?open=1",
                detail=_soonest_clock(
                    [d for d in sample if d.status != Dispute.Status.ESCALATED], now, SELLER_DEADLINES
                ),
            )
        )
        escalated = [d for d in sample if d.status == Dispute.Status.ESCALATED]
        if escalated:
            escalated_count = (
                len(escalated)
                if len(sample) < CLOCK_SAMPLE
                else open_disputes.filter(status=Dispute.Status.ESCALATED).count()
            )
            items.append(
                ActionItem(
                    key="escalated_disputes",
                    count=escalated_count,
                    text=ngettext(
                        "%(n)d dispute escalated to the platform",
                        "%(n)d disputes escalated to the platform",
                        escalated_count,
                    )
                    % {"n": escalated_count},
                    url=reverse("disputes:store", args=[store.slug]) + "?open=1",
                    detail=_soonest_clock(escalated, now, SELLER_DEADLINES),
                )
            )
    points = selectors.penalty_points_live(store=store, now=now)
    if points:
        restricted = selectors.points_restrict(points)
        items.append(
            ActionItem(
                key="penalty_points",
                count=points,
                text=ngettext("%(n)d live penalty point", "%(n)d live penalty points", points) % {"n": points},
                url=reverse("disputes:penalties", args=[store.slug]),
                detail=(
                    _("The store is restricted: the limit is %(limit)d points.")
                    if restricted
                    else _("Restriction starts at %(limit)d points.")
                )
                % {"limit": selectors.restriction_threshold()},
                urgent=restricted,
            )
        )
    return items


def buyer_actions(*, user: User, now: datetime) -> list[ActionItem]:
    """Disputes where the next step is the buyer's: answer an offer, or ship the item back."""
    waiting = list(selectors.disputes_awaiting_buyer(user=user)[:CLOCK_SAMPLE])
    if not waiting:
        return []
    return [
        ActionItem(
            key="disputes_awaiting_buyer",
            count=len(waiting),
            text=ngettext("%(n)d dispute waiting for you", "%(n)d disputes waiting for you", len(waiting))
            % {"n": len(waiting)},
            url=reverse("disputes:mine"),
            detail=_soonest_clock(waiting, now, BUYER_DEADLINES),
        )
    ]


def open_disputes_parts(user: User) -> list[SqlPart]:
    """`open_disputes_count` as SQL, for the navigation's one query."""
    stores = store_ids_for_member(user=user)
    return [
        capped_count(Dispute.objects.filter(buyer_id=user.pk, status__in=Dispute.OPEN_STATUSES), cap=99),
        capped_count(Dispute.objects.filter(store__in=stores, status__in=Dispute.OPEN_STATUSES), cap=99),
    ]


def open_disputes_count(user: User) -> int:
    """Open disputes the user takes part in, as buyer or seller (capped: a nav badge, not a report)."""
    if not user.is_authenticated:
        return 0
    stores = store_ids_for_member(user=user)
    buyer = Dispute.objects.filter(buyer_id=user.pk, status__in=Dispute.OPEN_STATUSES).values("pk")[:99]
    seller = Dispute.objects.filter(store__in=stores, status__in=Dispute.OPEN_STATUSES).values("pk")[:99]
    return min(99, len(buyer) + len(seller))
