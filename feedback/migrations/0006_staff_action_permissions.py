from django.apps.registry import Apps
from django.contrib.auth.management import create_permissions
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

# The moderators' right is checked by permission from now on, so that renaming the group in the
# admin keeps it: the group that held it by name gets the permission.
GRANTS = {
    "Moderators": ["moderate_review"],
}


def grant(apps: Apps, schema_editor: BaseDatabaseSchemaEditor | None) -> None:
    # Permissions are normally created after all migrations; create ours now so they can be granted.
    app_config = apps.get_app_config("feedback")
    if not getattr(app_config, "models_module", None):
        # The migration state's stub lacks it; create_permissions only checks that it is set.
        app_config.models_module = True  # type: ignore[assignment]
    create_permissions(app_config, apps=apps, verbosity=0)
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for name, codenames in GRANTS.items():
        group, _created = group_model.objects.get_or_create(name=name)
        group.permissions.add(
            *permission_model.objects.filter(content_type__app_label="feedback", codename__in=codenames)
        )


def revoke(apps: Apps, schema_editor: BaseDatabaseSchemaEditor | None) -> None:
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for name, codenames in GRANTS.items():
        group = group_model.objects.filter(name=name).first()
        if group is not None:
            group.permissions.remove(
                *permission_model.objects.filter(content_type__app_label="feedback", codename__in=codenames)
            )


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0002_staff_groups"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("feedback", "0005_review_list_sorts"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="itemreview",
            options={
                "permissions": [("moderate_review", "Can keep or remove reported reviews")],
                "verbose_name": "item review",
                "verbose_name_plural": "item reviews",
            },
        ),
        migrations.RunPython(grant, revoke),
    ]
