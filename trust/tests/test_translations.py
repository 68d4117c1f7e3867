"""Every string of the trust app is translated into pl, zh_Hans, ko and gu; the moderators' page and
the notifications read in the reader's language."""

import re
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import translation

from portal.notify import NOTIFICATION_KINDS
from portal.tests.factories import UserFactory
from trust import services
from trust.models import Case

from .conftest import T0
from .helpers import write

LOCALE = Path(__file__).resolve().parents[1] / "locale"
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]")
LANGUAGES = ["pl", "zh_Hans", "ko", "gu"]


def _entries(path):
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        fields, key, flags = {}, None, ""
        for line in block.splitlines():
            if line.startswith("#,"):
                flags += line
            if line.startswith("#"):
                continue
            match = re.match(r'^(msgid|msgid_plural|msgstr(?:\[\d\])?) (".*")$', line)
            if match:
                key = match.group(1)
                fields[key] = ""
                line = match.group(2)
            if key is not None and line.startswith('"'):
                fields[key] += line[1:-1]
        if fields.get("msgid"):
            yield fields["msgid"], fields.get("msgstr", ""), flags


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_is_complete_with_placeholders_intact(language):
    entries = list(_entries(LOCALE / language / "LC_MESSAGES" / "django.po"))
    assert len(entries) > 90
    for msgid, msgstr, flags in entries:
        assert "fuzzy" not in flags, msgid
        assert (msgstr and msgstr != msgid) or msgid in {"moderator", "status"}, (language, msgid)
        assert sorted(PLACEHOLDER.findall(msgid)) == sorted(PLACEHOLDER.findall(msgstr)), (msgid, msgstr)


@pytest.mark.parametrize("language", ["pl", "zh-hans", "ko", "gu"])
def test_notifications_render_in_the_readers_language(language):
    for kind in ("trust_warning", "trust_content_removed", "penalty_added_abuse"):
        with translation.override("en"):
            english = str(NOTIFICATION_KINDS[kind].title), str(NOTIFICATION_KINDS[kind].body)
        with translation.override(language):
            title, body = str(NOTIFICATION_KINDS[kind].title), str(NOTIFICATION_KINDS[kind].body)
        assert title != english[0]
        assert body != english[1]
        assert "%(case)s" in body


ENGLISH = [
    "Evidence",
    "Open the source",
    "Other party",
    "Record the decision",
    "Offer tied to a rating",
    "Trust signals",
]


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["pl", "zh-hans", "ko", "gu"])
def test_the_case_page_has_no_english_left(client, buyer, seller, store, language):
    write("message", "Coupon for 5 stars!", buyer=buyer, seller=seller, store=store, at=T0)
    services.checks_sweep(now=T0)
    case = Case.objects.get()
    moderator = UserFactory(email="mod@example.com", is_staff=True, is_superuser=True, language=language)
    client.force_login(moderator)
    client.cookies["django_language"] = language
    body = client.get(reverse("admin:trust_case_change", args=[case.pk])).content.decode()
    assert [phrase for phrase in ENGLISH if phrase in body] == []
