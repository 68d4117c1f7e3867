from typing import Any

from django.http import HttpRequest

from portal.navigation import NAV_COUNTERS
from portal.selectors import store_memberships_of


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Stores the user works for, and the cheap unread counters of the navigation bar."""
    user = request.user
    if not user.is_authenticated:
        return {"nav_stores": [], "nav_counts": {}}
    memberships = list(store_memberships_of(user=user))
    return {
        "nav_stores": [m.store for m in memberships],
        "nav_counts": {name: counter(user) for name, counter in NAV_COUNTERS.items()},
    }
