"""Every write of the api app: keys, the idempotency ledger and the audit log."""

import functools
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from api.models import ApiKey, ApiRequestLog, IdempotencyRecord
from api.scopes import scopes_for_kind
from portal.db import bound_cursor
from portal.models import Store, User
from portal.selectors import user_is_store_member

KEY_PREFIX = "opk_"
# The visible part: "opk_" and 8 hex characters; the key is that, "_", and 43 random characters.
PREFIX_LENGTH = len(KEY_PREFIX) + 8
# last_used_at is written at most this often per key: a busy key must not write on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def key_hash(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedKey:
    key: ApiKey
    # The whole key, shown once to whoever created it and never stored.
    secret: str


def api_key_issue(
    *,
    kind: str,
    name: str,
    scopes: list[str],
    actor: User,
    now: datetime,
    store: Store | None = None,
    expires_at: datetime | None = None,
) -> IssuedKey:
    """Create a key and return it with its secret, which exists only in this return value.

    Integration keys are issued by staff (the admin checks the permission); store keys only
    by the store's owner. Audited on the key's admin history.
    """
    if kind == ApiKey.Kind.STORE:
        if store is None or not user_is_store_member(user=actor, store_id=store.pk, owner_only=True):
            raise PermissionDenied
    elif kind == ApiKey.Kind.INTEGRATION:
        if store is not None or not actor.is_staff:
            raise PermissionDenied
    else:
        raise ValidationError(_("Unknown kind of key."))
    allowed = scopes_for_kind(kind)
    if not scopes:
        raise ValidationError({"scopes": _("Choose at least one scope.")})
    unknown = sorted(set(scopes) - set(allowed))
    if unknown:
        raise ValidationError({"scopes": _("Unknown scopes: %(scopes)s.") % {"scopes": ", ".join(unknown)}})
    if expires_at is not None and expires_at <= now:
        raise ValidationError({"expires_at": _("The expiry must be in the future.")})
    with transaction.atomic():
        while True:
            prefix = KEY_PREFIX + secrets.token_hex(4)
            secret = f"{prefix}_{secrets.token_urlsafe(32)}"
            try:
                with transaction.atomic():
                    key = ApiKey.objects.create(
                        kind=kind,
                        store=store,
                        name=name,
                        prefix=prefix,
                        secret_hash=key_hash(secret),
                        scopes=sorted(set(scopes)),
                        expires_at=expires_at,
                        created_by=actor,
                        created_at=now,
                    )
                break
            except IntegrityError:  # the 8-character prefix collided with another key's: draw again
                continue
        LogEntry.objects.log_actions(
            user_id=actor.pk, queryset=[key], action_flag=ADDITION, change_message=[{"added": {}}], single_object=True
        )
    return IssuedKey(key=key, secret=secret)


REVOKE_PERMISSION = "api.revoke_apikey"


def user_may_revoke_any_key(user: User) -> bool:
    """Staff holding the revoke permission (superusers have it): any key, of either kind."""
    return user.is_active and user.is_staff and user.has_perm(REVOKE_PERMISSION)


def api_key_revoke(*, key_id: int, actor: User, now: datetime, store: Store | None = None) -> ApiKey:
    """Revoke a key at once: any key by staff with the revoke permission; a store key also by its
    store's owner (`store` given). Revoking twice changes nothing. Audited."""
    with transaction.atomic():
        key = ApiKey.objects.select_for_update().filter(pk=key_id).first()
        if key is None:
            raise ValidationError(_("No such key."))
        by_owner = (
            key.kind == ApiKey.Kind.STORE
            and store is not None
            and key.store_id == store.pk
            and user_is_store_member(user=actor, store_id=store.pk, owner_only=True)
        )
        if not by_owner and not user_may_revoke_any_key(actor):
            raise PermissionDenied
        if key.revoked_at is None:
            key.revoked_at = now
            key.save(update_fields=["revoked_at"])
            LogEntry.objects.log_actions(
                user_id=actor.pk,
                queryset=[key],
                action_flag=CHANGE,
                change_message=[{"changed": {"fields": ["Revoked"]}}],
                single_object=True,
            )
    return key


