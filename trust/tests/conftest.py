"""Helpers of the trust tests: the seeded phrase lists and Moderators' rights, texts written through the services."""

import importlib
from datetime import UTC, datetime

import pytest

SEED = importlib.import_module("trust.migrations.0002_seed_phrase_lists")
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _seeded(request):
    """Transactional tests flush what the data migrations wrote; write it again first."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None:
        return
    request.getfixturevalue("transactional_db" if marker.kwargs.get("transaction") else "db")
    from django.apps import apps
    from django.contrib.auth.models import Group

    for name in ("Dispute resolvers", "Moderators", "Support agents"):
        Group.objects.get_or_create(name=name)
    SEED.seed(apps, None)
    SEED.grant(apps, None)
    importlib.import_module("feedback.migrations.0006_staff_action_permissions").grant(apps, None)
    importlib.import_module("messaging.migrations.0008_staff_action_permissions").grant(apps, None)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
