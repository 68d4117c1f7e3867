"""Each message carries its conversation's buyer and store, and on PostgreSQL an index on (owner, text).

The inbox search looks a term up among the messages of one inbox: a GIN index over
(`buyer_id`, `UPPER(text)`) — and one over the store — answers `buyer_id = … AND UPPER(text)
LIKE UPPER('%…%')` from the trigrams of the term and the owner's entry together, so a word
that thousands of other users' messages hold costs what a word nobody wrote costs. A GIN index
over a plain column needs the `btree_gin` extension. Like 0011, the indexes live only in the
database (SQLite keeps scanning) and skip removed messages, which the search skips too.

Existing messages get their owners from their conversations in one statement.
"""

import django.db.models.deletion
from django.conf import settings
from django.contrib.postgres.operations import BtreeGinExtension
from django.db import migrations, models
from django.db.models import OuterRef, Subquery

# (index name, owner column, extra condition)
OWNER_TEXT_INDEXES = [
    ("message_buyer_text_trgm", "buyer_id", ""),
    ("message_store_text_trgm", "store_id", " AND store_id IS NOT NULL"),
]


def copy_owners(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "UPDATE messaging_message m SET buyer_id = c.buyer_id, store_id = c.store_id "
            "FROM messaging_conversation c WHERE c.id = m.conversation_id"
        )
        return
    message_model = apps.get_model("messaging", "Message")
    conversation_model = apps.get_model("messaging", "Conversation")
    conversation = conversation_model.objects.filter(pk=OuterRef("conversation_id"))
    message_model.objects.update(
        buyer_id=Subquery(conversation.values("buyer_id")[:1]), store_id=Subquery(conversation.values("store_id")[:1])
    )


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, column, condition in OWNER_TEXT_INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON messaging_message "
            f"USING gin ({column}, (UPPER(text::text)) gin_trgm_ops) WHERE removed_at IS NULL{condition}"
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _column, _condition in OWNER_TEXT_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0012_support_topic_platform_auto_replies"),
        ("portal", "0020_first_rules_version"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="message",
            name="buyer",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="buyer",
            ),
        ),
        migrations.AddField(
            model_name="message",
            name="store",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="portal.store",
                verbose_name="store",
            ),
        ),
        migrations.RunPython(copy_owners, migrations.RunPython.noop, elidable=False),
        # Skips itself on any database but PostgreSQL.
        BtreeGinExtension(),
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]
