"""Searches by substring through trigram indexes on PostgreSQL.

The searches filter with `icontains`, which Django writes as `UPPER(column) LIKE UPPER('%…%')`
on PostgreSQL; a GIN index over `UPPER(column)` with `gin_trgm_ops` answers exactly that
expression, so the queries stay as they are and the zero-setup SQLite database (which has no
trigram indexes) keeps scanning. The indexes live only in the database, not in the models'
state: SQLite never sees them.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

# (index name, table, column): what the store search and the inbox search match against.
TRIGRAM_INDEXES = [
    ("store_name_trgm", "portal_store", "name"),
    ("product_title_trgm", "portal_product", "title"),
    ("user_display_name_trgm", "portal_user", "display_name"),
    ("order_number_trgm", "portal_order", "number"),
]


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, table, column in TRIGRAM_INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ((UPPER({column}::text)) gin_trgm_ops)"
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _column in TRIGRAM_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0006_external_refs_and_carrier"),
    ]

    operations = [
        # Skips itself on any database but PostgreSQL.
        TrigramExtension(),
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]
