from django.apps.registry import Apps
from django.contrib.auth.management import create_permissions
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

# Who among the staff may do what in the message centre's admin.
GRANTS = {
    "Moderators": [
        "view_conversation",
        "view_message",
        "view_messagereport",
        "change_messagereport",
        "view_block",
    ],
    "Support agents": [
        "view_conversation",
        "view_message",
        "view_messagereport",
        "view_notification",
    ],
}


def grant(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    # Permissions are normally created after all migrations; make them now so they can be granted.
    app_config = apps.get_app_config("messaging")
    app_config.models_module = True  # type: ignore[assignment]  # the stub lacks it; create_permissions checks it
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None  # type: ignore[assignment]
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for group_name, codenames in GRANTS.items():
        group, _created = group_model.objects.get_or_create(name=group_name)
        group.permissions.add(
            *permission_model.objects.filter(content_type__app_label="messaging", codename__in=codenames)
        )


def revoke(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for group_name, codenames in GRANTS.items():
        group = group_model.objects.filter(name=group_name).first()
        if group:
            group.permissions.remove(
                *permission_model.objects.filter(content_type__app_label="messaging", codename__in=codenames)
            )


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0003_conversations"),
        ("portal", "0002_staff_groups"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
