"""Turn the order timeline's stored sentences into note kinds, so that every reader sees them in their language.

The sentences were stored in the language that was active when they were written (the
buyer's, the staff member's, English for the worker), so each is recognised in every
language of the site. Notes that match nothing were typed by a person and stay as they are.
"""

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.utils import translation

LANGUAGES = ("en", "pl", "zh-hans", "ko", "gu")
BATCH = 1000

# The English sentences as the code stored them before notes had kinds.
NOTES = {
    "order_confirmed_by_buyer": "Receipt confirmed by the buyer.",
    "order_confirmed_automatically": "Confirmed automatically: the delivery guarantee ended.",
    "order_changed_in_admin": "Changed in the admin.",
}


def known_notes() -> dict[str, str]:
    """Each stored sentence, in every language, mapped to its kind."""
    known: dict[str, str] = {}
    for kind, english in NOTES.items():
        known[english] = kind
        for language in LANGUAGES:
            with translation.override(language):
                known[translation.gettext(english)] = kind
    return known


def notes_to_kinds(apps: Apps, schema_editor: BaseDatabaseSchemaEditor | None) -> int:
    """Give every stored system sentence its kind and clear the text; return how many rows changed."""
    order_event = apps.get_model("portal", "OrderEvent")
    known = known_notes()
    changed = []
    total = 0
    for event in order_event.objects.filter(note_kind="", note__in=list(known)).order_by("pk").iterator(BATCH):
        event.note_kind = known[event.note]
        event.note = ""
        changed.append(event)
        if len(changed) == BATCH:
            total += order_event.objects.bulk_update(changed, ["note", "note_kind"])
            changed = []
    if changed:
        total += order_event.objects.bulk_update(changed, ["note", "note_kind"])
    return total


def kinds_to_notes(apps: Apps, schema_editor: BaseDatabaseSchemaEditor | None) -> None:
    """Going back, the notes read in English, as the older code would have written them."""
    order_event = apps.get_model("portal", "OrderEvent")
    for kind, english in NOTES.items():
        order_event.objects.filter(note_kind=kind).update(note=english, note_kind="", note_params={})


class Migration(migrations.Migration):
    dependencies = [("portal", "0003_event_note_kinds")]

    operations = [migrations.RunPython(notes_to_kinds, kinds_to_notes)]
