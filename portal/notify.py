"""The seam between the core and the message centre's notifications.

The core may not import `messaging` (dependencies point one way), yet orders must tell
buyers when they ship or are confirmed. Apps describe their notification kinds here, and
the message centre registers the one handler that stores and delivers them.
"""

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal.carriers import carrier_name, tracking_url
from portal.dates import format_moment

logger = logging.getLogger(__name__)


NotificationLink = Callable[[Mapping[str, Any]], str]


@dataclass(frozen=True)
class NotificationKind:
    """How one kind of system message reads and what it opens.

    Texts are lazy and rendered in the recipient's language. `link` turns the stored
    parameters (the ids of the object the notification is about) into the page that opens
    it, at the moment it is shown: URLs are never frozen into the rows, and the page's own
    view still decides whether the reader may see the object. `topic` groups kinds for the
    Notifications tab's filter. A kind whose body is more than one sentence (the weekly
    summary) gives `render_body`, called with the parameters in the reader's language; `body`
    is then its one-line fallback.
    """

    title: str | Promise
    body: str | Promise
    sms: bool = False  # also worth a text message where the user has a phone
    link: NotificationLink | None = None
    topic: str = ""
    render_body: Callable[[Mapping[str, Any]], str] | None = None
    # The text message, when it should say more than the title (filled like the body).
    sms_text: str | Promise = ""
    # Parameters worked out when the text is read, in the reader's language and active time
    # zone (a carrier's name and tracking page, dates): the row keeps only codes and moments.
    reader_params: Callable[[Mapping[str, Any]], Mapping[str, Any]] | None = None

    def params_for_reader(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """The stored parameters with the ones worked out for the reader added (call inside the reader's language)."""
        if self.reader_params is None:
            return dict(params)
        return {**params, **self.reader_params(params)}


NOTIFICATION_KINDS: dict[str, NotificationKind] = {}
NOTIFICATION_TOPICS: dict[str, str | Promise] = {}


class NotificationHandler(Protocol):
    """Writes the notification row in the caller's transaction and delivers it after commit."""

    def __call__(self, *, user_id: int, kind: str, params: dict[str, Any], now: datetime, url: str) -> object: ...


_handler: NotificationHandler | None = None


def register_notification_kind(name: str, kind: NotificationKind) -> None:
    NOTIFICATION_KINDS[name] = kind


def register_notification_topic(name: str, label: str | Promise) -> None:
    NOTIFICATION_TOPICS[name] = label


def register_notification_handler(handler: NotificationHandler) -> None:
    global _handler
    _handler = handler


def notify(*, user_id: int, kind: str, params: Mapping[str, Any], now: datetime, url: str = "") -> None:
    """Send a system message to a user; call inside the service's transaction.

    `now` is the moment of the event the message tells of (the service's `now`), so a
    notification of something that happened at a past moment (a sweep catching up, the
    demo data) is dated then, not when the row was written. The handler writes the
    notification row in the caller's transaction and delivers e-mail and SMS only after
    commit, so a rolled-back action notifies nobody. Put the ids
    the kind's `link` needs into `params`; `url` is only for a kind without a link.
    """
    if kind not in NOTIFICATION_KINDS:
        raise KeyError(f"Unknown notification kind {kind!r}")
    if _handler is None:
        logger.warning("No notification handler registered; %s for user %s dropped", kind, user_id)
        return
    _handler(user_id=user_id, kind=kind, params=dict(params), url=url, now=now)


def _order_link(params: Mapping[str, Any]) -> str:
    return reverse("portal:order_detail", args=[int(params["order_id"])])


def _moment(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def shipped_reader_params(params: Mapping[str, Any]) -> dict[str, str]:
    """The carrier's name, the tracking page and the expected window, for the reader.

    The window's dates are printed in the reader's active language and time zone; a notice
    without a window (the store promised none, or a row from before) says nothing of it.
    """
    carrier = str(params.get("carrier") or "")
    number = str(params.get("tracking") or "")
    url = tracking_url(carrier=carrier, number=number)
    start, end = _moment(params.get("delivery_from")), _moment(params.get("delivery_by"))
    window = ""
    if start is not None and end is not None:
        window = " " + gettext("Expected delivery between %(from)s and %(by)s.") % {
            "from": format_moment(start, "DATE_FORMAT"),
            "by": format_moment(end, "DATE_FORMAT"),
        }
    return {"carrier_name": carrier_name(carrier) if carrier else "—", "tracking_url": url or "—", "window": window}


register_notification_topic("orders", _("Orders"))
register_notification_kind(
    "order_shipped",
    NotificationKind(
        title=_("Order %(number)s has shipped"),
        body=_(
            "Your order %(number)s is on its way with %(carrier_name)s. Tracking number: %(tracking)s. "
            "Follow the parcel: %(tracking_url)s%(window)s"
        ),
        sms=True,
        sms_text=_("Order %(number)s has shipped with %(carrier_name)s: %(tracking_url)s%(window)s"),
        link=_order_link,
        topic="orders",
        reader_params=shipped_reader_params,
    ),
)
register_notification_kind(
    "order_auto_confirm_reminder",
    NotificationKind(
        title=_("Order %(number)s will be confirmed in %(days)s days"),
        body=_(
            "If you have not received order %(number)s, open a dispute before it is confirmed "
            "automatically. Otherwise, confirm receipt."
        ),
        sms=True,
        link=_order_link,
        topic="orders",
    ),
)
register_notification_kind(
    "order_auto_confirmed",
    NotificationKind(
        title=_("Order %(number)s was confirmed automatically"),
        body=_("The delivery guarantee of order %(number)s ended, so it was confirmed as received."),
        link=_order_link,
        topic="orders",
    ),
)
