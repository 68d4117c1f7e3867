"""Integration keys: stores and products, upserted by the marketplace's own references."""

from datetime import datetime
from decimal import Decimal

from django.http import HttpRequest, HttpResponse
from ninja import Path, Router, Schema
from pydantic import Field

from api.auth import integration_key
from api.fields import fields_as
from api.schemas import KEY_PROBLEMS, REF_PATTERN, Money, dump, money, problems, utc
from api.writes import api_write
from portal import selectors as portal_selectors
from portal import services as portal_services
from portal.models import Product, Store

router = Router(tags=["stores"])


class StoreIn(Schema):
    owner_email: str = Field(max_length=254, description="The owner's e-mail; a user is created when none has it.")
    name: str = Field(min_length=1, max_length=120)
    country: str = Field(pattern=r"^[A-Za-z]{2}$", description="Two-letter ISO code.")
    time_zone: str = Field(default="UTC", max_length=64, examples=["Asia/Shanghai"])


class StoreOut(Schema):
    external_ref: str
    slug: str
    name: str
    country: str
    time_zone: str
    owner_email: str
    created_at: datetime


class ProductIn(Schema):
    title: str = Field(min_length=1, max_length=200)
    price: Decimal = Field(ge=0, max_digits=12, decimal_places=2, description='A decimal string such as "19.99".')
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    description: str = Field(default="", max_length=5000)
    is_active: bool = True


class ProductOut(Schema):
    external_ref: str
    store_ref: str
    slug: str
    title: str
    description: str
    price: Money
    is_active: bool


def store_out(store: Store) -> dict[str, object]:
    return {
        "external_ref": store.external_ref,
        "slug": store.slug,
        "name": store.name,
        "country": store.country,
        "time_zone": store.time_zone,
        "owner_email": store.owner.email,
        "created_at": utc(store.created_at),
    }


def product_out(product: Product, store: Store) -> dict[str, object]:
    return {
        "external_ref": product.external_ref,
        "store_ref": store.external_ref,
        "slug": product.slug,
        "title": product.title,
        "description": product.description,
        "price": money(product.price, product.currency),
        "is_active": product.is_active,
    }


@router.put(
    "/stores/{store_ref}",
    auth=integration_key("stores:write"),
    response={200: StoreOut, 201: StoreOut, **problems(*KEY_PROBLEMS)},
    summary="Create or update a store",
)
def store_put(request: HttpRequest, payload: StoreIn, store_ref: str = Path(..., pattern=REF_PATTERN)) -> HttpResponse:
    """Create the store the marketplace knows as `store_ref`, or update its name, country and time
    zone. The owner is found by e-mail (created when missing) and cannot change afterwards."""

    def action() -> tuple[int, str]:
        with fields_as({"email": "owner_email"}):
            store, created = portal_services.store_upsert_external(
                external_ref=store_ref,
                owner_email=payload.owner_email,
                name=payload.name,
                country=payload.country,
                time_zone=payload.time_zone,
            )
        return (201 if created else 200), dump(StoreOut, store_out(store))

    return api_write(request, action)


@router.put(
    "/stores/{store_ref}/products/{product_ref}",
    auth=integration_key("products:write"),
    response={200: ProductOut, 201: ProductOut, **problems(*KEY_PROBLEMS, 404)},
    summary="Create or update a product",
)
def product_put(
    request: HttpRequest,
    payload: ProductIn,
    store_ref: str = Path(..., pattern=REF_PATTERN),
    product_ref: str = Path(..., pattern=REF_PATTERN),
) -> HttpResponse:
    """Create the product the marketplace knows as `product_ref` in the store `store_ref`, or update it."""

    def action() -> tuple[int, str]:
        store = portal_selectors.store_get_external(external_ref=store_ref)
        product, created = portal_services.product_upsert_external(
            store=store,
            external_ref=product_ref,
            title=payload.title,
            price=payload.price,
            currency=payload.currency,
            description=payload.description,
            is_active=payload.is_active,
        )
        return (201 if created else 200), dump(ProductOut, product_out(product, store))

    return api_write(request, action)
