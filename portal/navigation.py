"""Counters shown in the navigation bar (unread messages, notifications), registered by apps.

Each counter must be cheap at any size: a stored counter or a capped count.
"""

from collections.abc import Callable

from portal.models import User

# Called for signed-in users only (the context processor returns no counts to anonymous visitors).
NavCounter = Callable[[User], int]
NAV_COUNTERS: dict[str, NavCounter] = {}


def register_nav_counter(name: str, counter: NavCounter) -> None:
    NAV_COUNTERS[name] = counter
