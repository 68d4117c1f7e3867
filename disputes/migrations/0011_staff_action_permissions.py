from django.apps.registry import Apps
from django.contrib.auth.management import create_permissions
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

# The staff's rights are checked by permission from now on, so that renaming a group in the
# admin keeps them: the groups that held them by name get the permissions.
GRANTS = {
    "Dispute resolvers": ["resolve_dispute"],
    "Support agents": ["answer_complaint"],
    "Moderators": ["answer_complaint"],
}


def grant(apps: Apps, schema_editor: BaseDatabaseSchemaEditor | None) -> None:
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


def revoke(apps: Apps, schema_editor: BaseDatabaseSchemaEditor | None) -> None:
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for name, codenames in GRANTS.items():
        group = group_model.objects.filter(name=name).first()
        if group is not None:
            group.permissions.remove(
                *permission_model.objects.filter(content_type__app_label="disputes", codename__in=codenames)
            )


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0002_staff_groups"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("disputes", "0010_admin_queue_order"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="complaint",
            options={
                "ordering": ("-created_at", "-pk"),
                "permissions": [("answer_complaint", "Can take, answer and close complaints")],
                "verbose_name": "complaint",
                "verbose_name_plural": "complaints",
            },
        ),
        migrations.AlterModelOptions(
            name="dispute",
            options={
                "ordering": ("-opened_at", "-pk"),
                "permissions": [("resolve_dispute", "Can decide escalated disputes")],
                "verbose_name": "dispute",
                "verbose_name_plural": "disputes",
            },
        ),
        migrations.RunPython(grant, revoke),
    ]
