"""Texts are queued in the writing transaction and checked by the worker; cases filed once, never blocking."""

import pytest
from django.db import transaction

from messaging.models import Message
from messaging.services import conversation_start
from trust import services
from trust.models import Case, TextCheck

from .conftest import T0
from .helpers import write

pytestmark = pytest.mark.django_db

SOURCES = ["message", "reply", "additional_review", "dispute_message"]
# One offer or threat per language, each from its list's examples, and its near miss.
FINDINGS = [
    ("We can refund you if you change your rating to 5 stars.", "en", Case.Kind.INCENTIVE),
    ("Zwróć pieniądze albo pożałujesz.", "pl", Case.Kind.THREAT),
    ("好评返现5元", "zh", Case.Kind.INCENTIVE),
    ("리뷰 삭제하면 환불해 드릴게요.", "ko", Case.Kind.INCENTIVE),
    ("તમને પસ્તાવો થશે", "gu", Case.Kind.THREAT),
]
NEAR_MISSES = [
    "You can get a refund if the item arrives damaged.",
    "Zmieniłem ocenę po rozmowie.",
    "感谢您的五星好评！",
    "리뷰를 수정하셨네요, 감사합니다.",
    "5 સ્ટાર રેટિંગ માટે આભાર",
]


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize(("text", "language", "kind"), FINDINGS, ids=[f[1] for f in FINDINGS])
def test_an_offer_or_threat_opens_a_case_with_text_phrase_and_parties(
    source, text, language, kind, buyer, seller, store
):
    source_id, author, other = write(source, text, buyer=buyer, seller=seller, store=store, at=T0)
    assert TextCheck.objects.filter(source=source, source_id=source_id, checked_at=None).exists()
    assert services.checks_sweep(now=T0) >= 1
    case = Case.objects.get(source=source, source_id=source_id)
    assert (case.kind, case.language, case.status) == (kind, language, Case.Status.OPEN)
    assert case.store == store
    assert case.author == author
    assert case.counterpart == other
    assert case.phrase is not None
    assert case.pattern == case.phrase.pattern
    assert case.text[case.match_start : case.match_end]
    assert not TextCheck.objects.filter(checked_at=None).exists()


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("text", NEAR_MISSES)
def test_a_near_miss_opens_nothing(source, text, buyer, seller, store):
    write(source, text, buyer=buyer, seller=seller, store=store, at=T0)
    services.checks_sweep(now=T0)
    assert not Case.objects.exists()
    assert not TextCheck.objects.filter(checked_at=None).exists()


def test_the_message_is_delivered_whatever_it_says(buyer, seller, store):
    source_id, _author, _other = write("message", "Coupon for 5 stars!", buyer=buyer, seller=seller, store=store, at=T0)
    services.checks_sweep(now=T0)
    message = Message.objects.get(pk=source_id)
    assert message.removed_at is None
    assert Case.objects.filter(source="message", source_id=source_id).exists()


def test_a_rolled_back_text_leaves_no_check(buyer, store):
    def request_that_fails_after_writing():
        with transaction.atomic():
            conversation_start(buyer=buyer, store=store, text="Coupon for 5 stars!", now=T0)
            raise RuntimeError("the request failed after writing")

    with pytest.raises(RuntimeError):
        request_that_fails_after_writing()
    assert not TextCheck.objects.exists()


def test_the_task_after_commit_checks_the_text_at_once(buyer, store, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message, _new = conversation_start(
            buyer=buyer, store=store, text="I'll give you five stars if you add a free case.", now=T0
        )
    assert Case.objects.filter(source="message", source_id=message.pk, kind=Case.Kind.INCENTIVE).exists()
    assert TextCheck.objects.get(source="message", source_id=message.pk).checked_at is not None


def test_a_text_matching_several_phrases_opens_one_case_per_phrase_and_a_rerun_none(buyer, store):
    message, _new = conversation_start(
        buyer=buyer, store=store, text="Coupon for 5 stars! Otherwise you will regret this.", now=T0
    )
    services.checks_sweep(now=T0)
    assert Case.objects.filter(source_id=message.pk).count() == 2
    # A check run again (a retried task) files nothing twice.
    TextCheck.objects.update(checked_at=None)
    services.checks_sweep(now=T0)
    assert Case.objects.filter(source_id=message.pk).count() == 2


def _messages(buyer, store, count):
    ids = []
    for index in range(count):
        message, _new = conversation_start(buyer=buyer, store=store, text=f"Coupon for 5 stars! ({index})", now=T0)
        ids.append(message.pk)
    return ids


def test_the_worker_killed_mid_batch_loses_and_duplicates_nothing(buyer, store, monkeypatch):
    ids = _messages(buyer, store, 5)
    real = services.text_cases
    calls = {"n": 0}

    def dying(**kwargs):
        calls["n"] += 1
        if calls["n"] == 4:  # the second batch (of 3) dies on its first text
            raise SystemExit("worker killed")
        return real(**kwargs)

    monkeypatch.setattr(services, "text_cases", dying)
    with pytest.raises(SystemExit):
        services.checks_sweep(now=T0, batch_size=3)
    # The first batch committed; the second rolled back whole: its checks wait, none of its cases exist.
    assert Case.objects.count() == 3
    assert TextCheck.objects.filter(checked_at=None).count() == 2

    monkeypatch.setattr(services, "text_cases", real)
    assert services.checks_sweep(now=T0, batch_size=3) == 2
    assert sorted(Case.objects.values_list("source_id", flat=True)) == sorted(ids)
    assert services.checks_sweep(now=T0, batch_size=3) == 0
    assert Case.objects.count() == 5


def test_a_crash_inside_the_batch_transaction_keeps_every_check_pending(buyer, store, monkeypatch):
    _messages(buyer, store, 3)

    def dying(cases, **kwargs):
        raise SystemExit("worker killed while writing")

    monkeypatch.setattr("trust.models.Case.objects.bulk_create", dying)
    with pytest.raises(SystemExit):
        services.checks_sweep(now=T0)
    assert TextCheck.objects.filter(checked_at=None).count() == 3
    monkeypatch.undo()
    services.checks_sweep(now=T0)
    assert Case.objects.count() == 3
