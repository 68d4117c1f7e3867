"""The escalation window ends with day 15; the automatic escalation comes on day 16.

Cases opened before kept their day-15 moment as the end of the window; their automatic
escalation moves one day later, to day 16.
"""

from datetime import timedelta

from django.db import migrations, models
from django.db.models import F


def split_window(apps, schema_editor):
    Dispute = apps.get_model("disputes", "Dispute")
    Dispute.objects.update(
        escalation_closes_at=F("auto_escalate_at"), auto_escalate_at=F("auto_escalate_at") + timedelta(days=1)
    )


def join_window(apps, schema_editor):
    Dispute = apps.get_model("disputes", "Dispute")
    Dispute.objects.update(auto_escalate_at=F("escalation_closes_at"))


class Migration(migrations.Migration):
    dependencies = [("disputes", "0004_status_reason_index")]

    operations = [
        migrations.AddField(
            model_name="dispute",
            name="escalation_closes_at",
            field=models.DateTimeField(null=True, verbose_name="escalation possible until"),
        ),
        migrations.RunPython(split_window, join_window),
        migrations.AlterField(
            model_name="dispute",
            name="escalation_closes_at",
            field=models.DateTimeField(verbose_name="escalation possible until"),
        ),
    ]
