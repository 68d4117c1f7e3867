from django.apps.registry import Apps
from django.contrib.auth.management import create_permissions
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

# Moderators keep or remove reviews: they read every feedback model and change reviews and reports.
VIEW_MODELS = (
    "feedbackwindow",
    "itemreview",
    "storerating",
    "sellerrating",
    "additionalreview",
    "sellerreply",
    "revisionrequest",
    "reviewreport",
    "moderationdecision",
    "storescoreday",
)
CHANGE_MODELS = ("itemreview", "reviewreport")


def grant(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    app_config = apps.get_app_config("feedback")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    group, _created = group_model.objects.get_or_create(name="Moderators")
    codenames = [f"view_{m}" for m in VIEW_MODELS] + [f"change_{m}" for m in CHANGE_MODELS]
    group.permissions.add(*permission_model.objects.filter(content_type__app_label="feedback", codename__in=codenames))


def revoke(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    group_model = apps.get_model("auth", "Group")
    group = group_model.objects.filter(name="Moderators").first()
    if group is not None:
        group.permissions.remove(*group.permissions.filter(content_type__app_label="feedback"))


class Migration(migrations.Migration):
    dependencies = [
        ("feedback", "0001_initial"),
        ("portal", "0002_staff_groups"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
