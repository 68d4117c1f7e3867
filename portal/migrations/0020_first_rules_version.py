from datetime import UTC, datetime

from django.apps.registry import Apps
from django.contrib.auth.management import create_permissions
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.utils import timezone

# Version 1 of the rules is the settings: it stores no value, so every rule reads its setting.
FIRST_EFFECTIVE_FROM = datetime(2000, 1, 1, tzinfo=UTC)
# Every staff group may read the rules in the admin; publishing a version (`publish_rules`) is
# given to no group here: a superuser grants it to the people who may change the rules.
READERS = ("Dispute resolvers", "Moderators", "Support agents")


def forward(apps: Apps, schema_editor: BaseDatabaseSchemaEditor | None) -> None:
    rule_set = apps.get_model("portal", "RuleSet")
    rule_set.objects.get_or_create(
        version=1, defaults={"effective_from": FIRST_EFFECTIVE_FROM, "values": {}, "created_at": timezone.now()}
    )
    # Orders that shipped before the rules were versioned were judged by the settings.
    apps.get_model("portal", "Order").objects.filter(shipped_at__isnull=False).update(rules_version=1)
    app_config = apps.get_app_config("portal")
    if not getattr(app_config, "models_module", None):
        app_config.models_module = True  # type: ignore[assignment]
    create_permissions(app_config, apps=apps, verbosity=0)
    permission = apps.get_model("auth", "Permission").objects.get(
        content_type__app_label="portal", codename="view_ruleset"
    )
    for group in apps.get_model("auth", "Group").objects.filter(name__in=READERS):
        group.permissions.add(permission)


def backward(apps: Apps, schema_editor: BaseDatabaseSchemaEditor | None) -> None:
    apps.get_model("portal", "RuleSet").objects.filter(version=1).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0019_rule_versions"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forward, backward)]
