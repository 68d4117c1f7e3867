"""The registry of deadline sweeps: beat runs each as a task, `run_deadlines` runs them all now.

Each sweep is a function `(now) -> int` (how many effects it had) that is batched,
idempotent and safe with two workers at once (STYLE rule 6). Apps register theirs in
`AppConfig.ready()`.
"""

from collections.abc import Callable
from datetime import datetime

Sweep = Callable[[datetime], int]
SWEEPS: dict[str, Sweep] = {}


def register_sweep(name: str, sweep: Sweep) -> None:
    SWEEPS[name] = sweep


def run_all_sweeps(*, now: datetime) -> dict[str, int]:
    """Run every registered sweep once, in registration order; returns effects per sweep."""
    return {name: sweep(now) for name, sweep in SWEEPS.items()}
