"""Store keys: the store's disputes, read with their clocks, and the seller's moves on them.

The same moves as the case page (`disputes.views`), through the same forms (for input
validation and its messages), the same catch-up of overdue clocks before an action and the
same services. A store key acts as the store's owner, the person who created it. Every case
is looked up inside the key's store: another store's case is a 404.
"""

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Literal
from uuid import UUID

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from ninja import File, Form, Path, Query, Router, Schema
from ninja.files import UploadedFile
from pydantic import Field

from api.auth import request_store, store_key
from api.fields import fields_as
from api.pagination import DEFAULT_LIMIT, MAX_LIMIT, keyset_page
from api.problems import ApiProblem
from api.routers.orders import IdempotencyKey
from api.schemas import KEY_PROBLEMS, Money, dump, money, problems, utc
from api.writes import api_write, json_response
from disputes import selectors as dispute_selectors
from disputes import services as dispute_services
from disputes import sweeps as dispute_sweeps
from disputes.forms import MessageForm, OfferForm
from disputes.models import Dispute, DisputeMessage
from portal.models import Photo, User

router = Router(tags=["disputes"])

Status = Literal[
    "awaiting_seller",
    "negotiating",
    "escalated",
    "awaiting_return",
    "return_shipped",
    "awaiting_replacement",
    "resolved",
    "cancelled",
]
# What the buyer asks for; an offer may also be the seller's replacement (the item sent again).
Outcome = Literal["full_refund", "partial_refund", "return_refund"]
OfferKind = Literal["full_refund", "partial_refund", "return_refund", "replacement"]
Side = Literal["buyer", "seller"]
ClockName = Literal[
    "seller_response",
    "escalation_opens",
    "escalation_closes",
    "auto_escalation",
    "return_ship",
    "return_confirm",
    "replacement_receipt",
    "decision",
]
# At most this many evidence photos per message, as on the case page (MessageForm).
MAX_PHOTOS = 5

DisputeId = Path(..., ge=1, le=2**63 - 1)
EvidencePhotos = File(None, description="Up to 5 evidence photos (JPEG, PNG or WebP, at most 5 MB each).")


class ClockOut(Schema):
    name: ClockName
    due_at: datetime = Field(description="When the clock runs out (UTC).")
    text: str = Field(description="The case page's sentence: who has how long left to do what.")
    on_expiry: str = Field(description="What happens when it runs out with nobody acting.")


class PhotoOut(Schema):
    id: UUID
    status: Literal["processing", "ready", "failed"] = Field(
        description="Photos are re-encoded after upload; `processing` until then."
    )
    original_name: str
    url: str = Field(description="The photo on the site, for a signed-in member of the store.")


class OfferOut(Schema):
    side: Side
    kind: OfferKind
    amount: Money = Field(description="The refund offered; 0 for a replacement.")
    note: str
    carrier: str = Field(description="A replacement's carrier (empty for refunds).")
    tracking_number: str = Field(description="A replacement's tracking number (empty for refunds).")
    created_at: datetime
    accepted_at: datetime | None


class ReturnOut(Schema):
    agreed_amount: Money | None = Field(description="The refund agreed for the return.")
    tracking_number: str = Field(description="The buyer's tracking number of the return, once shipped.")
    ship_due_at: datetime | None
    confirm_due_at: datetime | None


class ReplacementOut(Schema):
    carrier: str
    tracking_number: str
    due_at: datetime | None = Field(
        description="When the replacement is taken as received if the buyer neither confirms it nor reports it missing."
    )


class ThreadMessageOut(Schema):
    id: int
    side: Side
    text: str
    photos: list[PhotoOut]
    created_at: datetime


class DisputeSummaryOut(Schema):
    id: int
    order_number: str
    order_ref: str | None = Field(description="The marketplace's order reference, if the order came from it.")
    buyer_name: str
    status: Status
    reason: str
    requested_outcome: Outcome
    requested_amount: Money
    opened_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    next_clock: ClockOut | None = Field(description="The clock that runs out first, if any runs.")