def api_key_touch(*, key: ApiKey, now: datetime) -> bool:
    """Record that the key was used, at most once per LAST_USED_RESOLUTION (one conditional UPDATE);
    True when it was due (`key.last_used_at` is then `now`, whichever process wrote it)."""
    if key.last_used_at is not None and now - key.last_used_at < LAST_USED_RESOLUTION:
        return False
    ApiKey.objects.filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION), pk=key.pk
    ).update(last_used_at=now)
    key.last_used_at = now
    return True


class IdempotencyConflict(Exception):
    """The idempotency key was used before with another request."""


@functools.cache
def _idempotency_claim_sql() -> str:
    quote = connection.ops.quote_name
    table, pk = quote(IdempotencyRecord._meta.db_table), quote("id")
    key_columns = f"{quote('api_key_id')}, {quote('key')}"
    columns = f"{key_columns}, {quote('request_hash')}, {quote('response_body')}, {quote('created_at')}"
    return (
        f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, '', %s) "  # noqa: S608 - fixed names, values bound
        f"ON CONFLICT ({key_columns}) DO NOTHING RETURNING {pk}"
    )


def idempotency_claim_sql(*, api_key: ApiKey, key: str, request_hash: str, now: datetime) -> tuple[str, list[Any]]:
    """The statement that claims `key` (see `idempotency_claim`) and its parameters: it returns
    the new record's key, and no row when the key was claimed before. It may stand in a CTE of
    another statement; the record is then `idempotency_claimed`, or when it returned no row,
    `idempotency_claim` tells a replay from a conflict."""
    return _idempotency_claim_sql(), [api_key.pk, key, request_hash, connection.ops.adapt_datetimefield_value(now)]


def idempotency_claimed(*, api_key: ApiKey, key: str, request_hash: str, now: datetime, pk: int) -> IdempotencyRecord:
    return IdempotencyRecord(
        pk=pk, api_key=api_key, key=key, request_hash=request_hash, response_body="", created_at=now
    )


def idempotency_claim(*, api_key: ApiKey, key: str, request_hash: str, now: datetime) -> tuple[IdempotencyRecord, bool]:
    """Claim `key` for this request; returns the record and whether it was already there (replay).

    Must run inside the transaction that performs the request's effect. Insert first: a
    concurrent request with the same key blocks on the unique index until the first one
    commits, then finds its finished record and replays it, so the effect happens once.
    Raises IdempotencyConflict when the key was used with another request.
    """
    # INSERT … ON CONFLICT DO NOTHING rather than a savepoint around a failing insert: one
    # statement on the path every keyed write takes (PostgreSQL and SQLite both speak it).
    sql, params = idempotency_claim_sql(api_key=api_key, key=key, request_hash=request_hash, now=now)
    with bound_cursor() as cursor:
        cursor.execute(sql, params)
        inserted = cursor.fetchone()
    if inserted is not None:
        return idempotency_claimed(api_key=api_key, key=key, request_hash=request_hash, now=now, pk=inserted[0]), False
    existing = IdempotencyRecord.objects.get(api_key=api_key, key=key)
    if existing.request_hash != request_hash:
        raise IdempotencyConflict
    return existing, True


# The audit row's fields, in the order both ways of writing it name them.
_LOG_FIELD_NAMES = ("api_key", "method", "path", "status_code", "idempotency_key", "created_at")


@functools.cache
def _log_fields() -> tuple[Any, ...]:
    by_name = {f.name: f for f in ApiRequestLog._meta.concrete_fields}
    return tuple(by_name[name] for name in _LOG_FIELD_NAMES)


def _log_values(
    *, api_key: ApiKey, method: str, path: str, status_code: int, idempotency_key: str, now: datetime
) -> list[Any]:
    """The audit row's values, in `_LOG_FIELD_NAMES` order."""
    return [api_key.pk, method, path[:300], status_code, idempotency_key, connection.ops.adapt_datetimefield_value(now)]


