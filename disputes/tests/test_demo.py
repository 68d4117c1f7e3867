from django.core.management import call_command

from disputes.models import Complaint, Dispute, PenaltyEntry
from disputes.selectors import store_is_restricted
from portal.models import Store


def test_seed_demo_builds_disputes_in_every_kind_of_state(db):
    call_command("seed_demo", verbosity=0)
    statuses = set(Dispute.objects.values_list("status", flat=True))
    assert {"awaiting_seller", "negotiating", "escalated", "awaiting_return", "resolved"} <= statuses
    soon = Dispute.objects.get(status="awaiting_seller")
    from django.utils import timezone

    left = (soon.seller_response_due_at - timezone.now()).total_seconds()
    assert 0 < left < 10 * 60
    assert Dispute.objects.filter(status="escalated", decision_due_at__lt=timezone.now()).exists()
    assert PenaltyEntry.objects.count() == 3
    assert store_is_restricted(store=Store.objects.get(name="Ahmedabad Textiles"), now=timezone.now())
    assert set(Complaint.objects.values_list("status", flat=True)) == {"new", "answered"}
    # A style case judged against a changed listing, with a replacement offered; one replacement on its way.
    styled = Dispute.objects.get(detail="style")
    item = styled.order.items.get()
    assert item.sold_photo_id is not None
    assert item.sold_title != item.product.title
    assert styled.offers.filter(kind="replacement", accepted_at__isnull=True).exists()
    assert Dispute.objects.filter(status="awaiting_replacement").count() == 1
