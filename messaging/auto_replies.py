"""Which automatic reply a buyer's message gets, and how a platform reply reads.

The store's availability (`messaging.hours.store_availability`) picks the text:

| the store is | reply |
|---|---|
| on holiday | the holiday's own text, or the platform's "on holiday, back on …" |
| busy (switched on by a seller, during open hours) | the store's busy text, or the platform's "busy" |
| closed (outside working hours) | the store's auto-reply; none if the store wrote none |
| open | none |

A store's own text is stored as the message's text, as written. A platform text is stored as a
kind and parameters and rendered when read, in the reader's language and time zone.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _

from messaging.hours import Availability, State
from messaging.models import Message
from portal.dates import format_moment
from portal.models import Store

HOLIDAY = "holiday"
BUSY = "busy"


@dataclass(frozen=True)
class AutoReply:
    text: str = ""
    kind: str = ""
    params: dict[str, Any] = field(default_factory=dict)


def auto_reply_choose(*, store: Store, availability: Availability) -> AutoReply | None:
    """The reply a buyer's message gets from the store in this state, or None."""
    if availability.state == State.HOLIDAY:
        assert availability.holiday is not None
        if availability.holiday.auto_reply.strip():
            return AutoReply(text=availability.holiday.auto_reply.strip())
        back = availability.reopens_at.isoformat() if availability.reopens_at else None
        return AutoReply(kind=HOLIDAY, params={"back_at": back})
    if availability.state == State.BUSY:
        if store.busy_reply.strip():
            return AutoReply(text=store.busy_reply.strip())
        return AutoReply(kind=BUSY)
    if availability.state == State.CLOSED and store.auto_reply.strip():
        return AutoReply(text=store.auto_reply.strip())
    return None


def auto_reply_render(message: Message) -> str:
    """The text of a message as its reader sees it: a platform reply in the active language and zone."""
    if message.text or not message.auto_kind:
        return message.text
    if message.auto_kind == HOLIDAY:
        back = message.auto_params.get("back_at")
        if back:
            when = format_moment(datetime.fromisoformat(back), "SHORT_DATETIME_FORMAT")
            return _("The store is on holiday and will be back on %(when)s. It will answer your message then.") % {
                "when": when
            }
        return _("The store is on holiday. It will answer your message when it is back.")
    if message.auto_kind == BUSY:
        return _("The store is very busy at the moment. It has your message and will answer as soon as it can.")
    return ""
