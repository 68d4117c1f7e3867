import io
from datetime import time

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from messaging import services
from messaging.models import Side
from portal.models import WorkingHours
from portal.tests.factories import UserFactory


def jpeg_bytes(size=(64, 48), colour=(200, 30, 30)):
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG")
    return buffer.getvalue()


def jpeg_upload(name="photo.jpg", **kwargs):
    return SimpleUploadedFile(name, jpeg_bytes(**kwargs), content_type="image/jpeg")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def support_agent(db):
    user = UserFactory(email="support@example.com", display_name="Sue Support", is_staff=True)
    user.groups.set(Group.objects.filter(name="Support agents"))
    return user


@pytest.fixture
def moderator(db):
    user = UserFactory(email="moderator@example.com", display_name="Max Moderator", is_staff=True)
    user.groups.set(Group.objects.filter(name="Moderators"))
    return user


@pytest.fixture
def open_all_week(store):
    """The store is open around the clock, so no auto-reply interferes."""
    for day in range(7):
        WorkingHours.objects.create(store=store, weekday=day, opens_at=time(0, 0), closes_at=time(23, 59, 59))
    return store


@pytest.fixture
def conversation(buyer, store, open_all_week):
    message, _created = services.conversation_start(buyer=buyer, store=store, text="Hello store", now=timezone.now())
    return message.conversation


def reply(conversation, sender, text="Hello buyer", now=None):
    return services.message_send(
        conversation_id=conversation.pk, sender=sender, side=Side.STORE, text=text, now=now or timezone.now()
    )


def write(conversation, sender, text="Another question", now=None):
    return services.message_send(
        conversation_id=conversation.pk, sender=sender, side=Side.BUYER, text=text, now=now or timezone.now()
    )
