"""The one list of sweeps: what each does, when beat runs it, and whether `run_deadlines` runs it.

Each sweep is a function `(now) -> int` (how many effects it had) that is batched,
idempotent and safe with two workers at once (STYLE rule 6). Apps register theirs in
`AppConfig.ready()`, each with its schedule and a comment saying what it does. Nothing
else lists them: `portal.celery` builds beat's schedule from this registry, and the one
task `portal.tasks.run_sweep(name)` runs any of them by name, with the time of the run.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from celery.schedules import crontab

SweepFunction = Callable[[datetime], int]
# What beat accepts: an interval, or a crontab for the nightly jobs.
Schedule = timedelta | crontab

EVERY_MINUTE = timedelta(minutes=1)
HOURLY = timedelta(hours=1)
# The task beat sends for every entry, with the sweep's name as its argument.
SWEEP_TASK = "portal.tasks.run_sweep"


@dataclass(frozen=True)
class Sweep:
    name: str
    run: SweepFunction
    schedule: Schedule
    # A clock of the product: `run_deadlines` runs it too. Housekeeping (retrying lost
    # photo tasks, the nightly recount, retention) is left to beat.
    deadline: bool

    def __call__(self, now: datetime) -> int:
        return self.run(now)


SWEEPS: dict[str, Sweep] = {}


class UnknownSweep(LookupError):
    """No sweep is registered under that name."""


def register_sweep(name: str, run: SweepFunction, *, schedule: Schedule, deadline: bool = True) -> None:
    """Add a sweep to the one list; beat runs it on `schedule` (call from `AppConfig.ready()`)."""
    SWEEPS[name] = Sweep(name=name, run=run, schedule=schedule, deadline=deadline)


def sweep_run(*, name: str, now: datetime) -> int:
    """Run the sweep registered as `name`; an unknown name raises `UnknownSweep` naming the known ones."""
    sweep = SWEEPS.get(name)
    if sweep is None:
        known = ", ".join(SWEEPS) or "none"
        raise UnknownSweep(f"No sweep is registered as {name!r}; the registered sweeps are: {known}.")
    return sweep.run(now)


def run_all_sweeps(*, now: datetime) -> dict[str, int]:
    """Run every deadline sweep once, in registration order; returns effects per sweep."""
    return {name: sweep.run(now) for name, sweep in SWEEPS.items() if sweep.deadline}


def beat_schedule() -> dict[str, dict[str, Any]]:
    """Celery's `beat_schedule`, one entry per registered sweep, keyed by the sweep's name."""
    return {name: {"task": SWEEP_TASK, "schedule": sweep.schedule, "args": (name,)} for name, sweep in SWEEPS.items()}
