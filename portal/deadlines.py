"""The one list of sweeps: what each does, when beat runs it, and whether `run_deadlines` runs it.

Each sweep is a function `(now) -> int` (how many effects it had) that is batched,
idempotent and safe with two workers at once (STYLE rule 6). Apps register theirs in
`AppConfig.ready()`, each with its schedule and a comment saying what it does. Nothing
else lists them: `portal.celery` builds beat's schedule from this registry, and the one
task `portal.tasks.run_sweep(name)` runs any of them by name, with the time of the run.
The retention sweeps delete old rows with `prune_in_batches` and `delete_batch` below.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from celery.schedules import crontab
from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet

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


# At most this many batches per run: a backlog (the first run after an upgrade, or after a
# lowered retention) drains over successive runs instead of holding one worker for long.
MAX_BATCHES_PER_RUN = 20


def prune_in_batches(prune_batch: Callable[[int], int], *, batch_size: int | None = None) -> int:
    """Call `prune_batch(limit)` until a batch comes back short, at most MAX_BATCHES_PER_RUN times; return the sum.

    Each batch is its own short transaction (see `delete_batch`), so a worker killed in the
    middle of a run loses at most the batch it had not committed, which the next run takes.
    """
    limit = batch_size or settings.OPINIA_SWEEP_BATCH_SIZE
    total = 0
    for _ in range(MAX_BATCHES_PER_RUN):
        deleted = prune_batch(limit)
        total += deleted
        if deleted < limit:
            break
    return total


def delete_batch(rows: QuerySet[Any], *, order_by: str, limit: int) -> int:
    """Delete up to `limit` of `rows`, oldest first by `order_by`; return how many were deleted.

    The rows are locked before they are deleted, skipping those another worker holds: two
    workers pruning at once take disjoint batches and neither waits nor fails, and nothing
    can change a locked row between the check and the delete.
    """
    with transaction.atomic():
        ids = list(
            rows.select_for_update(skip_locked=True).order_by(order_by, "pk").values_list("pk", flat=True)[:limit]
        )
        if ids:
            rows.model._base_manager.filter(pk__in=ids).delete()
    return len(ids)
