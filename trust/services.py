"""The signals worker, the cases it opens and the moderators' decisions (STYLE rule 1).

Durability: `check_enqueue` writes a `TextCheck` in the transaction that writes the text (the
listener of `portal.integrity`), so no committed text escapes the check. The worker claims
pending rows with `SELECT … FOR UPDATE SKIP LOCKED` in batches, opens the cases and marks the
rows checked in the same transaction: a worker killed mid-batch rolls back both, the next run
takes the rows again, and the unique constraints on `Case` keep a re-run (or a second worker)
from filing a finding twice.
"""

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from disputes.models import Complaint, Dispute, DisputeMessage
from disputes.services import dispute_message_remove_by_moderator, penalty_add_for_abuse
from feedback.models import AdditionalReview, ReviewReport, SellerRating, SellerReply
from feedback.services import (
    additional_review_remove_by_moderator,
    reply_remove_by_moderator,
    review_moderate,
    seller_rating_remove_by_moderator,
)
from messaging.models import Message, Side
from messaging.services import message_remove_by_moderator
from portal.models import User
from portal.notify import notify
from portal.selectors import user_is_store_member
from portal.transitions import transition_check
from trust import selectors
from trust.matching import CompiledPhrase, find_matches
from trust.models import Case, CaseDecision, Phrase, Source, TextCheck

TEXT_SOURCES = (Source.MESSAGE, Source.REPLY, Source.ADDITIONAL_REVIEW, Source.DISPUTE_MESSAGE)


def check_enqueue(*, source: str, source_id: int, now: datetime) -> TextCheck:
    """Queue a text, rating or report for the worker; runs inside the writer's transaction."""
    check, _created = TextCheck.objects.get_or_create(source=source, source_id=source_id, defaults={"created_at": now})
    transaction.on_commit(lambda: _run_soon(check.pk))
    return check


def _run_soon(check_id: int) -> None:
    from trust.tasks import check_run

    check_run.delay(check_id)


# --- What each source says --------------------------------------------------------------------------


