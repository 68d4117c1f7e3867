from django.conf import settings
from django.db import migrations, models
from django.db.models import Sum
from django.utils import timezone


def set_running_lapses(apps, schema_editor):
    """Give each running period its lapse (as `disputes.selectors.restriction_lapses_at` computes it)."""
    StoreRestriction = apps.get_model("disputes", "StoreRestriction")
    PenaltyEntry = apps.get_model("disputes", "PenaltyEntry")
    threshold = int(settings.OPINIA_PENALTY_RESTRICTION_POINTS)
    now = timezone.now()
    for restriction in StoreRestriction.objects.filter(lifted_at__isnull=True):
        by_expiry = list(
            PenaltyEntry.objects.filter(store_id=restriction.store_id, expires_at__gt=now)
            .values("expires_at")
            .annotate(points=Sum("points"))
            .order_by("expires_at")
            .values_list("expires_at", "points")
        )
        remaining = sum(points for _expires_at, points in by_expiry)
        lapses_at = now
        if max(0, remaining) >= threshold:
            for expires_at, points in by_expiry:
                remaining -= points
                lapses_at = expires_at
                if max(0, remaining) < threshold:
                    break
        restriction.lapses_at = lapses_at
        restriction.save(update_fields=["lapses_at"])


class Migration(migrations.Migration):
    dependencies = [
        ("disputes", "0012_field_labels"),
        ("portal", "0005_field_labels"),
    ]

    operations = [
        migrations.AddField(
            model_name="storerestriction",
            name="lapses_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="lapses"),
        ),
        migrations.AddIndex(
            model_name="storerestriction",
            index=models.Index(
                condition=models.Q(("lifted_at__isnull", True)), fields=["lapses_at"], name="store_restriction_lapse_due"
            ),
        ),
        migrations.RunPython(set_running_lapses, migrations.RunPython.noop),
    ]
