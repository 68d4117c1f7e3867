"""Style under "not as described", the no-valid-tracking decision, replacements and their clock, the listing as sold."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from disputes import services
from disputes.forms import DisputeOpenForm, OfferForm
from disputes.models import Dispute, DisputeEvent, PenaltyEntry
from disputes.tests.helpers import DAY, dispute_in_state, open_dispute, shipped_order
from messaging.models import Notification
from portal import services as portal_services
from portal.models import Order, ProductPhoto
from portal.tasks import run_sweep
from portal.tests.factories import ProductFactory, make_order
from portal.tests.test_listing import add_photo

S = Dispute.Status
SECOND = timedelta(seconds=1)


def _sweep_at(moment):
    with time_machine.travel(moment, tick=False):
        return run_sweep("disputes.deadlines")


# --- Style --------------------------------------------------------------------------------------------------


def test_style_is_a_way_an_item_can_differ_from_its_description(buyer, store, now):
    order = shipped_order(buyer=buyer, store=store, at=now)
    form = DisputeOpenForm(reasons=[Dispute.Reason.NOT_AS_DESCRIBED], order=order)
    assert ("style", "Style") in form.fields["detail"].choices
    dispute = services.dispute_open(
        order_id=order.pk,
        buyer=buyer,
        reason=Dispute.Reason.NOT_AS_DESCRIBED,
        detail=Dispute.Detail.STYLE,
        requested_outcome=Dispute.Outcome.FULL_REFUND,
        description="Ordered the slim cut, got the loose one.",
        now=now,
    )
    assert dispute.get_detail_display() == "Style"


@pytest.mark.parametrize(("language", "word"), [("pl", "Styl"), ("zh-hans", "款式"), ("ko", "스타일"), ("gu", "શૈલી")])
def test_style_and_the_replacement_read_in_every_language(language, word):
    with translation.override(language):
        assert str(Dispute.Detail.STYLE.label) == word
        for label, english in (
            (Dispute.Outcome.REPLACEMENT.label, "Replacement (reshipped)"),
            (Dispute.Status.AWAITING_REPLACEMENT.label, "Awaiting the replacement"),
            (Dispute.Resolution.REPLACED.label, "Replacement received: no refund"),
            (Dispute.ClosedBy.REPLACEMENT_RECEIVED.label, "The buyer confirmed the replacement arrived"),
        ):
            assert str(label) not in ("", english)


def test_a_buyer_cannot_ask_for_a_replacement(buyer, store, now):
    order = shipped_order(buyer=buyer, store=store, at=now)
    form = DisputeOpenForm(reasons=[Dispute.Reason.NOT_AS_DESCRIBED], order=order)
    assert "replacement" not in dict(form.fields["requested_outcome"].choices)
    buyer_offer = OfferForm()
    buyer_offer.limit_to_side("buyer")
    assert "replacement" not in dict(buyer_offer.fields["kind"].choices)


# --- Shipped without valid tracking ------------------------------------------------------------------------


def test_no_valid_tracking_is_decided_as_refused_to_ship(client, staff, buyer, seller, store, now):
    dispute = dispute_in_state(status=S.ESCALATED, buyer=buyer, seller=seller, store=store, staff=staff, now=now)
    # The seller answered in time: "refused to ship", not "not cooperating".
    services.dispute_make_offer(
        dispute_id=dispute.pk, actor=seller, kind=Dispute.Outcome.PARTIAL_REFUND, amount=Decimal("1.00"), now=now
    )
    Dispute.objects.filter(pk=dispute.pk).update(seller_responded_at=now + timedelta(hours=1))
    client.force_login(staff)
    url = reverse("admin:disputes_dispute_resolve", args=[dispute.pk])
    assert "Shipped without valid tracking" in client.get(url).content.decode()
    response = client.post(
        url,
        {
            "resolution": "full_refund",
            "responsibility": "seller",
            "shipped_without_tracking": "on",
            "note": "The tracking number never existed.",
        },
    )
    assert response.status_code == 302
    dispute.refresh_from_db()
    assert dispute.shipped_without_tracking is True
    assert (dispute.status, dispute.closed_by, dispute.resolution) == (S.RESOLVED, "staff", "full_refund")
    entry = PenaltyEntry.objects.get(dispute=dispute)
    # The dispute's reason was "not as described" (2 points); the decision makes it refused to ship (1).
    assert (entry.reason, entry.points) == ("refused_to_ship", 1)
    assert Notification.objects.filter(recipient=buyer, kind="dispute_decided").exists()
    assert Notification.objects.filter(recipient=seller, kind="penalty_added").exists()
    from django.contrib.admin.models import LogEntry

    assert "shipped without valid tracking" in LogEntry.objects.get(object_id=str(dispute.pk)).change_message


def test_no_valid_tracking_without_the_sellers_cooperation_costs_twelve(staff, buyer, seller, store, now, settings):
    dispute = dispute_in_state(status=S.ESCALATED, buyer=buyer, seller=seller, store=store, staff=staff, now=now)
    services.dispute_resolve_by_staff(
        dispute_id=dispute.pk,
        staff=staff,
        resolution="full_refund",
        responsibility="seller",
        note="No parcel ever moved.",
        shipped_without_tracking=True,
        now=now + 4 * DAY,
    )
    entry = PenaltyEntry.objects.get(dispute=dispute)
    assert (entry.reason, entry.points) == (
        "refused_not_cooperating",
        settings.OPINIA_PENALTY_POINTS["refused_not_cooperating"],
    )


def test_no_valid_tracking_must_hold_the_seller_responsible(client, staff, buyer, seller, store, now):
    dispute = dispute_in_state(status=S.ESCALATED, buyer=buyer, seller=seller, store=store, staff=staff, now=now)
    client.force_login(staff)
    url = reverse("admin:disputes_dispute_resolve", args=[dispute.pk])
    response = client.post(
        url,
        {"resolution": "full_refund", "responsibility": "carrier", "shipped_without_tracking": "on", "note": "Typed"},
    )
    assert response.status_code == 400
    assert "choose the seller" in response.content.decode()
    assert "Typed" in response.content.decode()
    dispute.refresh_from_db()
    assert dispute.status == S.ESCALATED
    assert not PenaltyEntry.objects.exists()


# --- Replacement ---------------------------------------------------------------------------------------------


def _offer_replacement(dispute, seller, now, **kwargs):
    return services.dispute_make_offer(
        dispute_id=dispute.pk,
        actor=seller,
        kind=Dispute.Outcome.REPLACEMENT,
        carrier=kwargs.get("carrier", "Cainiao"),
        tracking_number=kwargs.get("tracking_number", "LP00999888777CN"),
        note="Sending the right colour.",
        now=now,
    )


def test_replacement_accept_received_closes_the_case_without_refund(client, buyer, seller, store, now):
    dispute = open_dispute(buyer=buyer, store=store, now=now)
    offer = _offer_replacement(dispute, seller, now + timedelta(hours=1))
    assert (offer.kind, offer.amount, offer.tracking_number) == ("replacement", Decimal("0.00"), "LP00999888777CN")
    assert Notification.objects.filter(recipient=buyer, kind="dispute_replacement_offered").exists()
    dispute.refresh_from_db()
    assert dispute.status == S.NEGOTIATING

    services.dispute_accept_offer(dispute_id=dispute.pk, actor=buyer, now=now + 2 * timedelta(hours=1))
    dispute.refresh_from_db()
    assert dispute.status == S.AWAITING_REPLACEMENT
    assert dispute.replacement_tracking_number == "LP00999888777CN"
    assert dispute.replacement_due_at == now + 2 * timedelta(hours=1) + 30 * DAY
    assert Order.objects.get(pk=dispute.order_id).has_open_dispute  # the guarantee still waits
    assert Notification.objects.filter(recipient=seller, kind="dispute_replacement_awaited").exists()

    client.force_login(buyer)
    page = client.get(reverse("disputes:detail", args=[dispute.pk])).content.decode()
    assert "The replacement arrived" in page
    assert "LP00999888777CN" in page
    assert client.post(reverse("disputes:replacement_received", args=[dispute.pk])).status_code == 302
    dispute.refresh_from_db()
    assert (dispute.status, dispute.closed_by, dispute.resolution, dispute.refund_amount) == (
        S.RESOLVED,
        "replacement_received",
        "replaced",
        Decimal("0.00"),
    )
    assert DisputeEvent.objects.filter(dispute=dispute, kind="replacement_received", actor=buyer).exists()
    assert not Order.objects.get(pk=dispute.order_id).has_open_dispute
    assert Notification.objects.filter(recipient=seller, kind="dispute_replacement_received").exists()


def test_a_replacement_needs_its_carrier_and_tracking_number(buyer, seller, store, now):
    dispute = open_dispute(buyer=buyer, store=store, now=now)
    with pytest.raises(ValidationError) as refused:
        _offer_replacement(dispute, seller, now, carrier=" ", tracking_number="")
    assert set(refused.value.message_dict) == {"carrier", "tracking_number"}
    with pytest.raises(ValidationError):
        services.dispute_make_offer(
            dispute_id=dispute.pk, actor=buyer, kind="replacement", carrier="DHL", tracking_number="1", now=now
        )


def test_the_seller_form_keeps_the_replacement_input_beside_the_fields(client, buyer, seller, store, now):
    dispute = open_dispute(buyer=buyer, store=store, now=now)
    client.force_login(seller)
    response = client.post(
        reverse("disputes:offer", args=[dispute.pk]), {"kind": "replacement", "carrier": "Cainiao", "note": "Typed"}
    )
    assert response.status_code == 400
    assert response.context["offer_form"].errors["tracking_number"] == [
        "Enter the tracking number of the replacement parcel."
    ]
    assert "Cainiao" in response.content.decode()


def test_a_silent_buyer_is_taken_to_have_received_the_replacement_at_the_boundary(buyer, seller, store, now):
    dispute = open_dispute(buyer=buyer, store=store, now=now)
    _offer_replacement(dispute, seller, now)
    services.dispute_accept_offer(dispute_id=dispute.pk, actor=buyer, now=now)
    dispute.refresh_from_db()
    due = dispute.replacement_due_at
    assert _sweep_at(due - SECOND) == 0
    dispute.refresh_from_db()
    assert dispute.status == S.AWAITING_REPLACEMENT
    assert _sweep_at(due) == 1
    dispute.refresh_from_db()
    assert (dispute.status, dispute.closed_by, dispute.resolution, dispute.refund_amount) == (
        S.RESOLVED,
        "replacement_not_confirmed",
        "replaced",
        Decimal("0.00"),
    )
    event = DisputeEvent.objects.get(dispute=dispute, clock="replacement_receipt")
    assert event.actor is None
    assert "taken as received" in event.note_text
    assert Notification.objects.filter(recipient=buyer, kind="dispute_replacement_taken_as_received").count() == 1
    # Run again: nothing more happens.
    assert _sweep_at(due + SECOND) == 0
    assert DisputeEvent.objects.filter(dispute=dispute, clock="replacement_receipt").count() == 1
    assert Notification.objects.filter(recipient=buyer, kind="dispute_replacement_taken_as_received").count() == 1


def test_a_missing_replacement_goes_to_the_platform_on_the_buyers_word(buyer, seller, store, now):
    dispute = open_dispute(buyer=buyer, store=store, now=now)
    _offer_replacement(dispute, seller, now)
    services.dispute_accept_offer(dispute_id=dispute.pk, actor=buyer, now=now)
    # Long after the usual escalation window: the case waited for the seller's parcel.
    later = now + 20 * DAY
    with pytest.raises(ValidationError):
        services.dispute_escalate(dispute_id=dispute.pk, actor=seller, now=later)
    services.dispute_escalate(dispute_id=dispute.pk, actor=buyer, now=later, note="Nothing came.")
    dispute.refresh_from_db()
    assert dispute.status == S.ESCALATED
    # The receipt clock no longer runs (only the platform's own reminder may fire meanwhile).
    _sweep_at(dispute.replacement_due_at)
    dispute.refresh_from_db()
    assert dispute.status == S.ESCALATED
    assert not DisputeEvent.objects.filter(dispute=dispute, clock="replacement_receipt").exists()


def test_the_api_offers_a_replacement(buyer, seller, store, now):
    from api.routers.disputes import OfferIn

    assert "replacement" in OfferIn.model_json_schema()["properties"]["kind"]["enum"]


# --- The listing as sold on the case pages -------------------------------------------------------------------


def test_case_pages_show_the_listing_as_sold_beside_the_listing_now(client, buyer, seller, store, staff, now):
    product = ProductFactory(store=store, title="Linen shirt, navy", description="100% linen", price=Decimal("30.00"))
    sold_photo = add_photo(product, seller, "navy")
    order = make_order(buyer=buyer, store=store, products=[product], status=Order.Status.SHIPPED, at=now - 3 * DAY)
    # The seller edits the listing after the sale and replaces its photo.
    product.title, product.description, product.price = "Shirt, navy", "Cotton blend", Decimal("25.00")
    product.save()
    portal_services.product_photo_remove(
        actor=seller,
        product_id=product.pk,
        product_photo_id=ProductPhoto.objects.get(photo=sold_photo).pk,
        now=now,
    )
    new_photo = add_photo(product, seller, "blue")
    dispute = services.dispute_open(
        order_id=order.pk,
        buyer=buyer,
        reason=Dispute.Reason.NOT_AS_DESCRIBED,
        detail=Dispute.Detail.MATERIAL,
        requested_outcome=Dispute.Outcome.FULL_REFUND,
        description="Not linen.",
        now=now,
    )
    pages = []
    client.force_login(buyer)
    pages.append(client.get(reverse("disputes:detail", args=[dispute.pk])).content.decode())
    client.force_login(seller)
    pages.append(client.get(reverse("disputes:detail", args=[dispute.pk])).content.decode())
    client.force_login(staff)
    pages.append(client.get(reverse("admin:disputes_dispute_change", args=[dispute.pk])).content.decode())
    for page in pages:
        assert "As sold" in page
        assert "Listing now" in page
        assert "has changed since it was sold" in page
        assert "Linen shirt, navy" in page
        assert "100% linen" in page
        assert "30.00" in page
        assert "Shirt, navy" in page
        assert "Cotton blend" in page
        assert "25.00" in page
        assert reverse("portal:photo_thumbnail", args=[sold_photo.uuid]) in page
        assert reverse("portal:photo_thumbnail", args=[new_photo.uuid]) in page
