"""Turn the dispute timeline's stored sentences into note kinds, read in each reader's language.

The sentences were stored in the language active when they were written (a party's for
offers and acceptances, English for the worker's clocks), so each is recognised in every
language of the site. Notes that match nothing were typed by a person and stay as they are.
"""

import re

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.utils import translation

LANGUAGES = ("en", "pl", "zh-hans", "ko", "gu")
BATCH = 1000
PARAM = re.compile(r"%\((\w+)\)[sd]")
AMOUNT = r"-?\d+(?:\.\d+)?"
CURRENCY = r"[A-Z]{3}"
DAYS = r"\d+"

# The English texts as the code stored them before notes had kinds.
OUTCOMES = {"full_refund": "Full refund", "partial_refund": "Partial refund", "return_refund": "Return and refund"}
# An offer was an f-string of the translated outcome, the amount and the currency.
OFFER = "%(outcome)s %(amount)s %(currency)s"
ACCEPTED = "%(kind)s of %(amount)s %(currency)s accepted."
# The worker's notes, written with no one acting.
CLOCK_NOTES = {
    "dispute_seller_timeout": "The seller did not respond within %(days)s days: the buyer's request is granted.",
    "dispute_auto_escalated": "Not resolved within %(days)s days: escalated to the platform automatically.",
    "dispute_return_not_shipped": (
        "The buyer did not ship the return within %(days)s days: the case closes for the seller."
    ),
    "dispute_decision_overdue": "The decision is overdue; the dispute resolvers were reminded.",
}


def _translations(english: str) -> set[str]:
    found = {english}
    for language in LANGUAGES:
        with translation.override(language):
            found.add(translation.gettext(english))
    return found


def _pattern(template: str, groups: dict[str, str]) -> re.Pattern[str]:
    parts = PARAM.split(template)
    regex = "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>{groups[part]})" for i, part in enumerate(parts))
    return re.compile(f"^{regex}$", re.DOTALL)


class NoteParser:
    """Recognise a stored sentence in any language: (kind, params), or None for a typed note."""

    def __init__(self) -> None:
        self.outcomes: dict[str, str] = {}
        for value, english in OUTCOMES.items():
            for label in _translations(english):
                self.outcomes[label] = value
        outcome = "|".join(re.escape(label) for label in sorted(self.outcomes, key=len, reverse=True))
        money = {"amount": AMOUNT, "currency": CURRENCY}
        self.offer = [_pattern(OFFER, {"outcome": outcome, **money})]
        self.accepted = [_pattern(text, {"kind": outcome, **money}) for text in _translations(ACCEPTED)]
        self.clocks = [
            (kind, _pattern(text, {"days": DAYS})) for kind, english in CLOCK_NOTES.items() for text in _translations(english)
        ]

    def parse(self, *, event_kind: str, system: bool, note: str) -> tuple[str, dict[str, object]] | None:
        text = note.strip()
        if event_kind == "offer":
            for pattern in self.offer:
                if match := pattern.match(text):
                    return "dispute_offer", self._money(match, "outcome")
        if event_kind == "accepted":
            for pattern in self.accepted:
                if match := pattern.match(text):
                    return "dispute_offer_accepted", self._money(match, "kind")
        if system:
            for kind, pattern in self.clocks:
                if match := pattern.match(text):
                    return kind, {"days": int(match["days"])} if "days" in pattern.groupindex else {}
        return None

    def _money(self, match: re.Match[str], outcome: str) -> dict[str, object]:
        return {outcome: self.outcomes[match[outcome]], "amount": match["amount"], "currency": match["currency"]}


def notes_to_kinds(apps: Apps, schema_editor: BaseDatabaseSchemaEditor | None) -> int:
    """Give every stored system sentence its kind and parameters and clear the text; return the rows changed."""
    dispute_event = apps.get_model("disputes", "DisputeEvent")
    parser = NoteParser()
    changed = []
    total = 0
    rows = dispute_event.objects.filter(note_kind="").exclude(note="").order_by("pk")
    for event in rows.iterator(BATCH):
        parsed = parser.parse(event_kind=event.kind, system=event.actor_id is None, note=event.note)
        if parsed is None:
            continue
        event.note_kind, event.note_params = parsed
        event.note = ""
        changed.append(event)
        if len(changed) == BATCH:
            total += dispute_event.objects.bulk_update(changed, ["note", "note_kind", "note_params"])
            changed = []
    if changed:
        total += dispute_event.objects.bulk_update(changed, ["note", "note_kind", "note_params"])
    return total


def kinds_to_notes(apps: Apps, schema_editor: BaseDatabaseSchemaEditor | None) -> None:
    """Going back, the notes read in English, as the older code would have written them."""
    dispute_event = apps.get_model("disputes", "DisputeEvent")
    templates = {"dispute_offer": OFFER, "dispute_offer_accepted": ACCEPTED, **CLOCK_NOTES}
    for event in dispute_event.objects.exclude(note_kind="").iterator(BATCH):
        params = dict(event.note_params)
        for name in ("outcome", "kind"):
            if name in params:
                params[name] = OUTCOMES.get(params[name], params[name])
        template = templates.get(event.note_kind)
        if template is not None:
            try:
                event.note = template % params
            except (KeyError, TypeError, ValueError):
                event.note = template
        event.note_kind, event.note_params = "", {}
        event.save(update_fields=["note", "note_kind", "note_params"])


class Migration(migrations.Migration):
    dependencies = [("disputes", "0008_event_note_kinds")]

    operations = [migrations.RunPython(notes_to_kinds, kinds_to_notes)]