def _text_facts(source: str, source_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """Per source id: the text, its author, the other party and the store, in one query per source."""
    facts: dict[int, dict[str, Any]] = {}
    if source == Source.MESSAGE:
        for message in Message.objects.filter(pk__in=source_ids).select_related("conversation"):
            conversation = message.conversation
            buyer_wrote = message.side == Side.BUYER
            facts[message.pk] = {
                "text": message.text,
                "author_id": message.sender_id,
                "counterpart_id": None if buyer_wrote else conversation.buyer_id,
                "store_id": conversation.store_id,
            }
    elif source == Source.REPLY:
        for reply in SellerReply.objects.filter(pk__in=source_ids).select_related("item_review", "additional_review"):
            target = reply.item_review or reply.additional_review
            assert target is not None
            facts[reply.pk] = {
                "text": reply.text,
                "author_id": reply.author_id,
                "counterpart_id": target.buyer_id,
                "store_id": target.store_id,
            }
    elif source == Source.ADDITIONAL_REVIEW:
        for additional in AdditionalReview.objects.filter(pk__in=source_ids):
            facts[additional.pk] = {
                "text": additional.text,
                "author_id": additional.buyer_id,
                "counterpart_id": None,
                "store_id": additional.store_id,
            }
    elif source == Source.DISPUTE_MESSAGE:
        for post in DisputeMessage.objects.filter(pk__in=source_ids).select_related("dispute"):
            dispute = post.dispute
            facts[post.pk] = {
                "text": post.text,
                "author_id": post.author_id,
                "counterpart_id": dispute.buyer_id if post.side != "buyer" else None,
                "store_id": dispute.store_id,
            }
    return facts


def text_cases(
    *, source: str, source_id: int, facts: dict[str, Any], phrases: Sequence[CompiledPhrase], now: datetime
) -> list[Case]:
    """The cases one text brings: one per phrase found (unsaved)."""
    _normal, matches = find_matches(facts["text"], phrases)
    return [
        Case(
            kind=Case.Kind.THREAT if match.phrase.kind == Phrase.Kind.THREAT else Case.Kind.INCENTIVE,
            source=source,
            source_id=source_id,
            store_id=facts["store_id"],
            author_id=facts["author_id"],
            counterpart_id=facts["counterpart_id"],
            phrase_id=match.phrase.phrase_id,
            pattern=match.phrase.pattern,
            language=match.phrase.language,
            text=_normal,
            match_start=match.start,
            match_end=match.end,
            created_at=now,
        )
        for match in matches
    ]


def _history(*, buyer_id: int, store_id: int, order_id: int, before: datetime) -> list[dict[str, Any]]:
    """The buyer's disputes on the order and complaints about the store before `before`, as timeline facts."""
    timeline: list[dict[str, Any]] = [
        {"kind": "dispute_opened", "at": opened.isoformat(), "id": pk}
        for pk, opened in Dispute.objects.filter(order_id=order_id, buyer_id=buyer_id, opened_at__lt=before)
        .order_by("opened_at")
        .values_list("pk", "opened_at")
    ]
    timeline += [
        {"kind": "complaint_filed", "at": created.isoformat(), "id": pk}
        for pk, created in Complaint.objects.filter(author_id=buyer_id, store_id=store_id, created_at__lt=before)
        .exclude(subject=Complaint.Subject.PENALTY_APPEAL)
        .order_by("created_at")
        .values_list("pk", "created_at")
    ]
    return timeline


def retaliation_case(*, rating: SellerRating, now: datetime) -> Case | None:
    """A seller's 1–3★ rating of a buyer who disputed the order or complained about the store (unsaved)."""
    if rating.stars > settings.OPINIA_TRUST_RETALIATION_MAX_STARS:
        return None
    window = rating.window
    history = _history(
        buyer_id=rating.buyer_id, store_id=rating.store_id, order_id=window.order_id, before=rating.created_at
    )
    if not history:
        return None
    timeline = [
        {"kind": "order_completed", "at": window.completed_at.isoformat(), "id": window.order_id},
        *history,
        {"kind": "buyer_rated", "at": rating.created_at.isoformat(), "id": rating.pk, "stars": rating.stars},
    ]
    timeline.sort(key=lambda event: event["at"])
    return Case(
        kind=Case.Kind.RETALIATION,
        source=Source.SELLER_RATING,
        source_id=rating.pk,
        store_id=rating.store_id,
        author_id=rating.author_id,
        counterpart_id=rating.buyer_id,
        text=rating.text,
        facts={"timeline": timeline, "stars": rating.stars, "order_id": window.order_id},
        created_at=now,
    )


def report_case(*, report: ReviewReport, now: datetime) -> Case | None:
    """A store member's report of a review written by a buyer who disputed or complained (unsaved)."""
    review = report.review
    if not user_is_store_member(user=report.reporter, store_id=review.store_id):
        return None
    history = _history(
        buyer_id=review.buyer_id,
        store_id=review.store_id,
        order_id=review.window.order_id,
        before=report.created_at,
    )
    if not history:
        return None
    timeline = [
        *history,
        {"kind": "review_published", "at": review.published_at.isoformat() if review.published_at else "", "id": 0},
        {"kind": "review_reported", "at": report.created_at.isoformat(), "id": report.pk},
    ]
    timeline.sort(key=lambda event: event["at"])
    return Case(
        kind=Case.Kind.REPORT_AFTER_DISPUTE,
        source=Source.REVIEW_REPORT,
        source_id=report.pk,
        store_id=review.store_id,
        author_id=report.reporter_id,
        counterpart_id=review.buyer_id,
        text=review.text,
        facts={"timeline": timeline, "review_id": review.pk, "reason": report.reason, "stars": review.stars},
        created_at=now,
    )


def checks_process(checks: Sequence[TextCheck], *, now: datetime) -> list[Case]:
    """Open the cases the claimed checks bring (caller's transaction); ignores findings already filed."""
    phrases = selectors.active_phrases()
    cases: list[Case] = []
    by_source: dict[str, list[int]] = {}
    for check in checks:
        by_source.setdefault(check.source, []).append(check.source_id)
    for source, ids in by_source.items():
        if source in TEXT_SOURCES:
            for source_id, facts in _text_facts(source, ids).items():
                if facts["text"]:
                    cases += text_cases(source=source, source_id=source_id, facts=facts, phrases=phrases, now=now)
        elif source == Source.SELLER_RATING:
            for rating in SellerRating.objects.filter(pk__in=ids).select_related("window"):
                case = retaliation_case(rating=rating, now=now)
                if case is not None:
                    cases.append(case)
        elif source == Source.REVIEW_REPORT:
            for report in ReviewReport.objects.filter(pk__in=ids).select_related("review__window", "reporter"):
                case = report_case(report=report, now=now)
                if case is not None:
                    cases.append(case)
    # The unique constraints make a finding filed by an earlier (or parallel) run a no-op.
    Case.objects.bulk_create(cases, ignore_conflicts=True)
    TextCheck.objects.filter(pk__in=[check.pk for check in checks]).update(checked_at=now)
    return cases


def checks_run_batch(*, now: datetime, limit: int, ids: Iterable[int] | None = None) -> int:
    """Claim up to `limit` pending checks (skipping those another worker holds) and process them."""
    with transaction.atomic():
        pending = TextCheck.objects.filter(checked_at=None)
        if ids is not None:
            pending = pending.filter(pk__in=list(ids))
        claimed = list(pending.select_for_update(skip_locked=True).order_by("created_at", "pk")[:limit])
        if claimed:
            checks_process(claimed, now=now)
    return len(claimed)


def checks_sweep(*, now: datetime, batch_size: int | None = None, max_batches: int = 20) -> int:
    """Check every pending text, batch by batch; each batch commits on its own."""
    limit = batch_size or settings.OPINIA_SWEEP_BATCH_SIZE
    total = 0
    for _batch in range(max_batches):
        done = checks_run_batch(now=now, limit=limit)
        total += done
        if done < limit:
            break
    return total


# --- Opening cases from the burst sweep ---------------------------------------------------------------


def burst_cases_open(cases: Sequence[Case]) -> int:
    """File burst cases; the one-per-store-per-day constraint drops any already filed."""
    before = Case.objects.filter(kind=Case.Kind.BURST).count() if cases else 0
    Case.objects.bulk_create(cases, ignore_conflicts=True)
    return Case.objects.filter(kind=Case.Kind.BURST).count() - before if cases else 0


# --- Decisions --------------------------------------------------------------------------------------

CASE_TRANSITIONS: dict[str, set[str]] = {
    Case.Status.OPEN: {Case.Status.DISMISSED, Case.Status.WARNED, Case.Status.REMOVED, Case.Status.PENALISED},
    Case.Status.DISMISSED: set(),
    Case.Status.WARNED: set(),
    Case.Status.REMOVED: set(),
    Case.Status.PENALISED: set(),
}
DECISION_STATUS = {
    CaseDecision.Decision.DISMISS: Case.Status.DISMISSED,
    CaseDecision.Decision.WARN: Case.Status.WARNED,
    CaseDecision.Decision.REMOVE: Case.Status.REMOVED,
    CaseDecision.Decision.PENALISE: Case.Status.PENALISED,
}


# Every source a case is filed for has its owning app's removal service: the content is hidden
# (never deleted), staff still see it in the admin.
REMOVABLE_SOURCES = frozenset(
    {
        Source.MESSAGE,
        Source.REPLY,
        Source.ADDITIONAL_REVIEW,
        Source.DISPUTE_MESSAGE,
        Source.SELLER_RATING,
        Source.REVIEW_REPORT,
    }
)


def case_can_remove(case: Case) -> bool:
    """Whether the case's content has a removal service (every source but a store's day of ratings)."""
    return case.source in REMOVABLE_SOURCES


def _remove_content(*, case: Case, moderator: User, note: str, now: datetime) -> None:
    if case.source == Source.MESSAGE:
        message_remove_by_moderator(message_id=case.source_id, now=now)
    elif case.source == Source.REPLY:
        reply_remove_by_moderator(reply_id=case.source_id, moderator=moderator, now=now)
    elif case.source == Source.ADDITIONAL_REVIEW:
        additional_review_remove_by_moderator(additional_id=case.source_id, moderator=moderator, now=now)
    elif case.source == Source.DISPUTE_MESSAGE:
        dispute_message_remove_by_moderator(message_id=case.source_id, moderator=moderator, now=now)
    elif case.source == Source.SELLER_RATING:
        seller_rating_remove_by_moderator(rating_id=case.source_id, moderator=moderator, now=now)
    elif case.source == Source.REVIEW_REPORT:
        review_moderate(
            review_id=int(case.facts["review_id"]), moderator=moderator, decision="remove", note=note, now=now
        )
    else:
        raise ValidationError(_("This content cannot be removed from a case."), code="not_removable")


def case_decide(
    *, case_id: int, moderator: User, decision: str, note: str = "", points: int | None = None, now: datetime
) -> Case:
    """Dismiss, warn, remove the content or add penalty points; one decision per case, logged and told.

    Locks the case row, so two moderators deciding at once cannot both succeed. Removal goes
    through the owning app's moderation service, points through the penalty ledger.
    """
    if not moderator.has_perm("trust.decide_case"):
        raise PermissionDenied
    if decision not in DECISION_STATUS:
        raise ValidationError(_("Unknown decision."), code="decision")
    note = note.strip()
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case_id)
        to = DECISION_STATUS[CaseDecision.Decision(decision)]
        transition_check(
            case,
            table=CASE_TRANSITIONS,
            to=to,
            message=_("Cannot move case %(id)s from %(old)s to %(new)s."),
            params={"id": case.pk},
        )
        if decision == CaseDecision.Decision.REMOVE:
            _remove_content(case=case, moderator=moderator, note=note, now=now)
        if decision == CaseDecision.Decision.PENALISE:
            if case.store_id is None:
                raise ValidationError(_("This case names no store to penalise."), code="no_store")
            penalty_add_for_abuse(
                store_id=case.store_id,
                points=points or settings.OPINIA_TRUST_PENALTY_POINTS,
                case_id=case.pk,
                staff=moderator,
                now=now,
            )
        CaseDecision.objects.create(
            case=case,
            moderator=moderator,
            decision=decision,
            note=note,
            points=(points or settings.OPINIA_TRUST_PENALTY_POINTS) if decision == "penalise" else None,
            created_at=now,
        )
        case.status = to
        case.decided_at = now
        case.save(update_fields=["status", "decided_at"])
        recipient = case.author_id or (case.store.owner_id if case.store_id and case.store else None)
        if recipient is not None and decision in (CaseDecision.Decision.WARN, CaseDecision.Decision.REMOVE):
            notify(
                user_id=recipient,
                kind="trust_warning" if decision == CaseDecision.Decision.WARN else "trust_content_removed",
                params={"case": case.pk},
                now=now,
            )
    return case
