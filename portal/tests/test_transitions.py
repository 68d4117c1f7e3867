"""The one transition check: a legal move returns the state it leaves, an illegal one names both states."""

import pytest
from django.utils import translation

from portal import services
from portal.models import Order
from portal.transitions import TransitionNotAllowed, transition_check, transition_refusal

S = Order.Status
TABLE = {S.PLACED: {S.PAID}, S.PAID: set()}
MESSAGE = "Order %(number)s cannot go from %(old)s to %(new)s."


def test_a_legal_move_returns_the_state_it_leaves_and_changes_nothing():
    order = Order(number="OP-1", status=S.PLACED)
    assert transition_check(order, table=TABLE, to=S.PAID, message=MESSAGE, params={"number": order.number}) == S.PLACED
    assert order.status == S.PLACED  # the caller sets the state and writes its event row


def test_an_illegal_move_names_the_object_and_both_states():
    order = Order(number="OP-1", status=S.PAID)
    with pytest.raises(TransitionNotAllowed) as caught:
        transition_check(order, table=TABLE, to=S.PLACED, message=MESSAGE, params={"number": "OP-1"})
    assert caught.value.messages == ["Order OP-1 cannot go from Paid to Placed."]
    assert caught.value.code == "transition_not_allowed"


def test_a_state_missing_from_the_table_allows_nothing_and_an_unknown_target_shows_its_value():
    order = Order(number="OP-1", status=S.SHIPPED)
    with pytest.raises(TransitionNotAllowed) as caught:
        transition_check(order, table=TABLE, to="lost", message=MESSAGE, params={"number": "OP-1"})
    assert caught.value.messages == ["Order OP-1 cannot go from Shipped to lost."]


def test_the_states_are_named_in_the_readers_language():
    order = Order(number="OP-1", status=S.PAID)
    with translation.override("pl"):
        refusal = transition_refusal(order, to=S.PLACED, message="%(old)s → %(new)s")
        expected = f"{S.PAID.label} → {S.PLACED.label}"
    assert refusal.messages == [expected]
    assert "Paid" not in expected  # the labels really were translated


def test_portal_services_keeps_exporting_the_one_exception():
    assert services.TransitionNotAllowed is TransitionNotAllowed
