"""Date every existing store's first weekly summary (the next Saturday 09:00 on its wall clock),
and let support agents read the summaries sent."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth.management import create_permissions
from django.db import migrations
from django.utils import timezone

BATCH = 1000


def next_saturday_nine(time_zone, after):
    # A frozen copy of portal.weekly_summary.weekly_summary_next_due (migrations do not import app code).
    zone = ZoneInfo(time_zone)
    local = after.astimezone(zone)
    day = local.date() + timedelta(days=(5 - local.weekday()) % 7)
    due = datetime.combine(day, time(9, 0), tzinfo=zone)
    if due <= after:
        due = datetime.combine(day + timedelta(days=7), time(9, 0), tzinfo=zone)
    return due.astimezone(UTC)


def date_stores(apps, schema_editor):
    Store = apps.get_model("portal", "Store")
    now = timezone.now()
    pending = Store.objects.filter(weekly_summary_due_at__isnull=True).only("pk", "time_zone").order_by("pk")
    batch = []
    for store in pending.iterator(chunk_size=BATCH):
        store.weekly_summary_due_at = next_saturday_nine(store.time_zone, now)
        batch.append(store)
        if len(batch) == BATCH:
            Store.objects.bulk_update(batch, ["weekly_summary_due_at"])
            batch = []
    Store.objects.bulk_update(batch, ["weekly_summary_due_at"])


# Support agents answer sellers' questions about what their summary said.
GRANTS = {"Support agents": ["view_weeklysummary"]}


def grant(apps, schema_editor):
    app_config = apps.get_app_config("portal")
    if not getattr(app_config, "models_module", None):
        app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for name, codenames in GRANTS.items():
        group, _created = group_model.objects.get_or_create(name=name)
        group.permissions.add(*permission_model.objects.filter(content_type__app_label="portal", codename__in=codenames))


def revoke(apps, schema_editor):
    permission_model = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name__in=GRANTS):
        group.permissions.remove(
            *permission_model.objects.filter(content_type__app_label="portal", codename="view_weeklysummary")
        )


class Migration(migrations.Migration):
    dependencies = [("portal", "0015_weekly_summary"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [
        migrations.RunPython(date_stores, migrations.RunPython.noop),
        migrations.RunPython(grant, revoke),
    ]
