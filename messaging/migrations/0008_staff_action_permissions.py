from django.apps.registry import Apps
from django.contrib.auth.management import create_permissions
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

# The staff's rights are checked by permission from now on, so that renaming a group in the
# admin keeps them: the groups that held them by name get the permissions.
GRANTS = {
    "Moderators": ["moderate_message"],
    "Support agents": ["answer_support"],
}


def grant(apps: Apps, schema_editor: BaseDatabaseSchemaEditor | None) -> None:
    # Permissions are normally created after all migrations; create ours now so they can be granted.
    app_config = apps.get_app_config("messaging")
    if not getattr(app_config, "models_module", None):
        # The migration state's stub lacks it; create_permissions only checks that it is set.
        app_config.models_module = True  # type: ignore[assignment]
    create_permissions(app_config, apps=apps, verbosity=0)
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for name, codenames in GRANTS.items():
        group, _created = group_model.objects.get_or_create(name=name)
        group.permissions.add(
            *permission_model.objects.filter(content_type__app_label="messaging", codename__in=codenames)
        )


def revoke(apps: Apps, schema_editor: BaseDatabaseSchemaEditor | None) -> None:
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for name, codenames in GRANTS.items():
        group = group_model.objects.filter(name=name).first()
        if group is not None:
            group.permissions.remove(
                *permission_model.objects.filter(content_type__app_label="messaging", codename__in=codenames)
            )


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0002_staff_groups"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("messaging", "0007_retention_indexes"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="conversation",
            options={
                "ordering": ("-last_message_at", "-id"),
                "permissions": [("answer_support", "Can answer support chats")],
                "verbose_name": "conversation",
                "verbose_name_plural": "conversations",
            },
        ),
        migrations.AlterModelOptions(
            name="message",
            options={
                "ordering": ("id",),
                "permissions": [("moderate_message", "Can uphold or dismiss message reports")],
                "verbose_name": "message",
                "verbose_name_plural": "messages",
            },
        ),
        migrations.RunPython(grant, revoke),
    ]
