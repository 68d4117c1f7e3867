from django.apps.registry import Apps
from django.contrib.auth.management import create_permissions
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

# Staff who see the ledger also see when each store was restricted and lifted.
GRANTS = {
    "Dispute resolvers": ["view_storerestriction"],
    "Support agents": ["view_storerestriction"],
}


def grant(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    app_config = apps.get_app_config("disputes")
    if not getattr(app_config, "models_module", None):
        app_config.models_module = True  # type: ignore[assignment]
    create_permissions(app_config, apps=apps, verbosity=0)
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for name, codenames in GRANTS.items():
        group, _created = group_model.objects.get_or_create(name=name)
        group.permissions.add(
            *permission_model.objects.filter(content_type__app_label="disputes", codename__in=codenames)
        )


def revoke(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    permission_model = apps.get_model("auth", "Permission")
    group_model = apps.get_model("auth", "Group")
    for group in group_model.objects.filter(name__in=GRANTS):
        group.permissions.remove(
            *permission_model.objects.filter(content_type__app_label="disputes", codename="view_storerestriction")
        )


class Migration(migrations.Migration):
    dependencies = [("disputes", "0006_store_restriction"), ("portal", "0002_staff_groups")]

    operations = [migrations.RunPython(grant, revoke)]
