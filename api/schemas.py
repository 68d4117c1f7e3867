"""Schemas shared by every router: problems, money, pages, and how times are written."""

import functools
import operator
import types
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Union, get_args, get_origin

from ninja import Schema
from pydantic import BaseModel, Field, create_model

# The marketplace's references (stores, products, orders) and idempotency keys.
REF_PATTERN = r"^[A-Za-z0-9._:\-]{1,100}$"
MONEY_PATTERN = r"^-?[0-9]+\.[0-9]{2}$"


class FieldError(Schema):
    field: str | None = Field(
        description="The input field, dotted for nested ones (items.0.quantity); null for the whole request."
    )
    message: str


class Problem(Schema):
    """An RFC 9457 problem document (served as application/problem+json)."""

    type: str = Field(description="A URN naming the kind of problem, e.g. urn:opinia:problem:not-found.")
    title: str
    status: int
    detail: str
    errors: list[FieldError] = Field(default_factory=list)


class Money(Schema):
    amount: str = Field(pattern=MONEY_PATTERN, description="A decimal string, never a float.", examples=["19.99"])
    currency: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code.", examples=["USD"])


def money(amount: Decimal, currency: str) -> dict[str, str]:
    return {"amount": f"{amount:.2f}", "currency": currency}


def utc(moment: datetime | None) -> datetime | None:
    """Every time leaves the API in UTC (ISO 8601 with Z)."""
    return moment.astimezone(UTC) if moment is not None else None


def dump(schema: type[Schema], data: Any) -> str:
    """Validate `data` against `schema` and render it as JSON (decimals as strings, times in UTC with Z)."""
    return schema.model_validate(data).model_dump_json()


def dump_plain(schema: type[Schema], data: dict[str, Any]) -> str:
    """`dump` for data built of plain dicts, lists and values (no model instances, no resolvers):
    the same JSON, validated by the same rules, without django-ninja's per-object attribute
    lookup, which only matters for model instances."""
    return _plain_model(schema).model_validate(data).model_dump_json()


@functools.cache
def _plain_model(schema: type[BaseModel]) -> type[BaseModel]:
    """A pydantic model with `schema`'s fields (nested schemas likewise), worked out once."""
    fields: dict[str, Any] = {
        name: (_plain_annotation(field.annotation), field) for name, field in schema.model_fields.items()
    }
    return create_model(schema.__name__, **fields)


def _plain_annotation(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, Schema):
        return _plain_model(annotation)
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is list:
        return list[_plain_annotation(args[0])]  # type: ignore[misc]
    if origin in (Union, types.UnionType):
        return functools.reduce(operator.or_, (_plain_annotation(arg) for arg in args))
    return annotation


def problems(*statuses: int) -> dict[int, type[Problem]]:
    """The problem responses an operation documents, for `response={200: X, **problems(404, 422)}`."""
    return dict.fromkeys(statuses, Problem)


# What every operation with a key can answer besides its own errors.
KEY_PROBLEMS = (400, 401, 403, 413, 422, 429)
