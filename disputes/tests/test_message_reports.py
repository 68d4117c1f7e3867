"""Reporting a message in the message centre files a complaint about a message (SPEC §2, §4)."""

from django.urls import reverse

from disputes.models import Complaint
from messaging.models import Conversation


def test_a_reported_message_becomes_the_reporters_complaint_once(client, buyer, seller, store, product):
    client.force_login(buyer)
    client.post(reverse("messaging:start", args=[store.slug]), {"text": "Is it waterproof?"})
    conversation = Conversation.objects.get(buyer=buyer, store=store)
    client.force_login(seller)
    client.post(reverse("messaging:send", args=[conversation.pk]), {"text": "Pay me outside the marketplace"})
    rude = conversation.messages.get(text="Pay me outside the marketplace")

    client.force_login(buyer)
    response = client.post(
        reverse("messaging:report", args=[rude.pk]), {"reason": "fraud", "note": "asks for a transfer"}
    )
    assert response.status_code == 302
    complaint = Complaint.objects.get()
    assert (complaint.author, complaint.subject, complaint.category) == (buyer, "message", "fraud")
    assert complaint.store == store
    assert f"Message #{rude.pk}" in complaint.reference
    assert "asks for a transfer" in complaint.text
    assert complaint.first_response_due_at is not None

    client.post(reverse("messaging:report", args=[rude.pk]), {"reason": "fraud"})
    assert Complaint.objects.count() == 1
    page = client.get(reverse("disputes:complaint_detail", args=[complaint.pk]))
    assert page.status_code == 200