def api_write_record(
    *,
    api_key: ApiKey,
    record: IdempotencyRecord | None,
    method: str,
    path: str,
    status_code: int,
    body: str,
    idempotency_key: str,
    now: datetime,
) -> None:
    """The end of every keyed write: its audit row and, when it claimed an idempotency key, the
    response to replay, in one statement (the UPDATE rides along the INSERT as a CTE)."""
    if connection.vendor != "postgresql":  # the zero-setup SQLite database: no UPDATE inside WITH
        if record is not None:
            record.status_code, record.response_body = status_code, body
            record.save(update_fields=["status_code", "response_body"])
        ApiRequestLog.objects.create(
            api_key=api_key,
            method=method,
            path=path[:300],
            status_code=status_code,
            idempotency_key=idempotency_key,
            created_at=now,
        )
        return
    quote = connection.ops.quote_name
    log_table = quote(ApiRequestLog._meta.db_table)
    columns = ", ".join(quote(str(f.column)) for f in _log_fields())
    values = _log_values(
        api_key=api_key, method=method, path=path, status_code=status_code, idempotency_key=idempotency_key, now=now
    )
    insert = f"INSERT INTO {log_table} ({columns}) VALUES (%s, %s, %s, %s, %s, %s)"  # noqa: S608 - fixed names
    if record is None:
        sql, params = insert, values
    else:
        record.status_code = status_code
        record.response_body = body
        record_table = quote(IdempotencyRecord._meta.db_table)
        sql = (
            f"WITH done AS (UPDATE {record_table} SET {quote('status_code')} = %s, "  # noqa: S608 - fixed names
            f"{quote('response_body')} = %s WHERE {quote('id')} = %s) {insert}"
        )
        params = [status_code, body, record.pk, *values]
    with bound_cursor() as cursor:
        cursor.execute(sql, params)


@functools.cache
def _record_along_sql(*, gate: str, with_record: bool) -> str:
    quote = connection.ops.quote_name
    log_fields = _log_fields()
    columns = ", ".join(quote(str(f.column)) for f in log_fields)
    # Cast: the values stand in a SELECT list, where PostgreSQL cannot infer their types.
    values = ", ".join(f"%s::{f.db_type(connection)}" for f in log_fields)
    log = (
        f"api_log AS (INSERT INTO {quote(ApiRequestLog._meta.db_table)} ({columns}) "  # noqa: S608 - fixed names
        f"SELECT {values} FROM {gate} LIMIT 1)"
    )
    if not with_record:
        return log
    record_table = quote(IdempotencyRecord._meta.db_table)
    return (
        f"api_answer AS (UPDATE {record_table} SET {quote('status_code')} = %s::smallint, "  # noqa: S608 - fixed names
        f"{quote('response_body')} = %s::text WHERE {quote('id')} = %s::bigint AND EXISTS (SELECT FROM {gate})), {log}"
    )


def api_write_record_along(
    *,
    gate: str,
    api_key: ApiKey,
    record: IdempotencyRecord | None,
    method: str,
    path: str,
    status_code: int,
    body: str,
    idempotency_key: str,
    now: datetime,
) -> tuple[str, list[Any]]:
    """`api_write_record` as CTEs (PostgreSQL) to ride along the WITH of the statement that
    writes the effect, saving a round trip: the text and its parameters, in order. They write
    only when the CTE named `gate` returns a row (the effect took place); the caller then must
    not call `api_write_record` as well, and must when it did not."""
    params: list[Any] = []
    if record is not None:
        params += [status_code, body, record.pk]
    params += _log_values(
        api_key=api_key, method=method, path=path, status_code=status_code, idempotency_key=idempotency_key, now=now
    )
    return _record_along_sql(gate=gate, with_record=record is not None), params


def idempotency_records_prune(*, now: datetime, batch_size: int = 5000) -> int:
    """Delete idempotency records older than OPINIA_API_IDEMPOTENCY_RETENTION_HOURS, in batches.

    A client retries within minutes or hours; after the retention a reused key is a new request.
    """
    from django.conf import settings

    cutoff = now - timedelta(hours=settings.OPINIA_API_IDEMPOTENCY_RETENTION_HOURS)
    deleted = 0
    while True:
        ids = list(IdempotencyRecord.objects.filter(created_at__lt=cutoff).values_list("pk", flat=True)[:batch_size])
        if not ids:
            return deleted
        deleted += IdempotencyRecord.objects.filter(pk__in=ids).delete()[0]
