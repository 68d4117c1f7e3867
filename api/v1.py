"""The API, version 1: one NinjaAPI, one router per area, every error a problem document."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import BadRequest, PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.http.multipartparser import MultiPartParserError
from django.http.response import HttpResponseBase
from django.urls import URLPattern, URLResolver
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from api.problems import PROBLEM_CONTENT_TYPE, ApiProblem, problem_from_django, problem_from_pydantic, problem_response
from api.routers import disputes, feedback, messages, orders, public, store, stores

DESCRIPTION = """\
Opinia's API for the marketplace (integration keys) and for sellers' tools (store keys).
Send the key as `Authorization: Bearer <key>`. Errors are RFC 9457 problem documents
(`application/problem+json`); lists are cursor-paginated; times are ISO 8601 in UTC; money is
a decimal string with its currency. Every POST accepts an `Idempotency-Key`. See docs/api.md.
"""

STATUS_KINDS = {401: "unauthenticated", 403: "forbidden", 404: "not-found", 405: "method-not-allowed", 409: "conflict"}


def _method_not_allowed_as_problem(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Ninja answers a method a path does not have with a plain-text 405 (no exception to handle):
    turn it into a problem document, keeping its Allow header."""

    @wraps(view)  # keeps the view's attributes, csrf_exempt among them
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            return problem_response(
                ApiProblem(status=405, kind="method-not-allowed", headers={"Allow": response["Allow"]})
            )
        return response

    return wrapped


class OpiniaAPI(NinjaAPI):
    @property
    def urls(self) -> tuple[list[URLResolver | URLPattern], str, str]:
        patterns, app_name, namespace = super().urls
        return (
            [
                URLPattern(p.pattern, _method_not_allowed_as_problem(p.callback), p.default_args, p.name)
                if isinstance(p, URLPattern)
                else p
                for p in patterns
            ],
            app_name,
            namespace,
        )

    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None) -> Any:
        """Ninja's document, with every error response served as application/problem+json."""
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                for status, response in operation.get("responses", {}).items():
                    content = response.get("content")
                    if str(status).isdigit() and int(status) >= 400 and content and "application/json" in content:
                        response["content"] = {PROBLEM_CONTENT_TYPE: content["application/json"]}
                    if str(status) == "304":
                        response.pop("content", None)
                        response["description"] = "Not Modified: the ETag in If-None-Match is current."
        return schema


api = OpiniaAPI(
    title="Opinia API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api-v1",
    openapi_url="/openapi.json",
    docs_url="/docs",
)


@api.exception_handler(ApiProblem)
def _problem(request: HttpRequest, exc: ApiProblem) -> HttpResponse:
    return problem_response(exc)


@api.exception_handler(NinjaValidationError)
def _invalid(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    return problem_response(problem_from_pydantic(list(exc.errors)))


@api.exception_handler(DjangoValidationError)
def _invalid_django(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    return problem_response(problem_from_django(exc))


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return problem_response(ApiProblem(status=404, kind="not-found"))


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return problem_response(ApiProblem(status=401, kind="unauthenticated", headers={"WWW-Authenticate": "Bearer"}))


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400:  # ninja's only 400: a body it cannot parse
        message = _("The request body is not valid JSON.")
        return problem_response(
            ApiProblem(status=400, kind="invalid-input", detail=message, errors=[{"field": None, "message": message}])
        )
    kind = STATUS_KINDS.get(exc.status_code, "invalid-input")
    return problem_response(ApiProblem(status=exc.status_code, kind=kind))


@api.exception_handler(RequestDataTooBig)
def _too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return problem_response(ApiProblem(status=413, kind="body-too-large", detail=_("The request body is too large.")))


def _bad_request() -> HttpResponse:
    message = _("The request body could not be read.")
    return problem_response(
        ApiProblem(status=400, kind="invalid-input", detail=message, errors=[{"field": None, "message": message}])
    )


# A body Django refuses to parse (a multipart body without a usable boundary, too many files or
# fields: TooManyFilesSent and TooManyFieldsSent are SuspiciousOperations): without these, Django
# answers with its HTML 400 page. The most specific handler wins, so RequestDataTooBig stays a 413.
@api.exception_handler(SuspiciousOperation)
def _suspicious(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
    return _bad_request()


@api.exception_handler(MultiPartParserError)
def _unparseable(request: HttpRequest, exc: MultiPartParserError) -> HttpResponse:
    return _bad_request()


@api.exception_handler(BadRequest)
def _bad(request: HttpRequest, exc: BadRequest) -> HttpResponse:
    return _bad_request()


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return problem_response(ApiProblem(status=403, kind="forbidden"))


api.add_router("", stores.router)
api.add_router("", orders.router)
api.add_router("", store.router)
api.add_router("", disputes.router)
api.add_router("", feedback.router)
api.add_router("", messages.router)
api.add_router("", public.router)


def unknown_path(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any other address under /api/: a problem document, not the site's HTML 404 page."""
    return problem_response(ApiProblem(status=404, kind="not-found"))
