"""Every write to complaints to the platform (the services of the complaint desk).

Part of the `disputes.services` package: the same rules apply (keyword-only,
`now` as a parameter, a transition table, an event row per change, notifications inside
the transaction and delivered after commit).
"""

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from disputes import events
from disputes.models import Complaint, ComplaintEvent, PenaltyEntry
from disputes.selectors import penalty_appeal_deadline
from disputes.services.penalties import penalty_reverse
from messaging.models import MessageReport
from portal.models import Order, Photo, Store, User
from portal.notify import notify
from portal.rules import rules_at
from portal.selectors import user_is_store_member
from portal.transitions import transition_check
from portal.uploads import ValidatedPhoto, photo_store

C = Complaint.Status

COMPLAINT_TRANSITIONS: dict[str, set[str]] = {
    C.NEW: {C.IN_PROGRESS, C.ANSWERED, C.CLOSED},
    C.IN_PROGRESS: {C.ANSWERED, C.CLOSED},
    # The author may write back after an answer (their follow-up reopens the case).
    C.ANSWERED: {C.IN_PROGRESS, C.CLOSED},
    C.CLOSED: set(),
}


def _move(
    complaint: Complaint, *, to: str, actor: User | None, now: datetime, note: str = "", fields: Sequence[str] = ()
) -> None:
    """Change the status of a complaint the caller has locked, and record the event."""
    transition_check(
        complaint,
        table=COMPLAINT_TRANSITIONS,
        to=to,
        message=_("Cannot move complaint #%(id)s from %(old)s to %(new)s."),
        params={"id": complaint.pk},
    )
    ComplaintEvent.objects.create(
        complaint=complaint, actor=actor, old_status=complaint.status, new_status=to, note=note, created_at=now
    )
    complaint.status = to
    complaint.updated_at = now
    complaint.save(update_fields=["status", "updated_at", *fields])


def complaint_submit(
    *,
    author: User,
    subject: str,
    text: str,
    now: datetime,
    category: str = Complaint.Category.OTHER,
    store: Store | None = None,
    order: Order | None = None,
    reference: str = "",
    photos: Sequence[ValidatedPhoto] = (),
    penalty: PenaltyEntry | None = None,
) -> Complaint:
    """File a complaint; the first answer is due within the rules' complaint response hours."""
    if subject not in Complaint.Subject.values:
        raise ValidationError({"subject": _("Choose what the complaint is about.")})
    if not text.strip():
        raise ValidationError({"text": _("Describe the problem.")})
    if (
        order is not None
        and order.buyer_id != author.pk
        and not user_is_store_member(user=author, store_id=order.store_id)
    ):
        raise ValidationError({"order": _("You can refer only to your own orders.")})
    stored: list[Photo] = [photo_store(owner=author, photo=photo, now=now) for photo in photos]
    rules = rules_at(now)
    try:
        with transaction.atomic():
            complaint = Complaint.objects.create(
                author=author,
                subject=subject,
                category=category,
                text=text.strip(),
                store=store,
                order=order,
                reference=reference.strip(),
                penalty=penalty,
                created_at=now,
                updated_at=now,
                first_response_due_at=now + timedelta(hours=rules.complaint_response_hours),
                rules_version=rules.version,
            )
            complaint.photos.set(stored)
            ComplaintEvent.objects.create(
                complaint=complaint, actor=author, old_status="", new_status=C.NEW, created_at=now
            )
    except IntegrityError:
        raise ValidationError(_("These penalty points were already appealed."), code="appealed") from None
    return complaint


def penalty_appeal(
    *, entry_id: int, actor: User, text: str, now: datetime, photos: Sequence[ValidatedPhoto] = ()
) -> Complaint:
    """Appeal one penalty entry, once, within the appeal days in force when it was added; the appeal is a complaint."""
    entry = PenaltyEntry.objects.select_related("store").filter(pk=entry_id).first()
    if entry is None or not user_is_store_member(user=actor, store_id=entry.store_id):
        raise ValidationError(_("No such penalty entry."))
    if entry.reverses_id is not None:
        raise ValidationError(_("A withdrawal cannot be appealed."))
    if Complaint.objects.filter(penalty=entry).exists():
        raise ValidationError(_("These penalty points were already appealed."), code="appealed")
    deadline = penalty_appeal_deadline(entry=entry)
    if now >= deadline:
        raise ValidationError(
            _("Penalty points can be appealed within %(days)s days.") % {"days": (deadline - entry.created_at).days},
            code="appeal_window",
        )
    return complaint_submit(
        author=actor,
        subject=Complaint.Subject.PENALTY_APPEAL,
        text=text,
        now=now,
        store=entry.store,
        order=entry.dispute.order if entry.dispute_id else None,  # type: ignore[union-attr]
        reference=_("Dispute #%(id)s") % {"id": entry.dispute_id} if entry.dispute_id else "",
        photos=photos,
        penalty=entry,
    )


