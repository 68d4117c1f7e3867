"""Every app refuses a state change its table does not allow with the same exception, from portal."""

import pytest
from django.utils import timezone

from disputes import services as dispute_services
from disputes.tests.helpers import open_dispute
from messaging import services as messaging_services
from messaging.models import MessageReport, Side
from portal import services as portal_services
from portal.models import Order
from portal.tests.factories import make_order
from portal.transitions import TransitionNotAllowed


@pytest.mark.django_db
def test_orders_disputes_complaints_support_chats_and_reports_raise_the_same_exception(buyer, store, seller, staff):
    now = timezone.now()
    refusals = []

    order = make_order(buyer=buyer, store=store, status=Order.Status.COMPLETED)
    with pytest.raises(TransitionNotAllowed) as caught:
        portal_services.order_transition(order_id=order.pk, to=Order.Status.PAID, actor=None, now=now)
    refusals.append(caught.value)

    dispute = open_dispute(buyer=buyer, store=store, now=now)
    dispute_services.dispute_cancel(dispute_id=dispute.pk, buyer=buyer, now=now)
    with pytest.raises(TransitionNotAllowed) as caught:
        dispute_services.dispute_escalate(dispute_id=dispute.pk, actor=buyer, now=now)
    refusals.append(caught.value)

    complaint = dispute_services.complaint_submit(author=buyer, subject="site", text="Search is broken", now=now)
    dispute_services.complaint_close(complaint_id=complaint.pk, actor=buyer, now=now)
    with pytest.raises(TransitionNotAllowed) as caught:
        dispute_services.complaint_take(complaint_id=complaint.pk, staff=staff, now=now)
    refusals.append(caught.value)

    message, _created = messaging_services.support_chat_write(user=buyer, topic="other", text="Help", now=now)
    messaging_services.support_chat_close(conversation_id=message.conversation_id, actor=buyer, now=now)
    with pytest.raises(TransitionNotAllowed) as caught:
        messaging_services.support_chat_close(conversation_id=message.conversation_id, actor=buyer, now=now)
    refusals.append(caught.value)

    question, _created = messaging_services.conversation_start(buyer=buyer, store=store, text="Hello?", now=now)
    answer = messaging_services.message_send(
        conversation_id=question.conversation_id, sender=seller, side=Side.STORE, text="Rude answer", now=now
    )
    report = messaging_services.message_report(
        message=answer, reporter=buyer, reporter_side=Side.BUYER, reason="abuse", note="", now=now
    )
    messaging_services.message_report_resolve(
        report_id=report.pk, actor=staff, to=MessageReport.Status.DISMISSED, note="", now=now
    )
    with pytest.raises(TransitionNotAllowed) as caught:
        messaging_services.message_report_resolve(
            report_id=report.pk, actor=staff, to=MessageReport.Status.UPHELD, note="", now=now
        )
    refusals.append(caught.value)

    assert [type(refusal) for refusal in refusals] == [TransitionNotAllowed] * 5
    assert all(refusal.code == "transition_not_allowed" for refusal in refusals)
    assert refusals[0].messages[0] == f"Order {order.number} cannot go from Completed to Paid."
    assert refusals[1].messages[0] == f"Cannot move dispute #{dispute.pk} from Cancelled to Escalated to the platform."
    assert refusals[2].messages[0] == f"Cannot move complaint #{complaint.pk} from Closed to In progress."
    assert refusals[3].messages[0] == f"Cannot move support chat {message.conversation_id} from Closed to Closed."
    assert refusals[4].messages[0] == f"Cannot move report {report.pk} from Dismissed to Upheld: message removed."
