"""Errors as RFC 9457 problem documents (`application/problem+json`), for every failure of the API.

A problem has a `type` (a URN naming the kind of problem, listed in docs/api.md), a translated
`title` and `detail`, the HTTP `status` and, for bad input, `errors: [{field, message}]` carrying
the same messages as the portal's forms and services, in the request's language.
"""

import json
from typing import Any

from django import forms
from django.core import validators
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

PROBLEM_CONTENT_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:opinia:problem:"

TITLES: dict[str, Promise] = {
    "invalid-input": gettext_lazy("The request has invalid input."),
    "unauthenticated": gettext_lazy("The API key is missing, unknown, expired or revoked."),
    "forbidden": gettext_lazy("This key may not do that."),
    "not-found": gettext_lazy("Not found."),
    "conflict": gettext_lazy("The object is not in a state that allows this."),
    "idempotency-conflict": gettext_lazy("This idempotency key was used with another request."),
    "too-many-requests": gettext_lazy("Too many requests."),
    "body-too-large": gettext_lazy("The request body is too large."),
    "method-not-allowed": gettext_lazy("Method not allowed."),
}


class ApiProblem(Exception):
    """Raised anywhere in the API to answer with a problem document."""

    def __init__(
        self,
        *,
        status: int,
        kind: str,
        detail: str | Promise = "",
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(str(detail or TITLES[kind]))
        self.status = status
        self.kind = kind
        self.detail = detail
        self.errors = errors or []
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {
            "type": TYPE_PREFIX + self.kind,
            "title": str(TITLES[self.kind]),
            "status": self.status,
            "detail": str(self.detail or TITLES[self.kind]),
            "errors": self.errors,
        }


def problem_response(problem: ApiProblem) -> HttpResponse:
    response = HttpResponse(
        json.dumps(problem.body(), ensure_ascii=False), status=problem.status, content_type=PROBLEM_CONTENT_TYPE
    )
    for name, value in problem.headers.items():
        response[name] = value
    return response


def problem_from_django(error: DjangoValidationError, *, status: int = 422, kind: str = "invalid-input") -> ApiProblem:
    """A service's ValidationError, field by field (a message without a field has `field: null`)."""
    errors: list[dict[str, Any]] = []
    if hasattr(error, "error_dict"):
        for field, field_errors in error.error_dict.items():
            for message in DjangoValidationError(field_errors).messages:
                errors.append({"field": None if field == "__all__" else field, "message": message})
    else:
        errors = [{"field": None, "message": message} for message in error.messages]
    detail = errors[0]["message"] if len(errors) == 1 else _("The request has invalid input.")
    return ApiProblem(status=status, kind=kind, detail=detail, errors=errors)


# Pydantic's error types, answered with the message Django's own form fields give for the same
# mistake (already translated in Django's catalogues), so the API and the forms read alike.
def _pydantic_message(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return str(forms.Field.default_error_messages["required"])
    if kind == "string_too_long":
        limit = ctx.get("max_length", 0)
        value = error.get("input")
        return str(
            validators.MaxLengthValidator.message
            % {"limit_value": limit, "show_value": len(value) if isinstance(value, str) else limit + 1}
        )
    if kind == "string_too_short":
        limit = ctx.get("min_length", 1)
        if limit == 1:
            return str(forms.Field.default_error_messages["required"])
        value = error.get("input")
        return str(
            validators.MinLengthValidator.message
            % {"limit_value": limit, "show_value": len(value) if isinstance(value, str) else 0}
        )
    if kind in {"int_parsing", "int_type", "int_from_float"}:
        return str(forms.IntegerField.default_error_messages["invalid"])
    if kind.startswith("decimal") or kind in {"float_parsing", "float_type"}:
        if kind == "decimal_max_places":
            return str(
                validators.DecimalValidator.messages["max_decimal_places"] % {"max": ctx.get("decimal_places", 2)}
            )
        return str(forms.DecimalField.default_error_messages["invalid"])
    if kind in {"greater_than_equal", "greater_than"}:
        return str(validators.MinValueValidator.message % {"limit_value": ctx.get("ge", ctx.get("gt"))})
    if kind in {"less_than_equal", "less_than"}:
        return str(validators.MaxValueValidator.message % {"limit_value": ctx.get("le", ctx.get("lt"))})
    if kind in {"literal_error", "enum"}:
        return str(forms.ChoiceField.default_error_messages["invalid_choice"] % {"value": error.get("input")})
    if kind.startswith("datetime"):
        return str(forms.DateTimeField.default_error_messages["invalid"])
    if kind in {"too_short", "too_long"} and "min_length" in ctx and ctx.get("actual_length", 1) < ctx["min_length"]:
        return str(forms.Field.default_error_messages["required"])
    if kind == "value_error" and "email" in str(error.get("msg", "")).lower():
        return str(validators.EmailValidator.message)
    return str(validators.RegexValidator.message)


# The first items of a location name where the value came from, not which field it is.
_SOURCES = {"body", "query", "path", "header", "cookie", "form", "file", "payload", "data"}


def field_name(loc: tuple[Any, ...] | list[Any]) -> str | None:
    parts = list(loc)
    while parts and isinstance(parts[0], str) and parts[0] in _SOURCES:
        parts.pop(0)
    return ".".join(str(part) for part in parts) or None


def problem_from_pydantic(errors: list[dict[str, Any]]) -> ApiProblem:
    converted: list[dict[str, str | None]] = []
    for error in errors:
        if error.get("type") == "json_invalid" or "JSON" in str(error.get("msg", "")):
            converted.append({"field": None, "message": _("The request body is not valid JSON.")})
            continue
        converted.append({"field": field_name(error.get("loc", ())), "message": _pydantic_message(error)})
    detail = _("The request has invalid input.")
    if len(converted) == 1:
        field, message = converted[0]["field"], str(converted[0]["message"])
        detail = f"{field}: {message}" if field else message
    return ApiProblem(status=422, kind="invalid-input", detail=detail, errors=list(converted))


def not_found(request: HttpRequest | None = None) -> ApiProblem:
    return ApiProblem(status=404, kind="not-found")
