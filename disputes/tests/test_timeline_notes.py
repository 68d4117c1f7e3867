"""The dispute timeline's system notes are stored as kinds and read in each reader's language (issue 13, defect 2)."""

import importlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import formats, translation
from django.utils.html import escape

from disputes import services, sweeps
from disputes.models import Dispute, DisputeEvent
from disputes.tests.helpers import DAY, open_dispute

LANGUAGES = ["pl", "zh-hans", "ko", "gu"]
OUTCOME = Dispute.Outcome
SELLER_TIMEOUT = "The seller did not respond within %(days)s days: the buyer's request is granted."


def _gettext(language: str, english: str) -> str:
    with translation.override(language):
        text = translation.gettext(english)
    assert text != english, f"{english!r} has no {language} translation"
    return text


def _amount(language: str, amount: str) -> str:
    with translation.override(language):
        return formats.localize(Decimal(amount))


def _timeline(client, user, language: str, dispute: Dispute) -> str:
    user.language = language
    user.save(update_fields=["language"])
    client.force_login(user)
    response = client.get(reverse("disputes:detail", args=[dispute.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    return body[body.index('<ol class="timeline">') :]


@pytest.fixture
def partly_refunded(buyer, seller, store, now):
    """A dispute resolved with a partial refund of 8.00 USD: the seller offered it, the buyer accepted."""
    dispute = open_dispute(buyer=buyer, store=store, now=now - 2 * DAY)
    services.dispute_make_offer(
        dispute_id=dispute.pk, actor=seller, kind=OUTCOME.PARTIAL_REFUND, amount=Decimal("8.00"), now=now - DAY
    )
    services.dispute_accept_offer(dispute_id=dispute.pk, actor=buyer, now=now)
    dispute.refresh_from_db()
    assert (dispute.status, dispute.refund_amount) == (Dispute.Status.RESOLVED, Decimal("8.00"))
    return dispute


@pytest.mark.parametrize("language", LANGUAGES)
def test_partial_refund_reads_in_each_readers_language_with_the_amount_formatted(
    client, buyer, seller, partly_refunded, language
):
    label = _gettext(language, "Partial refund")
    amount = _amount(language, "8.00")
    offer = _gettext(language, "%(outcome)s %(amount)s %(currency)s") % {
        "outcome": label,
        "amount": amount,
        "currency": "USD",
    }
    accepted = _gettext(language, "%(kind)s of %(amount)s %(currency)s accepted.") % {
        "kind": label,
        "amount": amount,
        "currency": "USD",
    }
    for user in (buyer, seller):
        timeline = _timeline(client, user, language, partly_refunded)
        assert escape(offer) in timeline
        assert escape(accepted) in timeline
        assert "Partial refund" not in timeline
        assert "accepted." not in timeline


def test_polish_reader_sees_a_polish_decimal_comma(client, buyer, partly_refunded):
    timeline = _timeline(client, buyer, "pl", partly_refunded)
    assert "8,00 USD" in timeline
    assert "8.00" not in timeline


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_clock_note_reads_in_each_readers_language(client, buyer, store, now, settings, language):
    dispute = open_dispute(buyer=buyer, store=store, now=now - 6 * DAY)
    assert sweeps.sweep_dispute_deadlines(now=now) >= 1
    timeline = _timeline(client, buyer, language, dispute)
    expected = _gettext(language, SELLER_TIMEOUT) % {"days": settings.OPINIA_SELLER_RESPONSE_DAYS}
    assert escape(expected) in timeline
    assert "The seller did not respond" not in timeline


def test_a_typed_note_is_shown_as_typed(client, buyer, store, now):
    dispute = open_dispute(buyer=buyer, store=store, now=now - 4 * DAY)
    services.dispute_escalate(dispute_id=dispute.pk, actor=buyer, now=now, note="Nigdy nie dotarło.")
    assert "Nigdy nie dotarło." in _timeline(client, buyer, "ko", dispute)


def test_admin_case_page_shows_the_rendered_note(client, staff, partly_refunded):
    staff.language = "ko"
    staff.save(update_fields=["language"])
    client.force_login(staff)
    body = client.get(reverse("admin:disputes_dispute_change", args=[partly_refunded.pk])).content.decode()
    assert (
        escape(
            _gettext("ko", "%(kind)s of %(amount)s %(currency)s accepted.")
            % {
                "kind": _gettext("ko", "Partial refund"),
                "amount": _amount("ko", "8.00"),
                "currency": "USD",
            }
        )
        in body
    )
    assert "Partial refund 8.00 USD" not in body


# --- The data migration -----------------------------------------------------------------------

migration = importlib.import_module("disputes.migrations.0009_dispute_event_notes_to_kinds")


def _event(dispute: Dispute, *, kind: str, note: str, actor=None) -> DisputeEvent:
    return DisputeEvent.objects.create(
        dispute=dispute,
        actor=actor,
        kind=kind,
        old_status=dispute.status,
        new_status=dispute.status,
        note=note,
        created_at=dispute.opened_at,
    )


def test_migration_gives_stored_sentences_their_kind_and_parameters(buyer, seller, store, now):
    dispute = open_dispute(buyer=buyer, store=store, now=now)
    offer = _event(dispute, kind="offer", note="Partial refund 8.00 USD", actor=seller)
    polish_offer = _event(dispute, kind="offer", note=f"{_gettext('pl', 'Return and refund')} 12.50 EUR", actor=buyer)
    accepted = _event(
        dispute,
        kind="accepted",
        note=_gettext("ko", "%(kind)s of %(amount)s %(currency)s accepted.")
        % {"kind": _gettext("ko", "Full refund"), "amount": "20.00", "currency": "USD"},
        actor=buyer,
    )
    timeout = _event(dispute, kind="clock", note=SELLER_TIMEOUT % {"days": 5})
    escalated = _event(
        dispute,
        kind="escalated",
        note=_gettext("gu", "Not resolved within %(days)s days: escalated to the platform automatically.")
        % {"days": 16},
    )
    overdue = _event(dispute, kind="clock", note="The decision is overdue; the dispute resolvers were reminded.")
    typed = _event(dispute, kind="escalated", note="I never got it.", actor=buyer)
    # A person who happens to type the sentence of a clock is still a person: their words stay.
    typed_like_a_clock = _event(dispute, kind="cancelled", note=SELLER_TIMEOUT % {"days": 5}, actor=buyer)

    assert migration.notes_to_kinds(apps, None) == 6

    expected = {
        offer: ("dispute_offer", {"outcome": "partial_refund", "amount": "8.00", "currency": "USD"}),
        polish_offer: ("dispute_offer", {"outcome": "return_refund", "amount": "12.50", "currency": "EUR"}),
        accepted: ("dispute_offer_accepted", {"kind": "full_refund", "amount": "20.00", "currency": "USD"}),
        timeout: ("dispute_seller_timeout", {"days": 5}),
        escalated: ("dispute_auto_escalated", {"days": 16}),
        overdue: ("dispute_decision_overdue", {}),
        typed: ("", {}),
        typed_like_a_clock: ("", {}),
    }
    for event, (kind, params) in expected.items():
        event.refresh_from_db()
        assert (event.note_kind, event.note_params) == (kind, params), event.note
    assert typed.note == "I never got it."
    assert offer.note == ""
    with translation.override("pl"):
        assert offer.note_text == "Częściowy zwrot pieniędzy: 8,00 USD"
    assert migration.notes_to_kinds(apps, None) == 0


def test_migration_backwards_writes_english_sentences(buyer, store, now):
    dispute = open_dispute(buyer=buyer, store=store, now=now)
    event = _event(dispute, kind="offer", note=f"{_gettext('zh-hans', 'Partial refund')} 8.00 USD", actor=buyer)
    migration.notes_to_kinds(apps, None)
    migration.kinds_to_notes(apps, None)
    event.refresh_from_db()
    assert (event.note, event.note_kind, event.note_params) == ("Partial refund 8.00 USD", "", {})
