import re
from decimal import Decimal

import pytest
from django.urls import reverse

from disputes import services
from disputes.models import Dispute, DisputeMessage
from disputes.tests.helpers import DAY, dispute_in_state, jpeg_upload, open_dispute, shipped_order

S = Dispute.Status


@pytest.fixture
def dispute(buyer, store, now):
    return open_dispute(buyer=buyer, store=store, now=now - DAY)


def test_buyer_opens_a_dispute_from_the_order_page(client, buyer, store, now):
    order = shipped_order(buyer=buyer, store=store, at=now)
    client.force_login(buyer)
    page = client.get(reverse("portal:order_detail", args=[order.pk]))
    assert reverse("disputes:open", args=[order.pk]) in page.content.decode()
    response = client.post(
        reverse("disputes:open", args=[order.pk]),
        {
            "reason": "not_as_described",
            "detail": "colour",
            "requested_outcome": "partial_refund",
            "amount": "3.00",
            "description": "Pink, not black.",
            "photos": [jpeg_upload()],
        },
    )
    dispute = Dispute.objects.get(order=order)
    assert response.status_code == 302
    assert response["Location"] == reverse("disputes:detail", args=[dispute.pk])
    assert (dispute.requested_outcome, dispute.requested_amount, dispute.detail) == (
        "partial_refund",
        Decimal("3.00"),
        "colour",
    )
    assert dispute.photos.count() == 1


def test_bad_input_keeps_what_was_typed(client, buyer, store, now):
    order = shipped_order(buyer=buyer, store=store, at=now)
    client.force_login(buyer)
    response = client.post(
        reverse("disputes:open", args=[order.pk]),
        {"reason": "damaged", "requested_outcome": "partial_refund", "amount": "99999", "description": "Crushed box"},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "cannot be larger than the order total" in body
    assert "Crushed box" in body
    assert not Dispute.objects.exists()


def test_case_page_shows_offers_clocks_thread_and_timeline(client, buyer, seller, dispute, now):
    services.dispute_post_message(dispute_id=dispute.pk, actor=seller, text="Please send a photo", now=now)
    for user in (buyer, seller):
        client.force_login(user)
        response = client.get(reverse("disputes:detail", args=[dispute.pk]))
        body = response.content.decode()
        assert response.status_code == 200
        assert re.search(
            r"<span data-clock=\"[^\"]+\"[^>]*>The seller has 3 days 2[23] hours to respond\.</span>", body
        )
        assert "Please send a photo" in body
        assert "Dispute opened" in body


def test_seller_counter_offers_and_buyer_accepts_through_the_pages(client, buyer, seller, dispute):
    client.force_login(seller)
    response = client.post(
        reverse("disputes:offer", args=[dispute.pk]), {"kind": "partial_refund", "amount": "2.50", "note": "Sorry"}
    )
    assert response.status_code == 302
    client.force_login(buyer)
    assert "2.50" in client.get(reverse("disputes:detail", args=[dispute.pk])).content.decode()
    assert client.post(reverse("disputes:accept", args=[dispute.pk])).status_code == 302
    dispute.refresh_from_db()
    assert (dispute.status, dispute.refund_amount) == (S.RESOLVED, Decimal("2.50"))


def test_refused_action_shows_the_precise_error(client, buyer, dispute):
    client.force_login(buyer)
    response = client.post(reverse("disputes:accept", args=[dispute.pk]))
    assert response.status_code == 400
    assert "no offer from the other side" in response.content.decode()


def test_thread_message_with_photo(client, buyer, dispute):
    client.force_login(buyer)
    response = client.post(reverse("disputes:message", args=[dispute.pk]), {"text": "", "photos": [jpeg_upload()]})
    assert response.status_code == 302
    assert DisputeMessage.objects.get(dispute=dispute).photos.count() == 1
    empty = client.post(reverse("disputes:message", args=[dispute.pk]), {"text": "  "})
    assert empty.status_code == 400
    assert "Write a message or attach a photo." in empty.content.decode()


def test_seller_lists_dashboard_panel_and_order_panel(client, seller, store, dispute):
    client.force_login(seller)
    listing = client.get(reverse("disputes:store", args=[store.slug]))
    assert f"#{dispute.pk}" in listing.content.decode()
    dashboard = client.get(reverse("portal:store_dashboard", args=[store.slug])).content.decode()
    assert "1 open dispute" in dashboard
    assert "Either side can ask the platform to decide in 1 day 23 hours." in dashboard
    order_page = client.get(reverse("portal:store_order_detail", args=[store.slug, dispute.order_id])).content.decode()
    assert reverse("disputes:detail", args=[dispute.pk]) in order_page


def test_escalate_and_return_pages(client, buyer, seller, store, staff, now):
    dispute = dispute_in_state(status=S.AWAITING_RETURN, buyer=buyer, seller=seller, store=store, staff=staff, now=now)
    client.force_login(buyer)
    bad = client.post(reverse("disputes:return_shipped", args=[dispute.pk]), {"tracking_number": ""})
    assert bad.status_code == 400
    ok = client.post(reverse("disputes:return_shipped", args=[dispute.pk]), {"tracking_number": "RR1PL"})
    assert ok.status_code == 302
    client.force_login(seller)
    assert client.post(reverse("disputes:return_received", args=[dispute.pk])).status_code == 302
    dispute.refresh_from_db()
    assert dispute.status == S.RESOLVED


def test_escalation_too_early_is_refused_with_the_window(client, buyer, dispute):
    client.force_login(buyer)
    response = client.post(reverse("disputes:escalate", args=[dispute.pk]), {"note": "help"})
    assert response.status_code == 400
    assert "can be asked to decide from" in response.content.decode()


@pytest.mark.parametrize(
    ("language", "expected"),
    [("pl", "Spór nr"), ("zh-hans", "争议 #"), ("ko", "분쟁 #"), ("gu", "વિવાદ #")],
)
def test_case_page_in_every_language(client, buyer, dispute, language, expected):
    buyer.language = language
    buyer.save(update_fields=["language"])
    client.force_login(buyer)
    client.cookies["django_language"] = language
    body = client.get(reverse("disputes:detail", args=[dispute.pk])).content.decode()
    assert expected in body
