"""The message centre's section of the weekly summary: buyers waiting for an answer."""

from datetime import timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from messaging import selectors
from messaging.models import Notification
from messaging.summary import unanswered_collect, unanswered_render
from messaging.tests.conftest import reply
from portal.models import Store
from portal.weekly_summary import weekly_summaries_sweep


def test_a_buyer_waiting_for_an_answer_is_counted_until_the_store_replies(conversation, seller, store):
    now = timezone.now()
    facts = unanswered_collect(store=store, now=now)
    assert facts is not None
    assert facts["count"] == 1 == selectors.store_unanswered_count(store=store)
    assert facts["since"] == selectors.store_unanswered_since(store=store).isoformat()
    lines = unanswered_render(facts, ZoneInfo("Asia/Shanghai"))
    assert lines[0] == "1 buyer is waiting for an answer."
    assert lines[1].startswith("Waiting since: ")

    Store.objects.filter(pk=store.pk).update(weekly_summary_due_at=now)
    weekly_summaries_sweep(now=now + timedelta(seconds=1))
    body = Notification.objects.get(recipient=seller, kind="weekly_summary").body("en")
    assert "1 buyer is waiting for an answer." in body

    reply(conversation, seller)
    assert unanswered_collect(store=store, now=timezone.now()) is None
