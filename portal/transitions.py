"""The one check every state change goes through (STYLE rule 3).

Each app keeps its states as `TextChoices` and its allowed moves as a module-level table
(`{state: {states it may go to}}`); its locked service asks `transition_check` before it
changes anything and then writes its own event row. A refused move raises the one
`TransitionNotAllowed`, whose message names the object, the current and the requested state
in the reader's language, so every caller catches one exception class.
"""

from collections.abc import Collection, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models

TransitionTable = Mapping[str, Collection[str]]


class TransitionNotAllowed(ValidationError):
    """A state change that the transition table does not allow; the message names both states."""


def _label(model: models.Model, field: str, state: str) -> str:
    """The translated label of `state`, or the raw value for a state the field does not know."""
    choices = dict(model._meta.get_field(field).flatchoices)  # type: ignore[union-attr]
    return str(choices.get(state, state))


def transition_refusal(
    obj: models.Model, *, to: str, message: str, params: Mapping[str, Any] | None = None, field: str = "status"
) -> TransitionNotAllowed:
    """The error for moving `obj` from its current state to `to`.

    `message` is translated text with `%(old)s` and `%(new)s` (and any `params`), e.g.
    `_("Cannot move dispute #%(id)s from %(old)s to %(new)s.")`; the two states are filled
    in with their labels. For a service that refuses a move on a rule of its own, beyond the
    table (a closed case, an offer of the wrong kind), with the same exception.
    """
    current = getattr(obj, field)
    return TransitionNotAllowed(
        message % {**(params or {}), "old": _label(obj, field, current), "new": _label(obj, field, to)},
        code="transition_not_allowed",
    )


def transition_check(
    obj: models.Model,
    *,
    table: TransitionTable,
    to: str,
    message: str,
    params: Mapping[str, Any] | None = None,
    field: str = "status",
) -> str:
    """Return the state `obj` leaves if `table` allows it to go to `to`; raise `TransitionNotAllowed` otherwise.

    The caller holds the row lock, so the state read here is the one it changes. Nothing is
    written: the caller sets the new state and records its event row.
    """
    current: str = getattr(obj, field)
    if to not in table.get(current, ()):
        raise transition_refusal(obj, to=to, message=message, params=params, field=field)
    return current
