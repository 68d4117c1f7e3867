from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor


def forward(apps: Apps, schema_editor: BaseDatabaseSchemaEditor | None) -> None:
    # Clocks started before the rules were versioned copied the settings: version 1.
    apps.get_model("disputes", "Dispute").objects.update(rules_version=1)
    apps.get_model("disputes", "Complaint").objects.update(rules_version=1)


class Migration(migrations.Migration):
    dependencies = [("disputes", "0017_clock_rules_version")]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
