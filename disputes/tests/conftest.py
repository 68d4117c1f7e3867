import pytest
from django.utils import timezone


@pytest.fixture
def now():
    return timezone.now().replace(microsecond=0)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _staff_groups(request):
    """Transactional tests flush the groups the migrations made; make them again first."""
    if request.node.get_closest_marker("django_db") is None:
        return
    request.getfixturevalue(
        "transactional_db" if request.node.get_closest_marker("django_db").kwargs.get("transaction") else "db"
    )
    import importlib

    from django.apps import apps
    from django.contrib.auth.models import Group

    for name in ("Dispute resolvers", "Moderators", "Support agents"):
        Group.objects.get_or_create(name=name)
    # ... and grant our permissions again, as the data migration did.
    importlib.import_module("disputes.migrations.0002_staff_permissions").grant(apps, None)
    importlib.import_module("disputes.migrations.0007_restriction_permissions").grant(apps, None)
    importlib.import_module("disputes.migrations.0011_staff_action_permissions").grant(apps, None)
    importlib.import_module("disputes.migrations.0014_evidence_custody_log").grant(apps, None)
    importlib.import_module("messaging.migrations.0008_staff_action_permissions").grant(apps, None)