class DisputeOut(DisputeSummaryOut):
    detail: str
    description: str
    order_total: Money
    resolution: str
    refund_amount: Money | None
    clocks: list[ClockOut] = Field(description="Every clock running now, soonest first.")
    offers: list[OfferOut] = Field(description="Both sides' offers, oldest first; the buyer's request is the first.")
    acceptable_offer: OfferOut | None = Field(description="The buyer's current offer, if the seller may accept it.")
    can_escalate: bool
    evidence: list[PhotoOut] = Field(description="The buyer's photos sent with the dispute.")
    returns: ReturnOut | None = Field(description="The return, once a return and refund was agreed.")
    replacement: ReplacementOut | None = Field(description="The replacement, once the buyer accepted one.")
    thread: list[ThreadMessageOut]


class DisputePage(Schema):
    items: list[DisputeSummaryOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


class OfferMoneyIn(Schema):
    # Validated by the case page's form (its messages), not by a pattern of the API's own.
    amount: str = Field(max_length=32, description="A decimal string, e.g. 12.50.", examples=["12.50"])
    currency: str = Field(pattern=r"^[A-Z]{3}$", description="The order's currency (ISO 4217).", examples=["USD"])


class OfferIn(Schema):
    kind: OfferKind = Field(description="What the seller offers instead of the buyer's request.")
    amount: OfferMoneyIn | None = Field(default=None, description="Required for a partial refund.")
    carrier: str = Field(default="", max_length=64, description="Required for a replacement: the new parcel's carrier.")
    tracking_number: str = Field(
        default="", max_length=64, description="Required for a replacement: the new parcel's tracking number."
    )
    note: str = Field(default="", max_length=2000, description="Why; shown to the buyer.")


# --- Rendering -----------------------------------------------------------------------------------


def clock_out(clock: dispute_selectors.RunningClock) -> dict[str, object]:
    return {
        "name": clock.name,
        "due_at": utc(clock.due_at),
        "text": clock.text,
        "on_expiry": str(dispute_selectors.CLOCK_EXPIRY.get(clock.name, "")),
    }


def photo_out(request: HttpRequest, photo: Photo) -> dict[str, object]:
    return {
        "id": photo.uuid,
        "status": photo.status,
        "original_name": photo.original_name,
        "url": request.build_absolute_uri(reverse("portal:photo", args=[photo.uuid])),
    }


def offer_out(offer: object, currency: str) -> dict[str, object]:
    return {
        "side": offer.side,  # type: ignore[attr-defined]
        "kind": offer.kind,  # type: ignore[attr-defined]
        "amount": money(offer.amount, currency),  # type: ignore[attr-defined]
        "note": offer.note,  # type: ignore[attr-defined]
        "carrier": offer.carrier,  # type: ignore[attr-defined]
        "tracking_number": offer.tracking_number,  # type: ignore[attr-defined]
        "created_at": utc(offer.created_at),  # type: ignore[attr-defined]
        "accepted_at": utc(offer.accepted_at),  # type: ignore[attr-defined]
    }


def summary_out(dispute: Dispute, *, now: datetime) -> dict[str, object]:
    clocks = dispute_selectors.dispute_clocks(dispute=dispute, now=now)
    currency = dispute.order.currency
    return {
        "id": dispute.pk,
        "order_number": dispute.order.number,
        "order_ref": dispute.order.external_ref,
        "buyer_name": dispute.buyer.public_name,
        "status": dispute.status,
        "reason": dispute.reason,
        "requested_outcome": dispute.requested_outcome,
        "requested_amount": money(dispute.requested_amount, currency),
        "opened_at": utc(dispute.opened_at),
        "updated_at": utc(dispute.updated_at),
        "closed_at": utc(dispute.closed_at),
        "next_clock": clock_out(clocks[0]) if clocks else None,
    }


def dispute_out(request: HttpRequest, dispute: Dispute) -> dict[str, object]:
    now = timezone.now()
    case = dispute_selectors.dispute_case(dispute=dispute)
    offers: list = case["offers"]  # type: ignore[assignment]
    currency = dispute.order.currency
    buyer_offer = dispute_selectors.latest_offers(offers=offers).get("buyer")
    acceptable = buyer_offer if buyer_offer is not None and buyer_offer.accepted_at is None else None
    returns = None
    if dispute.agreed_amount is not None or dispute.return_ship_due_at or dispute.return_tracking_number:
        returns = {
            "agreed_amount": money(dispute.agreed_amount, currency) if dispute.agreed_amount is not None else None,
            "tracking_number": dispute.return_tracking_number,
            "ship_due_at": utc(dispute.return_ship_due_at),
            "confirm_due_at": utc(dispute.return_confirm_due_at),
        }
    thread: list[DisputeMessage] = case["thread"]  # type: ignore[assignment]
    return {
        **summary_out(dispute, now=now),
        "detail": dispute.detail,
        "description": dispute.description,
        "order_total": money(dispute.order.total, currency),
        "resolution": dispute.resolution,
        "refund_amount": money(dispute.refund_amount, currency) if dispute.refund_amount is not None else None,
        "clocks": [clock_out(clock) for clock in dispute_selectors.dispute_clocks(dispute=dispute, now=now)],
        "offers": [offer_out(offer, currency) for offer in offers],
        "acceptable_offer": offer_out(acceptable, currency) if acceptable is not None and dispute.is_open else None,
        "can_escalate": dispute_selectors.dispute_can_escalate(dispute=dispute, now=now, side="seller"),
        "evidence": [photo_out(request, photo) for photo in case["evidence"]],  # type: ignore[attr-defined]
        "returns": returns,
        "replacement": (
            {
                "carrier": dispute.replacement_carrier,
                "tracking_number": dispute.replacement_tracking_number,
                "due_at": utc(dispute.replacement_due_at),
            }
            if dispute.replacement_tracking_number
            else None
        ),
        "thread": [
            {
                "id": message.pk,
                "side": message.side,
                "text": message.shown_text,
                "photos": [photo_out(request, photo) for photo in message.photos.all()],
                "created_at": utc(message.created_at),
            }
            for message in thread
        ],
    }


# --- Acting -----------------------------------------------------------------------------------------


def _seller(request: HttpRequest) -> User:
    """Who acts for a store key: the store's owner (the only person who can create one)."""
    return request_store(request).owner


def _catch_up(request: HttpRequest, dispute_id: int) -> list[str]:
    """Fire the case's overdue clocks before the seller acts, as the case page does; their notes.

    Done before the write's own transaction, so that a clock that fired stays fired even when
    the action is then refused. Another store's case is left alone (the action answers 404).
    """
    try:
        dispute = dispute_selectors.dispute_get_for_store(store=request_store(request), dispute_id=dispute_id)
    except Http404:
        return []
    return dispute_sweeps.dispute_catch_up(dispute_id=dispute.pk, now=timezone.now())


def _deadline_passed(notes: list[str]) -> ApiProblem:
    """A deadline changed the case before the action: refuse it, as the page does, saying what happened."""
    return ApiProblem(
        status=409, kind="conflict", detail=" ".join([_("A deadline passed before your action:"), *notes])
    )


def _form_errors(form: OfferForm | MessageForm, names: dict[str, str] | None = None) -> ValidationError:
    names = names or {}
    return ValidationError({names.get(field, field): errors for field, errors in form.errors.as_data().items()})


def _answer(request: HttpRequest, dispute_id: int, *, status: int = 200) -> tuple[int, str]:
    dispute = dispute_selectors.dispute_get_for_store(store=request_store(request), dispute_id=dispute_id)
    return status, dump(DisputeOut, dispute_out(request, dispute))


# --- Operations -------------------------------------------------------------------------------------


@router.get(
    "/store/disputes",
    auth=store_key("disputes:read"),
    response={200: DisputePage, **problems(*KEY_PROBLEMS)},
    summary="List the store's disputes",
)
def dispute_list(
    request: HttpRequest,
    cursor: str | None = Query(None, max_length=200),
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
    status: Status | None = None,
    open_only: bool = Query(False, alias="open", description="Only the cases still open."),
) -> HttpResponse:
    """The store's disputes, newest first, each with the clock that runs out first."""
    disputes = dispute_selectors.disputes_for_store(store=request_store(request), open_only=open_only)
    if status:
        disputes = disputes.filter(status=status)
    page, next_cursor = keyset_page(disputes, cursor=cursor, limit=limit, moment_field="opened_at")
    now = timezone.now()
    return json_response(
        dump(DisputePage, {"items": [summary_out(d, now=now) for d in page], "next_cursor": next_cursor})
    )


@router.get(
    "/store/disputes/{dispute_id}",
    auth=store_key("disputes:read"),
    response={200: DisputeOut, **problems(*KEY_PROBLEMS, 404)},
    summary="Read a dispute",
)
def dispute_get(request: HttpRequest, dispute_id: int = DisputeId) -> HttpResponse:
    """The whole case: its clocks (each deadline with what happens when it runs out), both sides'
    offers, the return, the buyer's evidence and the case thread."""
    dispute = dispute_selectors.dispute_get_for_store(store=request_store(request), dispute_id=dispute_id)
    return json_response(dump(DisputeOut, dispute_out(request, dispute)))


def _case_action(
    request: HttpRequest, dispute_id: int, idempotency_key: str | None, act: Callable[[Dispute], int]
) -> HttpResponse:
    """What every seller action on a case does, as on the page: overdue clocks fire first (a
    deadline that changed the case refuses the action with a 409), the case is the key's
    store's or a 404, then `act` runs and the case is answered with the status it returns."""
    passed = _catch_up(request, dispute_id)

    def action() -> tuple[int, str]:
        dispute = dispute_selectors.dispute_get_for_store(store=request_store(request), dispute_id=dispute_id)
        if passed:
            raise _deadline_passed(passed)
        return _answer(request, dispute_id, status=act(dispute))

    return api_write(request, action, idempotency_key=idempotency_key)


@router.post(
    "/store/disputes/{dispute_id}/accept",
    auth=store_key("disputes:write"),
    response={200: DisputeOut, **problems(*KEY_PROBLEMS, 404, 409)},
    summary="Accept the buyer's request",
)
def dispute_accept(
    request: HttpRequest, dispute_id: int = DisputeId, idempotency_key: str | None = IdempotencyKey
) -> HttpResponse:
    """Accept the buyer's current offer (their request, or what they offered since): a refund
    closes the case, a return and refund starts the return's clock. No body."""

    def accept(dispute: Dispute) -> int:
        dispute_services.dispute_accept_offer(dispute_id=dispute.pk, actor=_seller(request), now=timezone.now())
        return 200

    return _case_action(request, dispute_id, idempotency_key, accept)


@router.post(
    "/store/disputes/{dispute_id}/offers",
    auth=store_key("disputes:write"),
    response={201: DisputeOut, **problems(*KEY_PROBLEMS, 404, 409)},
    summary="Make a counter-offer",
)
def dispute_offer(
    request: HttpRequest, payload: OfferIn, dispute_id: int = DisputeId, idempotency_key: str | None = IdempotencyKey
) -> HttpResponse:
    """Offer a full refund, a partial refund (`amount` in the order's currency, at most its
    total), a return and refund, or a replacement (the item sent again: `carrier` and
    `tracking_number` of the new parcel, nothing refunded; once the buyer accepts, the case
    waits for the buyer to confirm it arrived, and takes it as received after
    `OPINIA_REPLACEMENT_CONFIRM_DAYS`). The seller's first offer is their answer: negotiation starts."""

    def offer(dispute: Dispute) -> int:
        amount = payload.amount
        form = OfferForm(
            {
                "kind": payload.kind,
                "amount": amount.amount if amount else "",
                "note": payload.note,
                "carrier": payload.carrier,
                "tracking_number": payload.tracking_number,
            }
        )
        if not form.is_valid():
            raise _form_errors(form, {"amount": "amount.amount"})
        if amount is not None and amount.currency != dispute.order.currency:
            raise ValidationError(
                {"amount.currency": _("The order is in %(currency)s.") % {"currency": dispute.order.currency}}
            )
        data = form.cleaned_data
        amount_value: Decimal | None = data["amount"]
        with fields_as({"amount": "amount.amount"}):
            dispute_services.dispute_make_offer(
                dispute_id=dispute.pk,
                actor=_seller(request),
                kind=data["kind"],
                amount=amount_value,
                note=data["note"],
                carrier=data["carrier"],
                tracking_number=data["tracking_number"],
                now=timezone.now(),
            )
        return 201

    return _case_action(request, dispute_id, idempotency_key, offer)


@router.post(
    "/store/disputes/{dispute_id}/return-received",
    auth=store_key("disputes:write"),
    response={200: DisputeOut, **problems(*KEY_PROBLEMS, 404, 409)},
    summary="Confirm receipt of the return",
)
def dispute_return_received(
    request: HttpRequest, dispute_id: int = DisputeId, idempotency_key: str | None = IdempotencyKey
) -> HttpResponse:
    """The item is back: the agreed refund is executed and the case closes. Only while the
    return is shipped (`return_shipped`); otherwise a 409 naming both states. No body."""

    def confirm(dispute: Dispute) -> int:
        dispute_services.dispute_confirm_return(dispute_id=dispute.pk, seller=_seller(request), now=timezone.now())
        return 200

    return _case_action(request, dispute_id, idempotency_key, confirm)


@router.post(
    "/store/disputes/{dispute_id}/messages",
    auth=store_key("disputes:write", photos=MAX_PHOTOS),
    response={201: ThreadMessageOut, **problems(*KEY_PROBLEMS, 404, 409)},
    summary="Post to the case thread",
)
def dispute_message(
    request: HttpRequest,
    dispute_id: int = DisputeId,
    text: str = Form("", description="The message; may be empty when photos are sent."),
    photos: list[UploadedFile] | None = EvidencePhotos,
    idempotency_key: str | None = IdempotencyKey,
) -> HttpResponse:
    """Add a message and evidence photos to the case thread (multipart/form-data). Photos go
    through the site's one photo pipeline: checked by decoding, then re-encoded without their
    metadata. A closed case's thread is kept as it is (422)."""
    # A message still goes in after a deadline passed, if the case is still open (as on the page).
    _catch_up(request, dispute_id)

    def action() -> tuple[int, str]:
        dispute = dispute_selectors.dispute_get_for_store(store=request_store(request), dispute_id=dispute_id)
        form = MessageForm({"text": text}, MultiValueDict({"photos": list(photos or [])}))
        if not form.is_valid():
            raise _form_errors(form)
        message = dispute_services.dispute_post_message(
            dispute_id=dispute.pk,
            actor=_seller(request),
            text=form.cleaned_data["text"],
            photos=form.cleaned_data["photos"],
            now=timezone.now(),
        )
        body = {
            "id": message.pk,
            "side": message.side,
            "text": message.text,
            "photos": [photo_out(request, photo) for photo in message.photos.order_by("pk")],
            "created_at": utc(message.created_at),
        }
        return 201, dump(ThreadMessageOut, body)

    return api_write(request, action, idempotency_key=idempotency_key)
