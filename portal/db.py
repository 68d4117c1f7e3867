"""Hand-written statements: a cursor for the order ingest's, and `model_by` for the rows read on every request.

Django's PostgreSQL backend (psycopg 3) binds parameters on the client by default: every value
is quoted into the statement's text in Python, which on a statement with many values (an
order and its items as arrays) costs more CPU than the rest of the statement's way through
Django. `bound_cursor` sends the values apart from the text instead (PostgreSQL's extended
protocol; psycopg's dumpers, in C), for statements written for it: each value either has a
type PostgreSQL can infer from where it stands or an explicit cast. A statement run
`prepare_threshold` times on a connection (psycopg's default: 5) is then prepared, so
PostgreSQL stops planning it again: the statements read on every signed-in page (the
navigation counters, an inbox's rows) spend more time in the planner than running. Behind a
transaction-pooling PgBouncer older than 1.22, set `DB_PREPARE_THRESHOLD=0`, which the
settings turn into the connection's `prepare_threshold` (docs/operations.md).

On any other database, and without psycopg 3, it is `connection.cursor()`.
"""

import functools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, router
from django.db.backends.utils import CursorWrapper
from django.db.models import Model


@contextmanager
def bound_cursor(using: str = DEFAULT_DB_ALIAS) -> Iterator[CursorWrapper]:
    """A cursor of the `using` connection whose statements' parameters are bound by PostgreSQL.

    Wrapped as Django wraps its own cursors: the statements are in `connection.queries` (and
    `CaptureQueriesContext`) when those are recorded, and execute wrappers see them.
    """
    database = connections[using]
    make = _server_binding_cursor() if database.vendor == "postgresql" else None
    if make is None:
        with database.cursor() as cursor:
            yield cursor
        return
    # What `connection.cursor()` does before it makes a cursor: the per-request health check,
    # connecting, and refusing a connection another thread owns.
    database.close_if_health_check_failed()
    database.ensure_connection()
    database.validate_thread_sharing()
    raw = make(database.connection)
    # As Django's own cursors: times read in the connection's time zone when it changed since
    # the connection was made.
    if database.timezone != database.connection.adapters.get_loader(_TIMESTAMPTZ_OID, _TEXT_FORMAT).timezone:
        from django.db.backends.postgresql.psycopg_any import register_tzloader

        register_tzloader(database.timezone, raw)
    cursor = database.make_debug_cursor(raw) if database.queries_logged else database.make_cursor(raw)
    with cursor:
        yield cursor


# psycopg's timestamptz type and its text format (`psycopg.pq.Format.TEXT`).
_TIMESTAMPTZ_OID = 1184
_TEXT_FORMAT = 0


@functools.cache
def _server_binding_cursor() -> Any:
    """Django's psycopg 3 cursor class that binds on the server; None with psycopg 2."""
    from django.db.backends.postgresql.psycopg_any import is_psycopg3

    if not is_psycopg3:
        return None
    from django.db.backends.postgresql.base import ServerBindingCursor

    # Its psycopg base's private methods are not in the type stubs.
    base: Any = ServerBindingCursor

    class LoggedServerBindingCursor(base):
        """Keeps the statement it ran as a prepared one, as it does any other.

        psycopg forgets the statement of a prepared run (`_query`, private, is what Django's
        query log reads), so the log, `CaptureQueriesContext` and the debug toolbar would show a
        statement's text until its fifth run on a connection and then a dump of its values.
        """

        def _send_query_prepared(self, name: bytes, pgq: Any, *args: Any, **kwargs: Any) -> None:
            self._query = pgq
            super()._send_query_prepared(name, pgq, *args, **kwargs)

    return LoggedServerBindingCursor


@functools.cache
def model_columns(model: type[Model], alias: str) -> tuple[str, tuple[str, ...], tuple[Any, ...]]:
    """`alias."col", …` for every concrete field of `model`, their attribute names, and each
    field's converter from the database value (None when it needs none). Worked out once."""
    quote = connections[DEFAULT_DB_ALIAS].ops.quote_name
    fields = model._meta.concrete_fields
    select = ", ".join(f"{alias}.{quote(str(f.column))}" for f in fields)
    converters = tuple(getattr(f, "from_db_value", None) for f in fields)
    return select, tuple(f.attname for f in fields), converters


def model_from_row[M: Model](model: type[M], alias: str, row: Sequence[Any], *, using: str = DEFAULT_DB_ALIAS) -> M:
    """An instance of `model` from its columns as `model_columns` lists them, as the ORM builds it."""
    _select, attnames, converters = model_columns(model, alias)
    values = [
        value if convert is None else convert(value, None, connections[using])
        for convert, value in zip(converters, row, strict=True)
    ]
    return model.from_db(using, attnames, values)


def partial_model[M: Model](model: type[M], values: dict[str, Any], *, using: str = DEFAULT_DB_ALIAS) -> M:
    """An instance with only these fields loaded, the others deferred (read if asked for), as `.only()` builds it.

    `from_db` takes the values in the model's own field order, whatever order they are named in.
    """
    names = [field.attname for field in model._meta.concrete_fields if field.attname in values]
    return model.from_db(using, names, [values[name] for name in names])


def model_by[M: Model](model: type[M], *, column: str, value: Any) -> M | None:
    """The row of `model` whose `column` equals `value` (the first, if several), built as the ORM builds it.

    One fixed statement naming every column in the model's own field order: for the rows read
    on every request (the signed-in user, a public page's store), building the ORM's query
    costs more CPU than running it. Read from the database the router picks for reads; on
    another database than PostgreSQL (the zero-setup SQLite), through the ORM. `column` is also
    the field's name (`id`, `slug`).
    """
    alias = router.db_for_read(model)
    database = connections[alias]
    if database.vendor != "postgresql":
        # SQLite's driver returns times without their zone: the ORM's converters add it.
        return model._default_manager.using(alias).filter(**{column: value}).first()
    quote = database.ops.quote_name
    with database.cursor() as cursor:
        cursor.execute(
            f"SELECT {model_columns(model, 't')[0]} FROM {quote(model._meta.db_table)} t "  # noqa: S608
            f"WHERE t.{quote(column)} = %s LIMIT 1",
            [value],
        )
        row = cursor.fetchone()
    return None if row is None else model_from_row(model, "t", row, using=alias)
