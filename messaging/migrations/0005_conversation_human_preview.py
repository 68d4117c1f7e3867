from django.db import migrations, models
from django.db.models import F

PREVIEW_LENGTH = 140


def _preview(text, has_photos):
    # A copy of services._preview as it was when this migration was written.
    if text:
        flat = " ".join(text.split())
        return flat if len(flat) <= PREVIEW_LENGTH else flat[: PREVIEW_LENGTH - 1] + "…"
    return "📷" if has_photos else "…"


def backfill(apps, schema_editor):
    """The store's inbox line skips auto-replies: only conversations that ever had one can differ."""
    Conversation = apps.get_model("messaging", "Conversation")
    Message = apps.get_model("messaging", "Message")
    Conversation.objects.update(last_human_preview=F("last_message_preview"), last_human_side=F("last_message_side"))
    changed = []
    for conversation in Conversation.objects.filter(last_auto_reply_at__isnull=False).only("pk").iterator(2000):
        latest = (
            Message.objects.filter(conversation_id=conversation.pk, removed_at__isnull=True, is_auto_reply=False)
            .order_by("-pk")
            .first()
        )
        if latest is None:
            conversation.last_human_preview, conversation.last_human_side = "", ""
        else:
            conversation.last_human_preview = _preview(latest.text, latest.photos.exists())
            conversation.last_human_side = latest.side
        changed.append(conversation)
        if len(changed) >= 500:
            Conversation.objects.bulk_update(changed, ["last_human_preview", "last_human_side"])
            changed = []
    Conversation.objects.bulk_update(changed, ["last_human_preview", "last_human_side"])


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0004_staff_permissions"),
    ]

    operations = [
        migrations.AddField(
            model_name="conversation",
            name="last_human_preview",
            field=models.CharField(blank=True, max_length=140),
        ),
        migrations.AddField(
            model_name="conversation",
            name="last_human_side",
            field=models.CharField(blank=True, choices=[("buyer", "Buyer"), ("store", "Store")], max_length=10),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
