"""Every write made with a key: idempotency, error capture and the audit row, in one transaction."""

import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connection, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone

from api import services
from api.auth import request_key
from api.models import ApiKey, IdempotencyRecord
from api.problems import PROBLEM_CONTENT_TYPE, ApiProblem, problem_from_django
from portal.selectors import Ahead
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
        request: HttpRequest,
        key: ApiKey,
        record: IdempotencyRecord | None,
        method: str,
        path: str,
        idempotency_key: str,
        fingerprint: str,
        now: datetime,
        claim_pending: bool = False,
    ) -> None:
        self.request, self.key, self.record, self.method, self.path = request, key, record, method, path
        self.idempotency_key, self.fingerprint, self.now = idempotency_key, fingerprint, now
        # The idempotency key is still to be claimed, by the action's first statement (`claim_ahead`).
        self.claim_pending = claim_pending
        # Set by the action when the statement carrying `along` wrote its effect (and so them).
        self.recorded = False

    def claim_ahead(self) -> Ahead | None:
        """For an action that claims the idempotency key itself: the claim as a CTE of its first
        statement (`portal.selectors.Ahead`), to be made before anything else. None when there is
        nothing to claim, or when it was claimed here and now (a database other than PostgreSQL).
        A replay or a conflict ends the action (`_Claimed`): nothing it read counts."""
        if not self.claim_pending:
            return None
        self.claim_pending = False
        if connection.vendor != "postgresql":
            self._claim()
            return None
        sql, params = services.idempotency_claim_sql(
            api_key=self.key, key=self.idempotency_key, request_hash=self.fingerprint, now=self.now
        )
        return Ahead(sql=f"ahead AS ({sql})", params=params, then=self._claimed_ahead)

    def _claimed_ahead(self, answered: bool, pk: int | None) -> None:
        if answered and pk is not None:
            self.record = services.idempotency_claimed(
                api_key=self.key, key=self.idempotency_key, request_hash=self.fingerprint, now=self.now, pk=pk
            )
        else:  # claimed before (a replay or a conflict), or not known: as a claim of its own tells
            self._claim()

    def _claim(self) -> None:
        try:
            record, replayed = _claim(self.request, self.key, self.idempotency_key, self.fingerprint, self.now)
        except ApiProblem as problem:
            raise _Claimed(problem) from None
        if replayed is not None:
            raise _Claimed(replayed)
        self.record = record

    def along(self, *, gate: str, status: int, body: str) -> tuple[str, list[Any]]:
        """CTEs recording `status` and `body`, written when the CTE `gate` returns a row; the
        action sets `recorded` when it did. PostgreSQL only."""
        return services.api_write_record_along(gate=gate, **self._record(status=status, body=body))

    def write(self, *, status: int, body: str) -> None:
        """Record the answer in a statement of its own, unless the action's effect did."""
        if self.record is not None:
            self.record.status_code, self.record.response_body = status, body
        if self.recorded:
            return
        services.api_write_record(**self._record(status=status, body=body))

    def _record(self, *, status: int, body: str) -> dict[str, Any]:
        """What both ways of recording the answer write: the audit row and the stored answer."""
        return {
            "api_key": self.key,
            "record": self.record,
            "method": self.method,
            "path": self.path,
            "status_code": status,
            "body": body,
            "idempotency_key": self.idempotency_key,
            "now": self.now,
        }


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


class _Claimed(Exception):
    """The idempotency key, claimed by the action's first statement, was claimed before: the
    action ends with the first response (a replay) or the conflict's problem, as the claim made
    before the action would have (its transaction rolls back: nothing was written)."""

    def __init__(self, answer: HttpResponse | ApiProblem) -> None:
        super().__init__()
        self.answer = answer


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
    request: HttpRequest, action: AnsweringAction, *, idempotency_key: str | None = None, claim_ahead: bool = False
) -> HttpResponse:
    """Perform a write for the request's key and audit it; the action may write the audit row
    and the answer along its effect (`Answer.along`). With `claim_ahead`, the action claims the
    idempotency key in its first statement (`Answer.claim_ahead`), which it must make before
    anything else and before it may refuse the request.

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

    def answer(record: IdempotencyRecord | None, *, claim_pending: bool = False) -> Answer:
        return Answer(
            request=request,
            key=key,
            record=record,
            method=method,
            path=path,
            idempotency_key=idempotency_key or "",
            fingerprint=fingerprint,
            now=now,
            claim_pending=claim_pending,
        )

    try:
        with transaction.atomic():
            record = None
            if idempotency_key and not claim_ahead:
                record, replayed = _claim(request, key, idempotency_key, fingerprint, now)
                if replayed is not None:
                    return replayed
            answering = answer(record, claim_pending=bool(idempotency_key) and claim_ahead)
            try:
                status, body = action(answering)
            except REFUSED as error:
                raise _Refused(_problem_body(error)) from error
            if answering.claim_pending:
                raise RuntimeError("The action did not claim its idempotency key")
            answering.write(status=status, body=body)
        return HttpResponse(body, status=status, content_type=JSON)
    except _Claimed as claimed:
        if isinstance(claimed.answer, ApiProblem):
            raise claimed.answer from None
        return claimed.answer
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
