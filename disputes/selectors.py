"""Every non-trivial read of disputes, complaints and penalties. `*_get_for_user` raise Http404."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Min, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.http import Http404
from django.template.loader import render_to_string
from django.utils.functional import Promise
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from disputes.models import (
    Complaint,
    Dispute,
    DisputeEvent,
    DisputeMessage,
    DisputeOffer,
    EvidenceAccess,
    PenaltyEntry,
)
from portal import fragments
from portal.models import Order, Photo, Store, User
from portal.rules import rules_at, rules_now
from portal.selectors import order_item_listings, order_items_with_listing, store_ids_for_member, store_member_ids

S = Dispute.Status


def _party_filter(user: User) -> Q:
    return Q(buyer_id=user.pk) | Q(store__in=store_ids_for_member(user=user))


def dispute_get_for_user(*, user: User, dispute_id: int) -> Dispute:
    """The dispute if `user` is its buyer or works for its store; Http404 for missing or not theirs."""
    if not user.is_authenticated:
        raise Http404("No such dispute.")
    dispute = (
        Dispute.objects.select_related("order", "store", "buyer").filter(_party_filter(user), pk=dispute_id).first()
    )
    if dispute is None:
        raise Http404("No such dispute.")
    return dispute


def dispute_get_for_store(*, store: Store, dispute_id: int) -> Dispute:
    """One of `store`'s disputes; Http404 for missing or another store's (a store key's view of a case)."""
    dispute = Dispute.objects.select_related("order", "store", "buyer").filter(store=store, pk=dispute_id).first()
    if dispute is None:
        raise Http404("No such dispute.")
    return dispute


def evidence_custody(*, dispute: Dispute, limit: int = 50) -> list[EvidenceAccess]:
    """The case's latest custody entries, newest first (`evidence_access_case`)."""
    return list(EvidenceAccess.objects.filter(dispute=dispute).select_related("photo").order_by("-at", "-pk")[:limit])


def dispute_case(*, dispute: Dispute) -> dict[str, object]:
    """Everything a case page shows, in a fixed number of queries."""
    order = (
        Order.objects.select_related("store", "buyer")
        .prefetch_related(order_items_with_listing())
        .get(pk=dispute.order_id)
    )
    return {
        "order": order,
        # What was bought beside what the listing says now: "not as described" is judged on the first.
        "listings": order_item_listings(order=order),
        "offers": list(
            DisputeOffer.objects.filter(dispute=dispute).select_related("author").order_by("created_at", "pk")
        ),
        "evidence": list(dispute.photos.order_by("pk")),
        "thread": list(
            DisputeMessage.objects.filter(dispute=dispute)
            .select_related("author")
            .prefetch_related(Prefetch("photos", queryset=Photo.objects.order_by("pk")))
            .order_by("created_at", "pk")
        ),
        "events": list(
            DisputeEvent.objects.filter(dispute=dispute).select_related("actor").order_by("created_at", "pk")
        ),
    }


def latest_offers(*, offers: list[DisputeOffer]) -> dict[str, DisputeOffer]:
    current: dict[str, DisputeOffer] = {}
    for offer in offers:  # ordered oldest first: the last one of each side wins
        current[offer.side] = offer
    return current


def disputes_for_buyer(*, user: User) -> QuerySet[Dispute]:
    return Dispute.objects.filter(buyer=user).select_related("order", "store").order_by("-opened_at", "-pk")


def disputes_for_store(*, store: Store, open_only: bool = False) -> QuerySet[Dispute]:
    disputes = Dispute.objects.filter(store=store).select_related("order", "buyer").order_by("-opened_at", "-pk")
    if open_only:
        disputes = disputes.filter(status__in=Dispute.OPEN_STATUSES)
    return disputes


def disputes_awaiting_buyer(*, user: User) -> QuerySet[Dispute]:
    """The buyer's open disputes where the next step is theirs.

    A return to ship back, or a negotiation whose latest offer is the seller's (once the
    buyer answers with an offer of their own, the move is the seller's again).
    """
    latest_side = DisputeOffer.objects.filter(dispute=OuterRef("pk")).order_by("-created_at", "-pk").values("side")[:1]
    return (
        Dispute.objects.filter(buyer=user, status__in=(S.NEGOTIATING, S.AWAITING_RETURN))
        .annotate(latest_side=Subquery(latest_side))
        .filter(Q(status=S.AWAITING_RETURN) | Q(latest_side=DisputeOffer.Side.SELLER))
        .select_related("order", "store")
        .order_by("-opened_at", "-pk")
    )


def buyer_dispute_counts(*, buyer: User, store: Store) -> dict[str, int]:
    """Disputes the buyer opened with this store and with every store: one aggregate on the buyer's index."""
    return Dispute.objects.filter(buyer=buyer).aggregate(total=Count("pk"), here=Count("pk", filter=Q(store=store)))


def open_dispute_for_order(*, order: Order) -> Dispute | None:
    return Dispute.objects.filter(order=order, status__in=Dispute.OPEN_STATUSES).first()


# --- Clocks, as the case pages show them -------------------------------------------------------------


def duration_text(delta: timedelta) -> str:
    """'3 days 4 hours', '5 hours 12 minutes', '2 minutes': the two largest units."""
    seconds = max(0, int(delta.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    day_text = ngettext("%(n)d day", "%(n)d days", days) % {"n": days}
    hour_text = ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}
    minute_text = ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}
    if days:
        return f"{day_text} {hour_text}" if hours else day_text
    if hours:
        return f"{hour_text} {minute_text}" if minutes else hour_text
    return minute_text


# What each clock does when it runs out with nobody acting (the effects are disputes.services.clocks).
CLOCK_EXPIRY: dict[str, Promise] = {
    "seller_response": gettext_lazy("The buyer's request is granted and the seller gets penalty points."),
    "escalation_opens": gettext_lazy("Either side can ask the platform to decide."),
    "escalation_closes": gettext_lazy("Neither side can ask the platform to decide any more."),
    "auto_escalation": gettext_lazy("The case goes to the platform, which decides it."),
    "return_ship": gettext_lazy("The case closes in the seller's favour."),
    "return_confirm": gettext_lazy("The agreed refund is executed."),
    "replacement_receipt": gettext_lazy("The replacement is taken as received and the case closes, with no refund."),
    "decision": gettext_lazy("The platform's resolvers are reminded; the case stays highlighted."),
}


@dataclass(frozen=True)
class RunningClock:
    name: str
    due_at: datetime
    text: str
    html: SafeString


def _clock(name: str, due_at: datetime, sentence: str, now: datetime) -> RunningClock:
    """One running clock as a whole sentence ("The seller has 3 days 4 hours to respond.").

    The sentence stays one piece of text (readable as such by screen readers and searches);
    static/js/disputes.js re-words it from `data-clock-sentence` once less than a day is left,
    ticking by the minute, and says so when the deadline has passed.
    """
    text = sentence % {"left": duration_text(due_at - now)}
    html = render_to_string(
        "disputes/_clock.html",
        {
            "due_at": due_at,
            "sentence": sentence.replace("%(left)s", "{left}"),
            "time_format": _("%h h %m min"),
            "expired": _("The deadline has passed; the case is updated within a minute."),
            "text": text,
        },
    )
    return RunningClock(name=name, due_at=due_at, text=text, html=html)


def dispute_clocks(*, dispute: Dispute, now: datetime) -> list[RunningClock]:
    """Every clock running on the dispute now, soonest first."""
    clocks: list[RunningClock] = []
    status = dispute.status
    if status == S.AWAITING_SELLER and dispute.seller_response_due_at:
        clocks.append(
            _clock("seller_response", dispute.seller_response_due_at, _("The seller has %(left)s to respond."), now)
        )
    if status in (S.AWAITING_SELLER, S.NEGOTIATING, S.AWAITING_RETURN, S.RETURN_SHIPPED):
        if now < dispute.escalation_opens_at:
            clocks.append(
                _clock(
                    "escalation_opens",
                    dispute.escalation_opens_at,
                    _("Either side can ask the platform to decide in %(left)s."),
                    now,
                )
            )
        elif now <= dispute.escalation_closes_at and status in (S.AWAITING_RETURN, S.RETURN_SHIPPED):
            clocks.append(
                _clock(
                    "escalation_closes",
                    dispute.escalation_closes_at,
                    _("Either side can ask the platform to decide for %(left)s more."),
                    now,
                )
            )
    if status in (S.AWAITING_SELLER, S.NEGOTIATING):
        clocks.append(
            _clock(
                "auto_escalation",
                dispute.auto_escalate_at,
                _("If it is not resolved, the case goes to the platform in %(left)s."),
                now,
            )
        )
    if status == S.AWAITING_RETURN and dispute.return_ship_due_at:
        clocks.append(
            _clock("return_ship", dispute.return_ship_due_at, _("The buyer has %(left)s to ship the item back."), now)
        )
    if status == S.RETURN_SHIPPED and dispute.return_confirm_due_at:
        clocks.append(
            _clock(
                "return_confirm",
                dispute.return_confirm_due_at,
                _("The seller has %(left)s to confirm receipt of the return."),
                now,
            )
        )
    if status == S.AWAITING_REPLACEMENT and dispute.replacement_due_at:
        clocks.append(
            _clock(
                "replacement_receipt",
                dispute.replacement_due_at,
                _("The buyer has %(left)s to confirm the replacement arrived or report it missing."),
                now,
            )
        )
    if status == S.ESCALATED and dispute.decision_due_at and dispute.decision_due_at > now:
        clocks.append(_clock("decision", dispute.decision_due_at, _("The platform will decide within %(left)s."), now))
    return sorted(clocks, key=lambda clock: clock.due_at)


def dispute_can_escalate(*, dispute: Dispute, now: datetime, side: str | None = None) -> bool:
    if dispute.status == S.AWAITING_REPLACEMENT:
        # A replacement that does not come: the buyer asks the platform, until it is taken as received.
        return side == "buyer"
    return (
        dispute.status in (S.AWAITING_SELLER, S.NEGOTIATING, S.AWAITING_RETURN, S.RETURN_SHIPPED)
        and dispute.escalation_opens_at <= now <= dispute.escalation_closes_at
    )


# --- Penalties ---------------------------------------------------------------------------------------


def store_points_live(*, store_id: int, now: datetime) -> int:
    """Points not yet expired (withdrawals count negative and expire with what they withdraw)."""
    total = PenaltyEntry.objects.filter(store_id=store_id, expires_at__gt=now).aggregate(total=Sum("points"))["total"]
    return max(0, total or 0)


def penalty_points_live(*, store: Store, now: datetime) -> int:
    return store_points_live(store_id=store.pk, now=now)


def restriction_threshold() -> int:
    """The live points at which a store is restricted, by the rules in force now (not a clock)."""
    return rules_now().penalty_restriction_points


def points_restrict(points: int) -> bool:
    """Whether `points` live penalty points restrict a store: the one rule every page and clock reads."""
    return points >= restriction_threshold()


def store_is_restricted(*, store: Store, now: datetime) -> bool:
    return points_restrict(penalty_points_live(store=store, now=now))


def store_points_live_cached(*, store_id: int, now: datetime) -> int:
    """`store_points_live` for the store's public pages, from the cache: no query on most pages.

    Live points change only when an entry is written (saving one renews the store's
    `penalties` version) or when one expires: the entry holds until the soonest live expiry.
    The limit they are compared with is read per request (the rules in force).
    """

    def build() -> tuple[int, datetime | None]:
        live = PenaltyEntry.objects.filter(store_id=store_id, expires_at__gt=now).aggregate(
            total=Sum("points"), soonest=Min("expires_at")
        )
        return max(0, live["total"] or 0), live["soonest"]

    return fragments.cached(
        name="disputes.live_points", topics=["penalties"], store_id=store_id, build=build, localized=False, now=now
    )


def store_is_restricted_public(*, store: Store, now: datetime) -> bool:
    """`store_is_restricted` for the public pages (the banner), through `store_points_live_cached`."""
    return points_restrict(store_points_live_cached(store_id=store.pk, now=now))


def restriction_lapses_at(*, store_id: int, now: datetime) -> datetime:
    """When the store's live points drop under the limit as the ledger stands (`now` if they already are).

    Live points only fall by expiry between two ledger changes, so walking the live entries by
    expiry finds the moment; a later penalty or withdrawal recomputes it. One query.
    """
    by_expiry = list(
        PenaltyEntry.objects.filter(store_id=store_id, expires_at__gt=now)
        .values("expires_at")
        .annotate(points=Sum("points"))
        .order_by("expires_at")
        .values_list("expires_at", "points")
    )
    remaining = sum(points for _expires_at, points in by_expiry)
    if not points_restrict(max(0, remaining)):
        return now
    for expires_at, points in by_expiry:
        remaining -= points
        if not points_restrict(max(0, remaining)):
            return expires_at
    # Reached only with a limit of 0 (always restricted): no lapse before the last entry expires.
    return by_expiry[-1][0] if by_expiry else now


def penalties_for_store(*, store: Store) -> QuerySet[PenaltyEntry]:
    return (
        PenaltyEntry.objects.filter(store=store)
        .select_related("dispute__order", "reverses")
        .prefetch_related("appeal", "reversal")
        .order_by("-created_at", "-pk")
    )


def penalty_appeal_deadline(*, entry: PenaltyEntry) -> datetime:
    """The appeal clock copies the rules in force when the penalty was added."""
    return entry.created_at + timedelta(days=rules_at(entry.created_at).penalty_appeal_days)


def penalty_can_appeal(*, entry: PenaltyEntry, now: datetime) -> bool:
    if entry.reverses_id is not None or now >= penalty_appeal_deadline(entry=entry):
        return False
    return not Complaint.objects.filter(penalty=entry).exists()


def dispute_store_member_ids(*, dispute: Dispute) -> list[int]:
    """The store's members, read once per dispute object (a sweep notifies them twice per case)."""
    cached: list[int] | None = getattr(dispute, "_member_ids", None)
    if cached is None:
        cached = list(store_member_ids(store_ids=[dispute.store_id]))
        dispute._member_ids = cached  # type: ignore[attr-defined]
    return cached


# --- Complaints --------------------------------------------------------------------------------------


def complaint_get_for_user(*, user: User, complaint_id: int) -> Complaint:
    if not user.is_authenticated:
        raise Http404("No such complaint.")
    complaint = (
        Complaint.objects.select_related("store", "order", "penalty").filter(author=user, pk=complaint_id).first()
    )
    if complaint is None:
        raise Http404("No such complaint.")
    return complaint


def complaints_for_user(*, user: User) -> QuerySet[Complaint]:
    return Complaint.objects.filter(author=user).select_related("store").order_by("-created_at", "-pk")


def complaint_clock(*, complaint: Complaint, now: datetime) -> RunningClock | None:
    if complaint.first_responded_at is not None or complaint.status not in (
        Complaint.Status.NEW,
        Complaint.Status.IN_PROGRESS,
    ):
        return None
    if complaint.first_response_due_at <= now:
        return None
    return _clock(
        "complaint_response", complaint.first_response_due_at, _("The platform will answer within %(left)s."), now
    )
