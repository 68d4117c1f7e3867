"""The feedback sections of the weekly summary: reviews awaiting a reply, buyers to rate, the score's change."""

from datetime import timedelta

from django.utils import translation

from feedback import selectors
from feedback.models import FeedbackWindow
from feedback.summary import buyers_to_rate_collect, reviews_awaiting_reply_collect, score_change_collect
from feedback.tests.conftest import T0, buyer_rates, complete_order, seller_rates
from messaging.models import Notification
from portal.models import Store
from portal.weekly_summary import summary_collect, summary_text, weekly_summaries_sweep


def _rated(buyer, seller, store, *, at, stars):
    window = FeedbackWindow.objects.select_related("order").get(order=complete_order(buyer, store, at=at, items=1))
    buyer_rates(window, buyer, stars=stars, now=at + timedelta(hours=1))
    seller_rates(window, seller, stars=5, now=at + timedelta(hours=1))
    return window


def test_the_score_change_compares_positive_feedback_now_with_a_week_earlier(buyer, other_buyer, seller, store):
    _rated(buyer, seller, store, at=T0, stars=5)
    _rated(other_buyer, seller, store, at=T0 + timedelta(days=3), stars=1)
    assert score_change_collect(store=store, now=T0 + timedelta(days=9)) == {"now": 50.0, "week_ago": 100.0}
    # No rating in either window: nothing to say.
    assert score_change_collect(store=store, now=T0 + timedelta(days=400)) is None
    # Only one rating a week ago, none before it.
    assert score_change_collect(store=store, now=T0 + timedelta(days=2)) == {"now": 100.0, "week_ago": None}


def test_reviews_awaiting_reply_and_buyers_to_rate_are_the_dashboards_counts(buyer, other_buyer, seller, store):
    _rated(buyer, seller, store, at=T0, stars=4)
    waiting = FeedbackWindow.objects.get(order=complete_order(other_buyer, store, at=T0, items=1))
    now = T0 + timedelta(days=2)
    assert reviews_awaiting_reply_collect(store=store, now=now) == {
        "count": selectors.reviews_awaiting_reply_count(store=store)
    }
    assert selectors.reviews_awaiting_reply_count(store=store) == 1
    facts = buyers_to_rate_collect(store=store, now=now)
    assert facts == {"count": 1, "closes": waiting.closes_at.isoformat()}


def test_the_summary_words_the_feedback_sections(buyer, other_buyer, seller, store):
    _rated(buyer, seller, store, at=T0, stars=5)
    _rated(other_buyer, seller, store, at=T0 + timedelta(days=3), stars=1)
    complete_order(buyer, store, at=T0 + timedelta(days=4), items=1)
    now = T0 + timedelta(days=9)
    Store.objects.filter(pk=store.pk).update(weekly_summary_due_at=now)
    assert weekly_summaries_sweep(now=now) == 1
    body = Notification.objects.get(recipient=seller, kind="weekly_summary").body("en")
    assert "2 reviews are awaiting your reply." in body
    assert "1 buyer is still to rate." in body
    assert "Positive feedback: 50.0%, down 50.0 points since a week ago." in body
    with translation.override("pl"):
        polish = summary_text({"time_zone": "UTC", "sections": summary_collect(store=store, now=now)})
    assert "Pozytywne opinie: 50,0%, o 50,0 pkt mniej niż tydzień temu." in polish
    assert "2 opinie czekają na Twoją odpowiedź." in polish


def test_an_unchanged_score_alone_still_reads_all_clear():
    # The score is informational: with nothing else to do, the week is all clear.
    text = summary_text({"time_zone": "UTC", "sections": {"score_change": {"now": 100.0, "week_ago": 100.0}}})
    assert text.startswith("All clear")
    assert "Positive feedback: 100.0%, unchanged since a week ago." in text
