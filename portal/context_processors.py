from typing import Any

from django.http import HttpRequest

from portal.models import StoreMember
from portal.navigation import NAV_COUNTERS


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Stores the user works for, and the cheap unread counters of the navigation bar."""
    user = request.user
    if not user.is_authenticated:
        return {"nav_stores": [], "nav_counts": {}}
    memberships = list(StoreMember.objects.filter(user=user).select_related("store").order_by("store__name"))
    return {
        "nav_stores": [m.store for m in memberships],
        "nav_counts": {name: counter(user) for name, counter in NAV_COUNTERS.items()},
    }
