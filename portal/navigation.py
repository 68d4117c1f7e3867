"""Counters shown in the navigation bar (unread messages, notifications), registered by apps.

Each counter must be cheap at any size: a stored counter or a capped count.
"""

from collections.abc import Callable
from typing import Any

NavCounter = Callable[[Any], int]
NAV_COUNTERS: dict[str, NavCounter] = {}


def register_nav_counter(name: str, counter: NavCounter) -> None:
    NAV_COUNTERS[name] = counter
