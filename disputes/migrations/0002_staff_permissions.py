from django.apps.registry import Apps
from django.contrib.auth.management import create_permissions
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

# Dispute resolvers work the dispute queue and see the ledger; support agents answer
# complaints (appeals included). Nobody gets "delete": cases and the ledger are kept.
GRANTS = {
    "Dispute resolvers": [
        "view_dispute",
        "change_dispute",
        "view_disputeoffer",
        "view_disputemessage",
        "view_disputeevent",
        "view_penaltyentry",
        "view_storepenaltystanding",
        "view_complaint",
    ],
    "Support agents": [
        "view_complaint",
        "change_complaint",
        "view_complaintevent",
        "view_penaltyentry",
        "view_storepenaltystanding",
    ],
    "Moderators": ["view_complaint", "change_complaint"],
}


def grant(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    # Permissions are normally created after all migrations; create ours now so they can be granted.
    app_config = apps.get_app_config("disputes")
    if not getattr(app_config, "models_module", None):
        # The migration state's stub lacks it; create_permissions only checks that it is set.
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
        group.permissions.remove(*permission_model.objects.filter(content_type__app_label="disputes"))


class Migration(migrations.Migration):
    dependencies = [
        ("disputes", "0001_initial"),
        ("portal", "0002_staff_groups"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
