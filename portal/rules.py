"""The marketplace's rules as versioned data: what every clock copies when it starts.

Every rule number of the product specification has a default in the settings (`OPINIA_*`).
Staff publish a new *version* of the rules in the admin, effective now or later; versions are
never edited. A clock reads `rules_at(start)` when it starts, copies the numbers into its
due-time columns and stores the version on the object that holds it, so a later change of
the rules never moves a clock that is already running.

A version stores the values staff chose. A rule missing from a stored version (version 1,
made from the settings, stores none; a rule registered after a version was published) reads
its setting, at read time: so `override_settings` in tests and a changed environment variable
both reach version 1.

Registering a new rule is one `_rule(...)` line below (its setting must exist in
`portal/settings.py`). Everything else in `OPINIA_*` (batch sizes, photo limits, rate limits,
retention, API and webhook knobs) is an operational setting, not a rule.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from django_stubs_ext import StrOrPromise

# The first version: the settings themselves, in force since before the first order.
FIRST_VERSION = 1
FIRST_EFFECTIVE_FROM = datetime(2000, 1, 1, tzinfo=UTC)
# How long a process trusts its list of versions for moments after it read the list. A version
# is published for now or later, so for any earlier moment the list is exact and never re-read.
CACHE_SECONDS = 10.0


@dataclass(frozen=True)
class RuleDefinition:
    """One rule: its attribute name, the setting holding its default, and what values it may take.

    Every rule is a whole number (`unit` says of what) between `minimum` and `maximum`.
    """

    name: str
    setting: str
    label: StrOrPromise
    help_text: StrOrPromise
    unit: str
    minimum: int
    maximum: int
    key: str = ""  # for a setting that is a dict (penalty points per reason)

    def default(self) -> int:
        value = getattr(settings, self.setting)
        if self.key:
            value = value[self.key]
        return int(value)

    def check(self, value: Any) -> int:
        """The value as stored, or a ValidationError with a translated message."""
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError(_("Enter a whole number."), code="invalid")
        if value < self.minimum:
            raise ValidationError(_("Enter at least %(minimum)d.") % {"minimum": self.minimum}, code="min_value")
        if value > self.maximum:
            raise ValidationError(_("Enter at most %(maximum)d.") % {"maximum": self.maximum}, code="max_value")
        return int(value)

    def display(self, value: int) -> str:
        """The value with its unit, in the active language."""
        if self.unit == DAYS:
            return ngettext("%(count)d day", "%(count)d days", value) % {"count": value}
        if self.unit == HOURS:
            return ngettext("%(count)d hour", "%(count)d hours", value) % {"count": value}
        if self.unit == STARS:
            return ngettext("%(count)d star", "%(count)d stars", value) % {"count": value}
        return ngettext("%(count)d point", "%(count)d points", value) % {"count": value}


DAYS, HOURS, STARS, POINTS = "days", "hours", "stars", "points"
RULES: dict[str, RuleDefinition] = {}


def _rule(
    name: str,
    setting: str,
    label: StrOrPromise,
    help_text: StrOrPromise,
    unit: str,
    minimum: int,
    maximum: int,
    key: str = "",
) -> None:
    RULES[name] = RuleDefinition(name, setting, label, help_text, unit, minimum, maximum, key)


# fmt: off
# name, setting, label, help, unit, minimum, maximum (, key of a dict setting)
_rule("feedback_window_days", "OPINIA_FEEDBACK_WINDOW_DAYS", _("Feedback window"), _("Days after an order completes in which buyer and seller may rate each other."), DAYS, 1, 365)
_rule("feedback_reminder_days", "OPINIA_FEEDBACK_REMINDER_DAYS", _("Feedback reminder"), _("Days before the feedback window closes that whoever has not rated is reminded."), DAYS, 0, 60)
_rule("automatic_rating_stars", "OPINIA_AUTOMATIC_RATING_STARS", _("Automatic rating"), _("Stars given to a buyer the seller did not rate when the window closes."), STARS, 1, 5)
_rule("additional_review_days", "OPINIA_ADDITIONAL_REVIEW_DAYS", _("Additional review"), _("Days after completion in which a buyer may add to a published review."), DAYS, 1, 730)
_rule("revision_request_days", "OPINIA_REVISION_REQUEST_DAYS", _("Revision request"), _("Days after publication in which a seller may ask the buyer to revise a review."), DAYS, 0, 365)
_rule("revision_answer_days", "OPINIA_REVISION_ANSWER_DAYS", _("Revision answer"), _("Days the buyer has to answer a revision request."), DAYS, 1, 90)
_rule("report_days", "OPINIA_REPORT_DAYS", _("Reporting a review"), _("Days after publication in which a seller may report a review."), DAYS, 1, 365)
_rule("score_window_days", "OPINIA_SCORE_WINDOW_DAYS", _("Score window"), _("Days of ratings that count towards a store's score."), DAYS, 1, 730)
_rule("score_merge_days", "OPINIA_SCORE_MERGE_DAYS", _("Merged ratings"), _("Days within which one buyer's ratings of a store count once."), DAYS, 0, 90)
_rule("auto_confirm_days", "OPINIA_AUTO_CONFIRM_DAYS", _("Automatic confirmation"), _("Days after shipment that an order without an open dispute is confirmed automatically."), DAYS, 1, 180)
_rule("auto_confirm_reminder_days", "OPINIA_AUTO_CONFIRM_REMINDER_DAYS", _("Automatic confirmation reminder"), _("Days before automatic confirmation that the buyer is reminded."), DAYS, 0, 60)
_rule("handling_days", "OPINIA_HANDLING_DAYS", _("Handling time"), _("Days after payment within which the seller must ship; later, the buyer may open a dispute."), DAYS, 1, 60)
_rule("protection_days", "OPINIA_PROTECTION_DAYS", _("Buyer protection"), _("Days after completion in which the buyer may open a dispute."), DAYS, 1, 365)
_rule("seller_response_days", "OPINIA_SELLER_RESPONSE_DAYS", _("Seller's answer to a dispute"), _("Days the seller has to answer a dispute or a counter-offer."), DAYS, 1, 60)
_rule("escalation_from_days", "OPINIA_ESCALATION_FROM_DAYS", _("Escalation opens"), _("Days after a dispute opens from which it may be escalated to staff."), DAYS, 0, 60)
_rule("escalation_until_days", "OPINIA_ESCALATION_UNTIL_DAYS", _("Escalation closes"), _("Days after a dispute opens until which it may be escalated to staff."), DAYS, 1, 120)
_rule("auto_escalation_days", "OPINIA_AUTO_ESCALATION_DAYS", _("Automatic escalation"), _("Days after a dispute opens that an unresolved dispute goes to staff."), DAYS, 1, 120)
_rule("return_ship_days", "OPINIA_RETURN_SHIP_DAYS", _("Sending a return"), _("Days the buyer has to send a return back."), DAYS, 1, 60)
_rule("return_confirm_days", "OPINIA_RETURN_CONFIRM_DAYS", _("Confirming a return"), _("Days the seller has to confirm a returned parcel arrived."), DAYS, 1, 60)
_rule("staff_decision_days", "OPINIA_STAFF_DECISION_DAYS", _("Staff decision"), _("Days staff have to decide an escalated dispute."), DAYS, 1, 60)
_rule("complaint_response_hours", "OPINIA_COMPLAINT_RESPONSE_HOURS", _("Answer to a complaint"), _("Hours within which staff first answer a complaint."), HOURS, 1, 720)
_rule("penalty_points_refused_to_ship", "OPINIA_PENALTY_POINTS", _("Penalty: did not ship"), _("Penalty points when a dispute is lost for not shipping."), POINTS, 0, 100, "refused_to_ship")
_rule("penalty_points_refused_not_cooperating", "OPINIA_PENALTY_POINTS", _("Penalty: did not cooperate"), _("Penalty points when a dispute is lost for not cooperating."), POINTS, 0, 100, "refused_not_cooperating")
_rule("penalty_points_not_as_described", "OPINIA_PENALTY_POINTS", _("Penalty: not as described"), _("Penalty points when a dispute is lost because the item was not as described."), POINTS, 0, 100, "not_as_described")
_rule("penalty_expiry_days", "OPINIA_PENALTY_EXPIRY_DAYS", _("Penalty expiry"), _("Days after which penalty points stop counting."), DAYS, 1, 1825)
_rule("penalty_restriction_points", "OPINIA_PENALTY_RESTRICTION_POINTS", _("Restriction threshold"), _("Live penalty points at which a store is restricted."), POINTS, 1, 1000)
_rule("penalty_appeal_days", "OPINIA_PENALTY_APPEAL_DAYS", _("Penalty appeal"), _("Days after a penalty in which the store may appeal it."), DAYS, 1, 90)
_rule("auto_reply_interval_hours", "OPINIA_AUTO_REPLY_INTERVAL_HOURS", _("Automatic reply interval"), _("Hours before a store's automatic reply is sent again in one conversation."), HOURS, 1, 168)
_rule("response_window_hours", "OPINIA_RESPONSE_WINDOW_HOURS", _("Response window"), _("Hours within which a store's answer counts as a response."), HOURS, 1, 168)
_rule("response_stats_days", "OPINIA_RESPONSE_STATS_DAYS", _("Response rate period"), _("Days of conversations that count towards a store's response rate."), DAYS, 1, 365)
# fmt: on


class Rules:
    """One version of the rules, read as attributes: `rules.feedback_window_days`."""

    def __init__(
        self,
        *,
        version: int,
        effective_from: datetime,
        values: Mapping[str, Any],
        note: str = "",
        created_at: datetime | None = None,
    ) -> None:
        self.version = version
        self.effective_from = effective_from
        self.note = note
        self.created_at = created_at
        self._values = {name: value for name, value in values.items() if name in RULES and _stored_ok(value)}

    def __getattr__(self, name: str) -> int:
        definition = RULES.get(name)
        if definition is None:
            raise AttributeError(name)
        value = self._values.get(name)
        return definition.default() if value is None else int(value)

    def penalty_points(self, reason: str) -> int:
        return int(getattr(self, f"penalty_points_{reason}"))

    def values(self) -> dict[str, int]:
        """Every registered rule's value in this version."""
        return {name: getattr(self, name) for name in RULES}

    def from_settings(self, name: str) -> bool:
        """True if this version stores no value of its own for `name` (the setting is read)."""
        return name not in self._values

    def rows(self) -> Iterator[tuple[RuleDefinition, int]]:
        for definition in RULES.values():
            yield definition, getattr(self, definition.name)

    def __repr__(self) -> str:
        return f"<Rules version {self.version} from {self.effective_from.isoformat()}>"


