"""What waits for someone: the counted to-do lines of the home pages, contributed by the apps.

The core cannot import the apps, so each app registers a source (as it registers panels in
`portal.panels`): a function of a store (for its members) or of a user (as a buyer) that
returns action lines built from the same selectors as the app's own panels. A home page
says that nothing needs attention only when every source returned nothing.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from portal.models import Order, Store, User
from portal.selectors import orders_for_store


@dataclass(frozen=True)
class ActionItem:
    """One kind of thing waiting: how many, a sentence saying what, and where to act.

    `detail` is the nearest deadline or the state behind the count, as a plain sentence;
    `urgent` marks lines the page shows as alerts (a store under restriction).
    """

    key: str
    count: int
    text: str
    url: str
    detail: str = ""
    urgent: bool = False


class StoreActionSource(Protocol):
    def __call__(self, *, store: Store, now: datetime) -> list[ActionItem]: ...


class BuyerActionSource(Protocol):
    def __call__(self, *, user: User, now: datetime) -> list[ActionItem]: ...


STORE_ACTION_SOURCES: list[StoreActionSource] = []
BUYER_ACTION_SOURCES: list[BuyerActionSource] = []


def register_store_actions(source: StoreActionSource) -> None:
    """Add a source called as `source(store=..., now=...)` for every store a user works for."""
    if source not in STORE_ACTION_SOURCES:
        STORE_ACTION_SOURCES.append(source)


def register_buyer_actions(source: BuyerActionSource) -> None:
    """Add a source called as `source(user=..., now=...)` for the signed-in user as a buyer."""
    if source not in BUYER_ACTION_SOURCES:
        BUYER_ACTION_SOURCES.append(source)


def store_actions(*, store: Store, now: datetime) -> list[ActionItem]:
    return [item for source in STORE_ACTION_SOURCES for item in source(store=store, now=now) if item.count]


def buyer_actions(*, user: User, now: datetime) -> list[ActionItem]:
    return [item for source in BUYER_ACTION_SOURCES for item in source(user=user, now=now) if item.count]


@dataclass(frozen=True)
class StoreActions:
    store: Store
    items: list[ActionItem]


def actions_for_member(*, user: User, now: datetime) -> list[StoreActions]:
    """Every store the user works for, by name, each with what waits in it (maybe nothing)."""
    stores = Store.objects.filter(members__user=user).order_by("name", "pk")
    return [StoreActions(store=store, items=store_actions(store=store, now=now)) for store in stores]


def moment_text(moment: datetime) -> str:
    """A deadline or a date in an action line, in the reader's time zone."""
    return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


def orders_to_ship_actions(*, store: Store, now: datetime) -> list[ActionItem]:
    """The core's own line: paid orders waiting to be shipped, the longest-waiting first."""
    paid = orders_for_store(store=store, status=Order.Status.PAID)
    count = paid.count()
    if not count:
        return []
    oldest = paid.exclude(paid_at=None).order_by("paid_at", "pk").values_list("paid_at", flat=True).first()
    detail = _("Waiting since: %(when)s") % {"when": moment_text(oldest)} if oldest else ""
    return [
        ActionItem(
            key="orders_to_ship",
            count=count,
            text=ngettext("%(n)d paid order to ship", "%(n)d paid orders to ship", count) % {"n": count},
            url=reverse("portal:store_orders_to_ship", args=[store.slug]),
            detail=detail,
        )
    ]
