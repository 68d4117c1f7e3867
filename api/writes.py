"""Every write made with a key: idempotency, error capture and the audit row, in one transaction."""

import hashlib
import json
from collections.abc import Callable

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, RawPostDataException
from django.utils import timezone

from api import services
from api.auth import request_key
from api.problems import PROBLEM_CONTENT_TYPE, ApiProblem, problem_from_django
from portal.services import TransitionNotAllowed

JSON = "application/json"

# An action returns its status and its JSON body.
Action = Callable[[], tuple[int, str]]


def _run(action: Action) -> tuple[int, str, str]:
    """Run `action` in a savepoint; a refused write (bad input, illegal move, not found) becomes
    its problem document and leaves nothing behind. Anything else propagates (a 500, rolled back)."""
    try:
        with transaction.atomic():
            status, body = action()
        return status, body, JSON
    except ApiProblem as problem:
        problem_body = problem.body()
    except TransitionNotAllowed as error:
        problem_body = problem_from_django(error, status=409, kind="conflict").body()
    except DjangoValidationError as error:
        problem_body = problem_from_django(error).body()
    except Http404:
        problem_body = ApiProblem(status=404, kind="not-found").body()
    return int(problem_body["status"]), json.dumps(problem_body, ensure_ascii=False), PROBLEM_CONTENT_TYPE


def _body_parts(request: HttpRequest) -> list[bytes]:
    """The body as sent; for a multipart body already parsed (the raw stream is gone), its fields
    and files in order, which identify the same request as well."""
    try:
        return [request.body]
    except RawPostDataException:
        parts = [f"{name}={value}".encode() for name, values in sorted(request.POST.lists()) for value in values]
        for name, uploads in sorted(request.FILES.lists()):
            for upload in uploads:
                upload.seek(0)
                parts.append(f"{name}:{upload.name}:".encode() + hashlib.sha256(upload.read()).digest())
                upload.seek(0)
        return parts


def request_fingerprint(request: HttpRequest) -> str:
    digest = hashlib.sha256()
    parts: list[str | bytes] = [request.method or "", request.get_full_path(), *_body_parts(request)]
    for part in parts:
        digest.update(part if isinstance(part, bytes) else part.encode())
        digest.update(b"\0")
    return digest.hexdigest()


def api_write(request: HttpRequest, action: Action, *, idempotency_key: str | None = None) -> HttpResponse:
    """Perform a write for the request's key and audit it.

    With an `Idempotency-Key`, the key is claimed insert-first in the same transaction as the
    effect: a replay (same key, same method, path and body) answers the first response again
    without running anything; the same key with another request is a 422; two concurrent
    duplicates on PostgreSQL serialise on the unique index and the second one replays.
    """
    key = request_key(request)
    now = timezone.now()
    with transaction.atomic():
        record = None
        if idempotency_key:
            try:
                record, replay = services.idempotency_claim(
                    api_key=key, key=idempotency_key, request_hash=request_fingerprint(request), now=now
                )
            except services.IdempotencyConflict:
                raise ApiProblem(status=422, kind="idempotency-conflict") from None
            if replay and record.status_code is not None:
                content_type = PROBLEM_CONTENT_TYPE if record.status_code >= 400 else JSON
                response = HttpResponse(record.response_body, status=record.status_code, content_type=content_type)
                response["Idempotent-Replayed"] = "true"
                return response
        status, body, content_type = _run(action)
        if record is not None:
            services.idempotency_complete(record=record, status_code=status, body=body)
        services.api_request_log(
            api_key=key,
            method=request.method or "",
            path=request.get_full_path(),
            status_code=status,
            idempotency_key=idempotency_key or "",
            now=now,
        )
    return HttpResponse(body, status=status, content_type=content_type)


def json_response(body: str, *, status: int = 200) -> HttpResponse:
    return HttpResponse(body, status=status, content_type=JSON)
