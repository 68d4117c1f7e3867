import hashlib

from django.db import migrations, models

CHUNK = 1024 * 1024


def hash_served_files(apps, schema_editor):
    """Hash the served file of every ready photo; a photo whose file is missing keeps no digest."""
    Photo = apps.get_model("portal", "Photo")
    ready = Photo.objects.filter(status="ready", sha256__isnull=True).exclude(image="")
    for photo in ready.only("pk", "image").iterator(chunk_size=500):
        digest = hashlib.sha256()
        try:
            with photo.image.open("rb") as handle:
                for block in iter(lambda: handle.read(CHUNK), b""):
                    digest.update(block)
        except (FileNotFoundError, OSError, ValueError):
            continue
        Photo.objects.filter(pk=photo.pk).update(sha256=digest.hexdigest())


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0010_delivery_times_and_user_country"),
    ]

    operations = [
        migrations.AddField(
            model_name="photo",
            name="sha256",
            field=models.CharField(blank=True, max_length=64, null=True, verbose_name="SHA-256"),
        ),
        migrations.RunPython(hash_served_files, migrations.RunPython.noop, elidable=True),
    ]
