"""Each message carries its conversation's buyer and store, for the inbox search (0014 fills, 0015 indexes them).

Nullable columns without a default: adding them rewrites nothing, so the table is locked only
for a moment. The owners of existing messages are filled by 0014 in batches, and the indexes
on (owner, text) are built by 0015 without locking writes; each is its own migration so that
none holds the table for the length of another.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


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
    ]
