"""Reads of the trust app: the compiled phrases, and what a case's page shows."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Max
from django.urls import reverse

from disputes.models import DisputeMessage
from feedback.models import AdditionalReview, ReviewReport, SellerRating, SellerReply
from messaging.models import Message
from trust.matching import CompiledPhrase, compile_pattern
from trust.models import Case, Phrase, PhraseList, Source

# The compiled phrases of this process, rebuilt when staff change a list (its `updated_at` moves)
# or a phrase is added or removed: one small aggregate query per batch decides.
_compiled: dict[str, Any] = {"key": None, "phrases": []}


def active_phrases() -> list[CompiledPhrase]:
    """Every active phrase of every language, compiled; a text is checked against all of them."""
    key = PhraseList.objects.aggregate(updated=Max("updated_at"), lists=Count("pk", distinct=True))
    key["phrases"] = Phrase.objects.filter(is_active=True).aggregate(n=Count("pk"), top=Max("pk"))
    marker = repr(sorted(key.items()))
    if _compiled["key"] != marker:
        phrases = []
        for phrase in Phrase.objects.filter(is_active=True).select_related("phrase_list").order_by("pk"):
            language = phrase.phrase_list.language
            try:
                regex = compile_pattern(phrase.pattern, language=language)
            except ValueError:
                continue  # refused at save; a row written around the admin is skipped, not fatal
            phrases.append(
                CompiledPhrase(
                    phrase_id=phrase.pk, kind=phrase.kind, language=language, pattern=phrase.pattern, regex=regex
                )
            )
        _compiled.update(key=marker, phrases=phrases)
    return list(_compiled["phrases"])


@dataclass(frozen=True)
class TimelineEntry:
    kind: str
    at: datetime | None
    ref: int
    stars: int | None


def case_timeline(case: Case) -> list[TimelineEntry]:
    return [
        TimelineEntry(
            kind=str(event["kind"]),
            at=datetime.fromisoformat(event["at"]) if event.get("at") else None,
            ref=int(event.get("id") or 0),
            stars=event.get("stars"),
        )
        for event in case.facts.get("timeline", [])
    ]


def case_source_url(case: Case) -> str:
    """The admin page of the text, rating or report the case is about ('' when it is gone)."""
    source_id = case.source_id
    if case.source == Source.MESSAGE:
        exists = Message.objects.filter(pk=source_id).exists()
        return reverse("admin:messaging_message_change", args=[source_id]) if exists else ""
    if case.source == Source.REPLY:
        reply = SellerReply.objects.filter(pk=source_id).values("item_review_id", "additional_review_id").first()
        if reply and reply["item_review_id"]:
            return reverse("admin:feedback_itemreview_change", args=[reply["item_review_id"]])
        if reply and reply["additional_review_id"]:
            window_id = (
                AdditionalReview.objects.filter(pk=reply["additional_review_id"])
                .values_list("window_id", flat=True)
                .first()
            )
            return reverse("admin:feedback_feedbackwindow_change", args=[window_id]) if window_id else ""
        return ""
    if case.source == Source.ADDITIONAL_REVIEW:
        window_id = AdditionalReview.objects.filter(pk=source_id).values_list("window_id", flat=True).first()
        return reverse("admin:feedback_feedbackwindow_change", args=[window_id]) if window_id else ""
    if case.source == Source.DISPUTE_MESSAGE:
        dispute_id = DisputeMessage.objects.filter(pk=source_id).values_list("dispute_id", flat=True).first()
        return reverse("admin:disputes_dispute_change", args=[dispute_id]) if dispute_id else ""
    if case.source == Source.SELLER_RATING:
        exists = SellerRating.objects.filter(pk=source_id).exists()
        return reverse("admin:feedback_sellerrating_change", args=[source_id]) if exists else ""
    if case.source == Source.REVIEW_REPORT:
        exists = ReviewReport.objects.filter(pk=source_id).exists()
        return reverse("admin:feedback_reviewreport_change", args=[source_id]) if exists else ""
    if case.source == Source.STORE_DAY and case.store_id:
        return reverse("admin:portal_store_change", args=[case.store_id])
    return ""
