"""The disputes' section of the weekly summary: open disputes with their next deadline."""

from datetime import timedelta

from disputes.summary import open_disputes_collect
from disputes.tests.helpers import open_dispute
from messaging.models import Notification
from portal.models import Store
from portal.weekly_summary import weekly_summaries_sweep


def test_open_disputes_are_listed_with_the_sellers_next_deadline(buyer, other_buyer, seller, store, now):
    first = open_dispute(buyer=buyer, store=store, now=now)
    second = open_dispute(buyer=other_buyer, store=store, now=now + timedelta(hours=1))
    later = now + timedelta(hours=2)
    facts = open_disputes_collect(store=store, now=later)
    assert facts == {
        "count": 2,
        "items": [
            {"id": first.pk, "order": first.order.number, "due": first.seller_response_due_at.isoformat()},
            {"id": second.pk, "order": second.order.number, "due": second.seller_response_due_at.isoformat()},
        ],
    }
    Store.objects.filter(pk=store.pk).update(weekly_summary_due_at=later)
    weekly_summaries_sweep(now=later)
    body = Notification.objects.get(recipient=seller, kind="weekly_summary").body("en")
    assert "2 open disputes." in body
    assert f"Dispute #{first.pk} on order {first.order.number}: next deadline " in body


def test_no_open_dispute_leaves_the_section_out(store, now):
    assert open_disputes_collect(store=store, now=now) is None