def _stored_ok(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# --- The per-process list of versions -----------------------------------------------------


@dataclass(frozen=True)
class _Snapshot:
    versions: tuple[Rules, ...]  # in the order they take effect: (effective_from, version)
    loaded_at: datetime  # wall clock when read: every version published later takes effect later
    fresh_until: float  # monotonic clock

    def at(self, when: datetime) -> Rules:
        found = self.versions[0]
        for rules in self.versions:
            if rules.effective_from <= when:
                found = rules
            else:
                break
        return found

    def by_version(self, version: int) -> Rules | None:
        for rules in self.versions:
            if rules.version == version:
                return rules
        return None


_lock = threading.Lock()
_snapshot: _Snapshot | None = None


def _first_version() -> Rules:
    return Rules(version=FIRST_VERSION, effective_from=FIRST_EFFECTIVE_FROM, values={}, note="")


def _load() -> _Snapshot:
    from portal.models import RuleSet

    loaded_at = datetime.now(UTC)
    rows = [
        Rules(
            version=row.version,
            effective_from=row.effective_from,
            values=row.values if isinstance(row.values, dict) else {},
            note=row.note,
            created_at=row.created_at,
        )
        for row in RuleSet.objects.order_by("effective_from", "version")
    ]
    if not any(rules.version == FIRST_VERSION for rules in rows):
        rows.insert(0, _first_version())
    # The earliest stored version is in force before its own date too: nothing older exists.
    return _Snapshot(versions=tuple(rows), loaded_at=loaded_at, fresh_until=time.monotonic() + CACHE_SECONDS)


def _current(when: datetime | None = None) -> _Snapshot:
    global _snapshot
    snapshot = _snapshot
    if snapshot is not None and (
        (when is not None and when <= snapshot.loaded_at) or time.monotonic() < snapshot.fresh_until
    ):
        return snapshot
    with _lock:
        snapshot = _load()
        _snapshot = snapshot
    return snapshot


def forget() -> None:
    """Drop this process's list of versions (a version was published, or a test ended)."""
    global _snapshot
    _snapshot = None


# --- The API ------------------------------------------------------------------------------


def rules_at(when: datetime) -> Rules:
    """The rules in force at `when`: the latest version whose effective date has come."""
    return _current(when).at(when)


def rules_version_at(when: datetime) -> int:
    return rules_at(when).version


def rules_of_version(version: int | None) -> Rules | None:
    """A version by its number (a clock's stored version), or None if there is no such version."""
    if version is None:
        return None
    found = _current().by_version(version)
    if found is None and _snapshot is not None and _snapshot.loaded_at < datetime.now(UTC):
        # Another process may have published it after this one read the list.
        forget()
        found = _current().by_version(version)
    return found


def rules_for(*, version: int | None, started_at: datetime | None, now: datetime) -> Rules:
    """The rules a clock holder is judged by: its stored version, else the one in force when it started."""
    return rules_of_version(version) or rules_at(started_at or now)


def all_versions() -> tuple[Rules, ...]:
    return _current().versions


def latest_version() -> Rules:
    """The version published last: in force now unless one is scheduled for later."""
    return max(_current().versions, key=lambda rules: rules.version)


def newer_than(rules: Rules) -> Rules | None:
    """The version that takes effect after `rules` (whether or not its date has come), if any."""
    later = [
        other
        for other in _current().versions
        if (other.effective_from, other.version) > (rules.effective_from, rules.version)
    ]
    return later[-1] if later else None


def rules_now() -> Rules:
    """The rules in force now, for a rule that is not a clock (the score window, the response rate)."""
    from django.utils import timezone

    return rules_at(timezone.now())


def next_change_after(now: datetime) -> datetime | None:
    """When the next scheduled version takes effect (a cached part that reads the rules holds until then)."""
    later = [rules.effective_from for rules in _current(now).versions if rules.effective_from > now]
    return min(later, default=None)
