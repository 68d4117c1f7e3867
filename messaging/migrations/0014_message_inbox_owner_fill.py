"""The existing messages get their conversation's buyer and store, a batch per transaction.

Not atomic: each batch commits on its own (`messaging.owners`), so a big table is never locked
as a whole and the previous release keeps serving. Messages it writes meanwhile, without
owners, are filled after the restart by `python manage.py fill_message_owners`
(docs/operations.md, *Upgrading*). Every row is rewritten once: autovacuum reclaims the old
versions, or `VACUUM messaging_message` after the upgrade on a big table.
"""

from django.db import migrations

from messaging.owners import fill_message_owners


def fill(apps, schema_editor):
    fill_message_owners(schema_editor.connection)
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
