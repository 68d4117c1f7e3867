"""Integration keys: orders in, moved through `portal.services.order_transition`, and read back."""

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Header, Path, Query, Router, Schema
from pydantic import Field

from api.auth import integration_key
from api.fields import fields_as
from api.pagination import DEFAULT_LIMIT, MAX_LIMIT, keyset_page
from api.schemas import KEY_PROBLEMS, REF_PATTERN, Money, dump_plain, money, problems, utc
from api.writes import Answer, api_write, api_write_answering, json_response
from portal import selectors as portal_selectors
from portal import services as portal_services
from portal.models import Order, OrderItem

router = Router(tags=["orders"])

Language = Literal["en", "pl", "zh-hans", "ko", "gu"]
Move = Literal["paid", "shipped", "completed", "cancelled"]


class OrderItemIn(Schema):
    product_ref: str = Field(pattern=REF_PATTERN)
    quantity: int = Field(ge=1, le=10000)
    unit_price: Decimal | None = Field(
        default=None,
        ge=0,
        max_digits=12,
        decimal_places=2,
        description="The price as sold; the product's price when left out.",
    )


class OrderIn(Schema):
    external_ref: str = Field(
        pattern=REF_PATTERN, description="The marketplace's order reference; an order is created once per reference."
    )
    store_ref: str = Field(pattern=REF_PATTERN)
    buyer_email: str = Field(max_length=254, description="The buyer's e-mail; a user is created when none has it.")
    buyer_name: str = Field(default="", max_length=80)
    buyer_language: Language = "en"
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    ship_to_country: str = Field(
        default="",
        max_length=2,
        description="Two-letter ISO code of where the parcel goes; the buyer's country when left out.",
    )
    items: list[OrderItemIn] = Field(min_length=1, max_length=100)


class OrderItemOut(Schema):
    product_ref: str | None
    title: str
    quantity: int
    unit_price: Money
    line_total: Money


class OrderOut(Schema):
    external_ref: str
    number: str
    store_ref: str | None
    buyer_email: str
    status: Literal["placed", "paid", "shipped", "completed", "cancelled"]
    total: Money
    items: list[OrderItemOut]
    carrier: str
    tracking_number: str
    ship_to_country: str
    delivery_from_at: datetime | None = Field(description="The promised delivery window, set when the order ships.")
    delivery_by_at: datetime | None
    placed_at: datetime
    paid_at: datetime | None
    shipped_at: datetime | None
    completed_at: datetime | None
    cancelled_at: datetime | None


