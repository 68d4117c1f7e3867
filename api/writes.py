"""Every write made with a key: idempotency, error capture and the audit row, in one transaction."""

import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone

from api import services
from api.auth import request_key
from api.models import ApiKey, IdempotencyRecord
from api.problems import PROBLEM_CONTENT_TYPE, ApiProblem, problem_from_django
from portal.services import TransitionNotAllowed

JSON = "application/json"

# An action returns its status and its JSON body.
Action = Callable[[], tuple[int, str]]


class Answer:
    """How a keyed write is recorded (its audit row, and the answer to replay when it claimed an
    idempotency key), for an action that writes them with its effect, in the same statement
    (`along`), instead of in a statement of their own after it."""

    def __init__(
        self,
        *,
        key: ApiKey,
        record: IdempotencyRecord | None,
        method: str,
        path: str,
        idempotency_key: str,
        now: datetime,
    ) -> None:
        self.key, self.record, self.method, self.path = key, record, method, path
        self.idempotency_key, self.now = idempotency_key, now
        # Set by the action when the statement carrying `along` wrote its effect (and so them).
        self.recorded = False

    def along(self, *, gate: str, status: int, body: str) -> tuple[str, list[Any]]:
        """CTEs recording `status` and `body`, written when the CTE `gate` returns a row; the
        action sets `recorded` when it did. PostgreSQL only."""
        return services.api_write_record_along(
            gate=gate,
            api_key=self.key,
            record=self.record,
            method=self.method,
            path=self.path,
            status_code=status,
            body=body,
            idempotency_key=self.idempotency_key,
            now=self.now,
        )

    def write(self, *, status: int, body: str) -> None:
        """Record the answer in a statement of its own, unless the action's effect did."""
        if self.record is not None:
            self.record.status_code, self.record.response_body = status, body
        if self.recorded:
            return
        services.api_write_record(
            api_key=self.key,
            record=self.record,
            method=self.method,
            path=self.path,
            status_code=status,
            body=body,
            idempotency_key=self.idempotency_key,
            now=self.now,
        )


# An action that may record its answer along its effect.
AnsweringAction = Callable[[Answer], tuple[int, str]]


# A refused write (bad input, illegal move, not found): answered with its problem document.
REFUSED = (ApiProblem, TransitionNotAllowed, DjangoValidationError, Http404)


def _problem_body(error: Exception) -> dict[str, object]:
    if isinstance(error, ApiProblem):
        return error.body()
    if isinstance(error, TransitionNotAllowed):
        return problem_from_django(error, status=409, kind="conflict").body()
    if isinstance(error, DjangoValidationError):
        return problem_from_django(error).body()
    return ApiProblem(status=404, kind="not-found").body()


class _Refused(Exception):
    """Carries a refused write's problem out of its transaction, which then rolls back."""

    def __init__(self, body: dict[str, object]) -> None:
        super().__init__(body.get("type"))
        self.body = body


def _multipart_parts(request: HttpRequest) -> list[bytes]:
    """A multipart body by its parsed fields and files' contents: the parser has consumed the raw
    body by now (and its boundary differs between two sends of the same request anyway)."""
    parts: list[bytes] = []
    for name in sorted(request.POST):
        parts += [name.encode(), *(str(value).encode() for value in request.POST.getlist(name))]
    for name in sorted(request.FILES):
        for upload in request.FILES.getlist(name):
            file_digest = hashlib.sha256()
            for chunk in upload.chunks():
                file_digest.update(chunk)
            upload.seek(0)
            parts += [name.encode(), (upload.name or "").encode(), file_digest.hexdigest().encode()]
    return parts


def request_fingerprint(request: HttpRequest) -> str:
    digest = hashlib.sha256()
    body: list[bytes] = _multipart_parts(request) if request.content_type == "multipart/form-data" else [request.body]
    for part in [(request.method or "").encode(), request.get_full_path().encode(), *body]:
        digest.update(part)
        digest.update(b"\0")
    return digest.hexdigest()


def _claim(
    request: HttpRequest, key: ApiKey, idempotency_key: str, fingerprint: str, now: datetime
) -> tuple[IdempotencyRecord, HttpResponse | None]:
    """Claim the idempotency key; with it the first response when this request is a replay."""
    try:
        record, replay = services.idempotency_claim(api_key=key, key=idempotency_key, request_hash=fingerprint, now=now)
    except services.IdempotencyConflict:
        raise ApiProblem(status=422, kind="idempotency-conflict") from None
    if replay and record.status_code is not None:
        content_type = PROBLEM_CONTENT_TYPE if record.status_code >= 400 else JSON
        response = HttpResponse(record.response_body, status=record.status_code, content_type=content_type)
        response["Idempotent-Replayed"] = "true"
        return record, response
    return record, None


def api_write(request: HttpRequest, action: Action, *, idempotency_key: str | None = None) -> HttpResponse:
    """Perform a write for the request's key and audit it (see `api_write_answering`)."""
    return api_write_answering(request, lambda _answer: action(), idempotency_key=idempotency_key)


def api_write_answering(
    request: HttpRequest, action: AnsweringAction, *, idempotency_key: str | None = None
) -> HttpResponse:
    """Perform a write for the request's key and audit it; the action may write the audit row
    and the answer along its effect (`Answer.along`).

    With an `Idempotency-Key`, the key is claimed insert-first in the same transaction as the
    effect: a replay (same key, same method, path and body) answers the first response again
    without running anything; the same key with another request is a 422; two concurrent
    duplicates on PostgreSQL serialise on the unique index and the second one replays.

    No savepoint on the way of a write that succeeds: a refused one (bad input, illegal move,
    not found) rolls its whole transaction back, effect and claim alike, and then records its
    problem document (for replays) and its audit row in a transaction of its own. Anything else
    propagates (a 500, rolled back, nothing recorded).
    """
    key = request_key(request)
    now = timezone.now()
    method = request.method or ""
    path = request.get_full_path()
    fingerprint = request_fingerprint(request) if idempotency_key else ""

    def answer(record: IdempotencyRecord | None) -> Answer:
        return Answer(key=key, record=record, method=method, path=path, idempotency_key=idempotency_key or "", now=now)

    try:
        with transaction.atomic():
            record = None
            if idempotency_key:
                record, replayed = _claim(request, key, idempotency_key, fingerprint, now)
                if replayed is not None:
                    return replayed
            answering = answer(record)
            try:
                status, body = action(answering)
            except REFUSED as error:
                raise _Refused(_problem_body(error)) from error
            answering.write(status=status, body=body)
        return HttpResponse(body, status=status, content_type=JSON)
    except _Refused as refused:
        problem = refused.body
    status, body = int(str(problem["status"])), json.dumps(problem, ensure_ascii=False)
    with transaction.atomic():
        record = None
        if idempotency_key:
            # Claimed again: the first claim rolled back with the effect. A duplicate that
            # answered in between is replayed, so both requests get the same answer. A request
            # with another body that took the key in between keeps it: this request still gets
            # its own problem, audited, with no answer stored for replay.
            try:
                record, replayed = _claim(request, key, idempotency_key, fingerprint, now)
            except ApiProblem:
                record, replayed = None, None
            if replayed is not None:
                return replayed
        answer(record).write(status=status, body=body)
    return HttpResponse(body, status=status, content_type=PROBLEM_CONTENT_TYPE)


def json_response(body: str, *, status: int = 200) -> HttpResponse:
    return HttpResponse(body, status=status, content_type=JSON)
