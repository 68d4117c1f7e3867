"""The buyer's record that a store's people see beside a thread and on an order.

Orders live in the core, ratings of buyers in `feedback`, disputes in `disputes`; the core
may not import either. Each app registers a function that returns its facts about a buyer
(one bounded query each), and the core lists them in registration order.
"""

from dataclasses import dataclass
from typing import Protocol

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal import selectors
from portal.models import Store, User


@dataclass(frozen=True)
class BuyerFact:
    label: str | Promise
    value: str


class BuyerFactSource(Protocol):
    def __call__(self, *, buyer: User, store: Store) -> list[BuyerFact]: ...


SOURCES: list[BuyerFactSource] = []


def register_buyer_facts(source: BuyerFactSource) -> None:
    if source not in SOURCES:
        SOURCES.append(source)


def _order_facts(*, buyer: User, store: Store) -> list[BuyerFact]:
    counts = selectors.buyer_order_counts(buyer=buyer, store=store)
    return [
        BuyerFact(
            label=gettext_lazy("Orders"),
            value=_("%(here)s with this store · %(total)s in all") % counts,
        )
    ]


def buyer_record(*, buyer: User, store: Store) -> list[BuyerFact]:
    """What the store may know about a buyer: orders, published ratings from sellers, disputes opened."""
    facts = _order_facts(buyer=buyer, store=store)
    for source in SOURCES:
        facts.extend(source(buyer=buyer, store=store))
    return facts