class OrderPage(Schema):
    items: list[OrderOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


class TransitionIn(Schema):
    status: Move = Field(description="placed → paid → shipped → completed; placed or paid → cancelled.")
    carrier: str = Field(
        default="",
        max_length=64,
        description="Required when shipping: a carrier's code (`cainiao`, `china-post`, `dhl`, …, see docs/api.md) "
        "or its name; an unknown carrier is a 422 naming `carrier`.",
    )
    tracking_number: str = Field(
        default="",
        max_length=64,
        description="Required when shipping; must be one of the carrier's numbers (spaces and case do not matter), "
        "else a 422 naming `tracking_number`.",
    )
    shipping_method: Literal["economy", "standard", "express"] = Field(
        default="standard", description="When shipping: how the parcel is sent; `standard` when left out."
    )


def order_out(order: Order, items: Iterable[OrderItem] | None = None) -> dict[str, object]:
    """The order as the API shows it; `items` when they were read apart (else the prefetched ones)."""
    items = list(order.items.all() if items is None else items)
    return {
        "external_ref": order.external_ref,
        "number": order.number,
        "store_ref": order.store.external_ref,
        "buyer_email": order.buyer.email,
        "status": order.status,
        "total": money(order.total, order.currency),
        "items": [
            {
                "product_ref": item.product.external_ref,
                "title": item.product.title,
                "quantity": item.quantity,
                "unit_price": money(item.unit_price, order.currency),
                "line_total": money(item.line_total, order.currency),
            }
            for item in items
        ],
        "carrier": order.carrier,
        "tracking_number": order.tracking_number,
        "ship_to_country": order.ship_to_country,
        "delivery_from_at": utc(order.delivery_from_at),
        "delivery_by_at": utc(order.delivery_by_at),
        "placed_at": utc(order.placed_at),
        "paid_at": utc(order.paid_at),
        "shipped_at": utc(order.shipped_at),
        "completed_at": utc(order.completed_at),
        "cancelled_at": utc(order.cancelled_at),
    }


IdempotencyKey = Header(
    None,
    alias="Idempotency-Key",
    max_length=255,
    description="Send the same key again to get the first response again instead of a second effect.",
)


@router.post(
    "/orders",
    auth=integration_key("orders:write"),
    response={200: OrderOut, 201: OrderOut, **problems(*KEY_PROBLEMS)},
    summary="Create an order",
)
def order_create(request: HttpRequest, payload: OrderIn, idempotency_key: str | None = IdempotencyKey) -> HttpResponse:
    """Create an order with its items in the store `store_ref`; 201 when created, 200 when the
    order with this `external_ref` exists already (it is returned unchanged)."""

    def action(answer: Answer) -> tuple[int, str]:
        address = portal_services.email_address(payload.buyer_email)
        try:
            inputs = portal_selectors.products_external_for_order(
                store_ref=payload.store_ref,
                external_refs={i.product_ref for i in payload.items},
                buyer_address=address,
                # The idempotency key is claimed by the same statement, first.
                ahead=answer.claim_ahead(),
            )
        except Http404:
            raise ValidationError({"store_ref": _("No store has this reference.")}) from None
        missing = {
            f"items.{index}.product_ref": _("The store has no product with this reference.")
            for index, item in enumerate(payload.items)
            if item.product_ref not in inputs.products
        }
        if missing:
            raise ValidationError(missing)
        with fields_as({"email": "buyer_email", "display_name": "buyer_name", "language": "buyer_language"}):
            buyer, _created = portal_services.user_get_or_create_found(
                address=address, found=inputs.buyer, display_name=payload.buyer_name, language=payload.buyer_language
            )
        created: list[str] = []

        def along(order: Order, items: list[OrderItem]) -> tuple[str, list[Any]]:
            # A new order's answer, from the objects in hand, is recorded by the order's own statement.
            created[:] = [dump_plain(OrderOut, order_out(order, items=items))]
            return answer.along(gate=portal_services.ORDER_INSERTED, status=201, body=created[0])

        order, items = portal_services.order_create_external(
            external_ref=payload.external_ref,
            buyer=buyer,
            store=inputs.store,
            items=[
                portal_services.LineItem(
                    product=inputs.products[item.product_ref], quantity=item.quantity, unit_price=item.unit_price
                )
                for item in payload.items
            ],
            currency=payload.currency,
            ship_to_country=payload.ship_to_country,
            now=timezone.now(),
            lead_photos=inputs.lead_photos,
            along=along,
        )
        if items is None:
            order = portal_selectors.order_get_external(external_ref=payload.external_ref)
            return 200, dump_plain(OrderOut, order_out(order))
        if created:  # the last statement tried inserted the order, and recorded its answer
            answer.recorded = True
            return 201, created[0]
        # A new order: its store, buyer, items and their products are the objects in hand.
        return 201, dump_plain(OrderOut, order_out(order, items=items))

    return api_write_answering(request, action, idempotency_key=idempotency_key, claim_ahead=True)


@router.get(
    "/orders",
    auth=integration_key("orders:read"),
    response={200: OrderPage, **problems(*KEY_PROBLEMS)},
    summary="List orders",
)
def order_list(
    request: HttpRequest,
    cursor: str | None = Query(None, max_length=200),
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
    store_ref: str | None = Query(None, pattern=REF_PATTERN),
    status: Literal["placed", "paid", "shipped", "completed", "cancelled"] | None = None,
) -> HttpResponse:
    """The marketplace's orders, newest first, optionally of one store or in one status."""
    orders = portal_selectors.orders_external()
    if store_ref:
        orders = orders.filter(store__external_ref=store_ref)
    if status:
        orders = orders.filter(status=status)
    page, next_cursor = keyset_page(orders, cursor=cursor, limit=limit, moment_field="placed_at")
    return json_response(dump_plain(OrderPage, {"items": [order_out(o) for o in page], "next_cursor": next_cursor}))


@router.get(
    "/orders/{order_ref}",
    auth=integration_key("orders:read"),
    response={200: OrderOut, **problems(*KEY_PROBLEMS, 404)},
    summary="Read an order",
)
def order_get(request: HttpRequest, order_ref: str = Path(..., pattern=REF_PATTERN)) -> HttpResponse:
    return json_response(dump_plain(OrderOut, order_out(portal_selectors.order_get_external(external_ref=order_ref))))


@router.post(
    "/orders/{order_ref}/transitions",
    auth=integration_key("orders:write"),
    response={200: OrderOut, **problems(*KEY_PROBLEMS, 404, 409)},
    summary="Move an order to another status",
)
def order_move(
    request: HttpRequest,
    payload: TransitionIn,
    order_ref: str = Path(..., pattern=REF_PATTERN),
    idempotency_key: str | None = IdempotencyKey,
) -> HttpResponse:
    """Move the order through the same transition table as the portal; a move the table does not
    allow is a 409 whose detail names the current and the requested status. Shipping goes through
    the portal's one shipping check: a missing or unknown carrier, a tracking number that is not
    the carrier's, is a 422 naming the field."""

    def action() -> tuple[int, str]:
        order = portal_selectors.order_get_external(external_ref=order_ref)
        now = timezone.now()
        if payload.status == Order.Status.SHIPPED:
            # The same checks as the store's desk and the admin: a known carrier, one of its numbers.
            portal_services.order_ship(
                order_id=order.pk,
                actor=None,
                now=now,
                shipping_method=payload.shipping_method,
                carrier=payload.carrier,
                tracking_number=payload.tracking_number,
            )
        else:
            portal_services.order_transition(order_id=order.pk, to=payload.status, actor=None, now=now)
        return 200, dump_plain(OrderOut, order_out(portal_selectors.order_get_external(external_ref=order_ref)))

    return api_write(request, action, idempotency_key=idempotency_key)
