"""What the message centre's page groups share.

The login guard for live polls, a service's refusal on a form, the rate-limit refusals
and the centre's tab context.
"""

from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from messaging import selectors
from messaging.forms import MessageForm
from messaging.ratelimit import conversation_rate_limited, message_rate_limited
from portal.http import HtmxHttpRequest, HttpResponseClientRefreshNoContent
from portal.models import User

ViewFunction = Callable[..., HttpResponse]


def login_required_live(view: ViewFunction) -> ViewFunction:
    """`login_required`, except for htmx polls after the session ended.

    A poll would follow the redirect and paste the whole login page into the navigation bar
    or the thread; instead the page reloads itself, and that reload goes to the login page.
    """
    guarded = login_required(view)

    @wraps(view)
    def wrapper(request: HtmxHttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated and request.htmx:
            return HttpResponseClientRefreshNoContent()
        response: HttpResponse = guarded(request, *args, **kwargs)
        return response

    return wrapper


def int_or_none(raw: Any) -> int | None:
    """A positive id from a query string or form value, or None for anything else."""
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return None
    return value if value > 0 else None


# Loaders for `object_view`: the conversation of the URL, or 404 for "missing or not yours".


def conversation_for_reading(request: HttpRequest, conversation_id: int) -> selectors.ConversationAccess:
    return selectors.conversation_get_for_user(user=request.user, conversation_id=conversation_id)


def conversation_for_writing(request: HttpRequest, conversation_id: int) -> selectors.ConversationAccess:
    return selectors.conversation_get_for_user(user=request.user, conversation_id=conversation_id, for_write=True)


def rate_message() -> str:
    return _("You are sending messages too quickly. Wait a minute and try again; your text is kept below.")


def rate_conversation() -> str:
    return _("You have started too many new conversations in the last hour. Try again later; your text is kept below.")


def rate_limited(form: MessageForm, *, user: User, starts_conversation: bool, now: datetime) -> bool:
    """Refuse a message over the per-minute limit, or a new conversation over the hourly one, on the form."""
    if message_rate_limited(user_id=user.pk, now=now) or (
        starts_conversation and conversation_rate_limited(user_id=user.pk, now=now)
    ):
        form.is_valid()  # keep what was typed, shown again with the refusal
        form.add_error(None, rate_conversation() if starts_conversation else rate_message())
        return True
    return False


def centre_context(request: HttpRequest, tab: str) -> dict[str, Any]:
    """The message centre's tabs, for every page of the centre."""
    # The member stores and the unread notifications come from the navigation context
    # processor (nav_stores, nav_counts): no second query for them here.
    return {"tab": tab, "is_support_agent": selectors.user_is_support_agent(request.user)}