def complaint_take(*, complaint_id: int, staff: User, now: datetime) -> Complaint:
    """A staff member starts working on the complaint."""
    with transaction.atomic():
        complaint = Complaint.objects.select_for_update().get(pk=complaint_id)
        _move(complaint, to=C.IN_PROGRESS, actor=staff, now=now)
    return complaint


def complaint_answer(
    *, complaint_id: int, staff: User, answer: str, now: datetime, uphold_appeal: bool = False
) -> Complaint:
    """Answer the author; for an upheld penalty appeal, the points are withdrawn by a reversing entry."""
    if not answer.strip():
        raise ValidationError({"answer": _("Write the answer.")})
    with transaction.atomic():
        complaint = Complaint.objects.select_for_update().get(pk=complaint_id)
        if uphold_appeal and complaint.penalty_id is None:
            raise ValidationError({"uphold_appeal": _("Only a penalty appeal can be upheld.")})
        complaint.answer = answer.strip()
        complaint.answered_by = staff
        complaint.answered_at = now
        fields = ["answer", "answered_by", "answered_at"]
        if complaint.first_responded_at is None:
            complaint.first_responded_at = now
            fields.append("first_responded_at")
        _move(complaint, to=C.ANSWERED, actor=staff, now=now, note=answer.strip()[:300], fields=fields)
        if uphold_appeal and complaint.penalty_id is not None:
            penalty_reverse(entry_id=complaint.penalty_id, staff=staff, now=now)
        notify(
            user_id=complaint.author_id,
            kind="complaint_answered",
            params={"id": complaint.pk},
            now=now,
        )
        events.complaint_answered(complaint=complaint, now=now)
    return complaint


def complaint_follow_up(*, complaint_id: int, author: User, text: str, now: datetime) -> Complaint:
    """The author writes back after an answer: the case is in progress again."""
    if not text.strip():
        raise ValidationError({"text": _("Write your reply.")})
    with transaction.atomic():
        complaint = Complaint.objects.select_for_update().get(pk=complaint_id, author=author)
        if complaint.status != C.ANSWERED:
            # Before an answer the complaint is already waiting for staff; the author does not move it.
            raise ValidationError(_("You can reply once the platform has answered."), code="not_answered")
        _move(complaint, to=C.IN_PROGRESS, actor=author, now=now, note=text.strip())
    return complaint


def complaint_close(*, complaint_id: int, actor: User, now: datetime) -> Complaint:
    with transaction.atomic():
        complaint = Complaint.objects.select_for_update().get(pk=complaint_id)
        if actor.pk != complaint.author_id and not actor.is_staff:
            raise ValidationError(_("You cannot close this complaint."))
        _move(complaint, to=C.CLOSED, actor=actor, now=now)
    return complaint


def complaint_rate(*, complaint_id: int, author: User, rating: int, now: datetime, comment: str = "") -> Complaint:
    """The author rates the platform's answer once, 1 to 5."""
    if not 1 <= rating <= 5:
        raise ValidationError({"rating": _("Choose from 1 to 5 stars.")})
    with transaction.atomic():
        complaint = Complaint.objects.select_for_update().get(pk=complaint_id, author=author)
        if complaint.answered_at is None:
            raise ValidationError(_("There is no answer to rate yet."), code="not_answered")
        if complaint.rating is not None:
            raise ValidationError(_("You have already rated this answer."), code="rated")
        complaint.rating = rating
        complaint.rating_comment = comment.strip()
        complaint.updated_at = now
        complaint.save(update_fields=["rating", "rating_comment", "updated_at"])
    return complaint


MESSAGE_REPORT_CATEGORIES = {
    "spam": Complaint.Category.OTHER,
    "abuse": Complaint.Category.HARASSMENT,
    "fraud": Complaint.Category.FRAUD,
    "other": Complaint.Category.OTHER,
}


def complaint_from_message_report(report: MessageReport) -> Complaint:
    """File a reported message as the reporter's complaint about a message (SPEC §2: a report creates a complaint).

    Runs inside the messaging app's reporting transaction: the report and its complaint commit together.
    """
    message = report.message
    conversation = message.conversation
    reason = MessageReport.Reason(report.reason).label
    text = f"{reason}: {report.note}" if report.note else str(reason)
    return complaint_submit(
        author=report.reporter,
        subject=Complaint.Subject.MESSAGE,
        category=MESSAGE_REPORT_CATEGORIES.get(report.reason, Complaint.Category.OTHER),
        text=text,
        store=conversation.store,
        reference=f"Message #{message.pk} in conversation #{conversation.pk} (report #{report.pk})",
        now=report.created_at,
    )
