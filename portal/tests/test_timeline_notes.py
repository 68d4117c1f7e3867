"""The order timeline's system notes are stored as kinds and read in each reader's language (issue 13, defect 2)."""

import importlib
from datetime import UTC, datetime, timedelta

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from portal import services
from portal.models import Order, OrderEvent
from portal.tests.factories import make_order

LANGUAGES = ["pl", "zh-hans", "ko", "gu"]
SHIPPED_AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
BY_BUYER = "Receipt confirmed by the buyer."
AUTOMATIC = "Confirmed automatically: the delivery guarantee ended."


def _in(language: str, english: str) -> str:
    with translation.override(language):
        text = translation.gettext(english)
    assert text != english, f"{english!r} has no {language} translation"
    return text


def _page(client, user, language: str, url: str) -> str:
    user.language = language
    user.save(update_fields=["language"])
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def shipped(buyer, store):
    return make_order(buyer=buyer, store=store, status=Order.Status.SHIPPED, at=SHIPPED_AT - timedelta(days=3))


@pytest.mark.parametrize("language", LANGUAGES)
def test_receipt_confirmed_by_buyer_reads_in_each_readers_language(client, buyer, seller, store, shipped, language):
    # The buyer confirms in English; the buyer later, and the seller, read in their own language.
    services.order_confirm_receipt(order_id=shipped.pk, buyer=buyer, now=SHIPPED_AT + timedelta(days=5))
    expected = escape(_in(language, BY_BUYER))
    for user, url in (
        (buyer, reverse("portal:order_detail", args=[shipped.pk])),
        (seller, reverse("portal:store_order_detail", args=[store.slug, shipped.pk])),
    ):
        body = _page(client, user, language, url)
        assert expected in body
        assert BY_BUYER not in body


def test_receipt_confirmed_in_polish_reads_in_korean_for_the_seller(client, buyer, seller, store, shipped):
    buyer.language = "pl"
    buyer.save(update_fields=["language"])
    client.force_login(buyer)
    client.post(reverse("portal:order_confirm_receipt", args=[shipped.pk]))
    body = _page(client, seller, "ko", reverse("portal:store_order_detail", args=[store.slug, shipped.pk]))
    assert escape(_in("ko", BY_BUYER)) in body
    assert escape(_in("pl", BY_BUYER)) not in body


@pytest.mark.parametrize("language", LANGUAGES)
def test_automatic_confirmation_reads_in_each_readers_language(client, buyer, shipped, language):
    assert services.orders_auto_confirm_sweep(now=SHIPPED_AT + timedelta(days=61)) == 1
    body = _page(client, buyer, language, reverse("portal:order_detail", args=[shipped.pk]))
    assert escape(_in(language, AUTOMATIC)) in body
    assert AUTOMATIC not in body


def test_admin_shows_the_rendered_note_in_the_staff_members_language(client, buyer, staff, shipped):
    staff.is_superuser = True
    staff.save(update_fields=["is_superuser"])
    services.order_confirm_receipt(order_id=shipped.pk, buyer=buyer, now=SHIPPED_AT + timedelta(days=5))
    body = _page(client, staff, "pl", reverse("admin:portal_order_change", args=[shipped.pk]))
    assert escape(_in("pl", BY_BUYER)) in body
    assert BY_BUYER not in body


def test_a_typed_note_is_shown_as_typed(client, buyer, store):
    order = make_order(buyer=buyer, store=store, status=Order.Status.PLACED, at=SHIPPED_AT)
    services.order_transition(
        order_id=order.pk, to=Order.Status.CANCELLED, actor=None, now=SHIPPED_AT, note="Kunde hat storniert"
    )
    body = _page(client, buyer, "ko", reverse("portal:order_detail", args=[order.pk]))
    assert "Kunde hat storniert" in body


def test_an_unknown_note_kind_breaks_no_page(client, buyer, shipped):
    OrderEvent.objects.filter(order=shipped).update(note_kind="no_longer_known", note_params={"x": 1})
    assert _page(client, buyer, "gu", reverse("portal:order_detail", args=[shipped.pk]))


# --- The data migration -----------------------------------------------------------------------

migration = importlib.import_module("portal.migrations.0004_order_event_notes_to_kinds")


def _event(order: Order, note: str, to: str = Order.Status.COMPLETED) -> OrderEvent:
    return OrderEvent.objects.create(
        order=order, old_status=Order.Status.SHIPPED, new_status=to, note=note, created_at=SHIPPED_AT
    )


def test_migration_gives_stored_sentences_their_kind_in_any_language(shipped):
    english = _event(shipped, BY_BUYER)
    polish = _event(shipped, _in("pl", BY_BUYER))
    gujarati = _event(shipped, _in("gu", AUTOMATIC))
    korean_admin = _event(shipped, _in("ko", "Changed in the admin."), to=Order.Status.CANCELLED)
    typed = _event(shipped, "The buyer phoned to cancel.", to=Order.Status.CANCELLED)

    assert migration.notes_to_kinds(apps, None) == 4

    for event, kind in (
        (english, "order_confirmed_by_buyer"),
        (polish, "order_confirmed_by_buyer"),
        (gujarati, "order_confirmed_automatically"),
        (korean_admin, "order_changed_in_admin"),
        (typed, ""),
    ):
        event.refresh_from_db()
        assert event.note_kind == kind
    assert (english.note, typed.note) == ("", "The buyer phoned to cancel.")
    with translation.override("zh-hans"):
        assert polish.note_text == _in("zh-hans", BY_BUYER)
    # Run twice (a re-applied migration), it changes nothing more.
    assert migration.notes_to_kinds(apps, None) == 0


def test_migration_backwards_writes_the_english_sentences_again(shipped):
    event = _event(shipped, _in("pl", BY_BUYER))
    migration.notes_to_kinds(apps, None)
    migration.kinds_to_notes(apps, None)
    event.refresh_from_db()
    assert (event.note, event.note_kind) == (BY_BUYER, "")
