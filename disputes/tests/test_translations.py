"""Every string of the app is translated into the four other languages, placeholders intact."""

import re
from pathlib import Path

import pytest

LOCALE = Path(__file__).resolve().parents[1] / "locale"
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|\{[a-z_]+\}|%[dhm](?![a-z])")


def _entries(path: Path):
    """(msgid, [msgstr...], is plural, flags) of each entry, from the plain .po text."""
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        lines = [line for line in block.splitlines() if not line.startswith("#|")]
        flags = " ".join(line for line in lines if line.startswith("#,"))
        fields: dict[str, str] = {}
        key = None
        for line in lines:
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
            yield (
                fields["msgid"],
                [v for k, v in fields.items() if k.startswith("msgstr")],
                "msgid_plural" in fields,
                flags,
            )


@pytest.mark.parametrize("language", ["pl", "zh_Hans", "ko", "gu"])
def test_catalogue_is_complete(language):
    entries = list(_entries(LOCALE / language / "LC_MESSAGES" / "django.po"))
    assert len(entries) > 300
    for msgid, msgstrs, plural, flags in entries:
        assert "fuzzy" not in flags, msgid
        assert msgstrs, msgid
        assert all(msgstrs), msgid
        if not plural:  # a plural's singular form may spell its number out ("one day")
            assert sorted(set(PLACEHOLDER.findall(msgid))) == sorted(set(PLACEHOLDER.findall(msgstrs[0]))), (
                msgid,
                msgstrs[0],
            )


ENGLISH = [
    "Open the dispute",
    "What do you ask for?",
    "My disputes",
    "Complain to the platform",
    "Penalty points of",
    "Live points:",
    "Disputes of",
    "The seller has",
    "Make or change your offer",
    "Case thread (evidence)",
    "Evidence photos (optional)",
]


@pytest.mark.parametrize("language", ["pl", "zh-hans", "ko", "gu"])
def test_buyer_and_seller_pages_have_no_english_left(client, buyer, seller, store, now, language):
    from django.urls import reverse

    from disputes.tests.helpers import DAY, open_dispute, shipped_order

    dispute = open_dispute(buyer=buyer, store=store, now=now - DAY)
    order = shipped_order(buyer=buyer, store=store, at=now)
    pages = {
        buyer: [
            reverse("disputes:open", args=[order.pk]),
            reverse("disputes:detail", args=[dispute.pk]),
            reverse("disputes:mine"),
            reverse("disputes:complaint_new"),
        ],
        seller: [
            reverse("disputes:detail", args=[dispute.pk]),
            reverse("disputes:store", args=[store.slug]),
            reverse("disputes:penalties", args=[store.slug]),
        ],
    }
    for user, urls in pages.items():
        user.language = language
        user.save(update_fields=["language"])
        client.force_login(user)
        client.cookies["django_language"] = language
        for url in urls:
            body = client.get(url).content.decode()
            left = [phrase for phrase in ENGLISH if phrase in body]
            assert left == [], (url, left)
