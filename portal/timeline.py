"""Timeline notes that the system writes: stored as a kind and parameters, read in the reader's language.

A note the system writes ("Receipt confirmed by the buyer.", "Partial refund 8.00 USD") is
read later by people in five languages, so it is never stored as a sentence: the event row
keeps the note's kind and its parameters (numbers, choice values, codes), and the sentence is
made when the page is drawn, in the active language, like a notification. What a person
typed (a staff decision, a buyer's reason) stays free text and is shown as typed.

Apps describe their note kinds here, as they describe notification kinds in `portal.notify`.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import models
from django.utils import formats
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class NoteKind:
    """How one kind of timeline note reads; the text is lazy, filled in the reader's language."""

    text: str | Promise
    # Parameters holding a decimal amount: shown in the reader's number format ("8,00" in Polish).
    amounts: tuple[str, ...] = ()
    # Parameters holding a choice value: shown as the choice's label in the reader's language.
    choices: Mapping[str, type[models.Choices]] = field(default_factory=dict)


NOTE_KINDS: dict[str, NoteKind] = {}


def register_note_kind(name: str, kind: NoteKind) -> None:
    NOTE_KINDS[name] = kind


class _Params(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "—"


def _amount(value: Any) -> Any:
    try:
        return formats.localize(Decimal(str(value)))
    except (InvalidOperation, ValueError, TypeError):
        return value


def _label(choices: type[models.Choices], value: Any) -> Any:
    try:
        return choices(value).label
    except ValueError:
        return value


def note_render(*, kind: str, params: Mapping[str, Any]) -> str:
    """The note's sentence in the active language; empty for a kind this code no longer knows.

    A parameter missing from an older row shows as a dash: one odd row must never break a page.
    """
    note_kind = NOTE_KINDS.get(kind)
    if note_kind is None:
        return ""
    values = _Params(params)
    for name in note_kind.amounts:
        if name in values:
            values[name] = _amount(values[name])
    for name, choices in note_kind.choices.items():
        if name in values:
            values[name] = _label(choices, values[name])
    template = str(note_kind.text)
    try:
        return template % values
    except (TypeError, ValueError):
        return template


class TimelineNote(models.Model):
    """The note of an event row: a system note's kind and parameters, beside the free-text `note`.

    The concrete model keeps its own `note` field (free text typed by a person).
    """

    note_kind = models.CharField(max_length=40, blank=True)
    note_params = models.JSONField(default=dict, blank=True)

    class Meta:
        abstract = True

    @property
    def note_text(self) -> str:
        """The note as the reader sees it: the system's sentence in their language, then what was typed."""
        typed: str = getattr(self, "note", "")
        rendered = note_render(kind=self.note_kind, params=self.note_params) if self.note_kind else ""
        return " — ".join(part for part in (rendered, typed) if part)


# --- The core's own note kinds ---------------------------------------------------------------

register_note_kind("order_confirmed_by_buyer", NoteKind(text=_("Receipt confirmed by the buyer.")))
register_note_kind(
    "order_confirmed_automatically", NoteKind(text=_("Confirmed automatically: the delivery guarantee ended."))
)
register_note_kind("order_changed_in_admin", NoteKind(text=_("Changed in the admin.")))
