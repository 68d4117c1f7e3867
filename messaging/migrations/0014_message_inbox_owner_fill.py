"""The existing messages get their conversation's buyer and store, a batch per transaction.

Not atomic: each batch commits on its own, so a big table is never locked
as a whole and the previous release keeps serving. Messages it writes meanwhile, without
owners, are filled after the restart by `python manage.py fill_message_owners`
(docs/operations.md, *Upgrading*). Every row is rewritten once: autovacuum reclaims the old
versions, or `VACUUM messaging_message` after the upgrade on a big table.
"""

from django.db import migrations

# As `messaging.owners.fill_message_owners` was when this migration was written: a migration
# keeps its own copy, so that later edits to the app cannot change what it did.
BATCH = 10_000


def fill(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute(
                "UPDATE messaging_message SET "
                "buyer_id = (SELECT c.buyer_id FROM messaging_conversation c WHERE c.id = conversation_id), "
                "store_id = (SELECT c.store_id FROM messaging_conversation c WHERE c.id = conversation_id) "
                "WHERE buyer_id IS NULL"
            )
            return
        cursor.execute("SELECT min(id), max(id) FROM messaging_message WHERE buyer_id IS NULL")
        first, last = cursor.fetchone()
        if first is not None:
            for start in range(first, last + 1, BATCH):
                cursor.execute(
                    "UPDATE messaging_message m SET buyer_id = c.buyer_id, store_id = c.store_id "
                    "FROM messaging_conversation c "
                    "WHERE m.id >= %s AND m.id < %s AND m.buyer_id IS NULL AND c.id = m.conversation_id",
                    [start, start + BATCH],
                )
    if schema_editor.connection.vendor == "postgresql":
        # The planner learns the new columns now, not at autovacuum's next pass: until then it
        # would guess the owners' share of the rows when choosing how to search.
        schema_editor.execute("ANALYZE messaging_message")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("messaging", "0013_message_inbox_owner"),
    ]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=False),
    ]
