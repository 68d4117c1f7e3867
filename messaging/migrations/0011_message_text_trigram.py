"""The inbox search over message texts through a trigram index on PostgreSQL.

Same pattern as portal's 0007_trigram_search: a GIN index over `UPPER(text)` answers the
`icontains` the inbox search writes, only on visible messages (the search skips removed ones).
SQLite keeps scanning.
"""

from django.db import migrations


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS message_text_trgm ON messaging_message "
        "USING gin ((UPPER(text::text)) gin_trgm_ops) WHERE removed_at IS NULL"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS message_text_trgm")


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0010_support_chat_events"),
        # The pg_trgm extension.
        ("portal", "0007_trigram_search"),
    ]

    operations = [
        migrations.RunPython(create_index, drop_index, elidable=False),
    ]
