"""On PostgreSQL, indexes on (owner, text) for the inbox search, built without locking writes.

The inbox search looks a term up among the messages of one inbox: a GIN index over
(`buyer_id`, `UPPER(text)`) — and one over the store — answers `buyer_id = … AND UPPER(text)
LIKE UPPER('%…%')` from the trigrams of the term and the owner's entry together, so a word
that thousands of other users' messages hold costs what a word nobody wrote costs. A GIN index
over a plain column needs the `btree_gin` extension (trusted, like `pg_trgm`: the database's
owner may create it). Like 0011, the indexes live only in the database (SQLite keeps scanning)
and skip removed messages, which the search skips too.

Not atomic: `CREATE INDEX CONCURRENTLY` lets the previous release go on writing messages while
the indexes are built. Undoing the migration drops the indexes and leaves the extension.
"""

from django.db import migrations

# (index name, owner column, extra condition)
OWNER_TEXT_INDEXES = [
    ("message_buyer_text_trgm", "buyer_id", ""),
    ("message_store_text_trgm", "store_id", " AND store_id IS NOT NULL"),
]


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
    for name, column, condition in OWNER_TEXT_INDEXES:
        # A concurrent build that failed or was cut short leaves an invalid index under its name,
        # which IF NOT EXISTS would keep forever: drop it and build again.
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                "SELECT NOT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = %s",
                [name],
            )
            row = cursor.fetchone()
        if row is not None and row[0]:
            schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON messaging_message "
            f"USING gin ({column}, (UPPER(text::text)) gin_trgm_ops) WHERE removed_at IS NULL{condition}"
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _column, _condition in OWNER_TEXT_INDEXES:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("messaging", "0014_message_inbox_owner_fill"),
        # The pg_trgm extension.
        ("portal", "0007_trigram_search"),
    ]

    operations = [
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]
