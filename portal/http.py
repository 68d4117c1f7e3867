"""Small HTTP helpers shared by every app's views."""

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from portal.models import User


def request_user(request: HttpRequest) -> User:
    """The signed-in user of a view behind `login_required`, typed as the portal's user."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user
