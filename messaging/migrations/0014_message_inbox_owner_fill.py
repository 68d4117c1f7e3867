"""The existing messages get their conversation's buyer and store, a batch per transaction.

Not atomic: each batch commits on its own (`messaging.owners`), so a big table is never locked
as a whole and the previous release keeps serving. Messages it writes meanwhile, without
owners, are filled after the restart by `python manage.py fill_message_owners`
(docs/operations.md, *Upgrading*).
"""

from django.db import migrations

from messaging.owners import fill_message_owners


def fill(apps, schema_editor):
    fill_message_owners(schema_editor.connection)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("messaging", "0013_message_inbox_owner"),
    ]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=False),
    ]
