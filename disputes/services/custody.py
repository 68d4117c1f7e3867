"""The evidence custody log: which staff member looked at which case's evidence, and when.

Written when staff open a case's admin page and when they fetch one of its evidence photos
(the dispute's own photos or its thread's) through the protected serving view. The parties
themselves are not logged; nobody edits or deletes an entry (the admin page is read-only).
"""

from datetime import datetime

from disputes.models import Dispute, DisputeMessage, EvidenceAccess
from portal.models import Photo, RequestUser, User
from portal.selectors import store_ids_for_member


def _is_party(*, user: User, dispute: Dispute, member_of: set[int]) -> bool:
    return dispute.buyer_id == user.pk or dispute.store_id in member_of


def evidence_case_viewed(*, staff: User, dispute: Dispute, now: datetime) -> EvidenceAccess | None:
    """Record that a staff member opened the case page; None when they are a party to it (or not staff)."""
    if not staff.is_staff or _is_party(user=staff, dispute=dispute, member_of=set(store_ids_for_member(user=staff))):
        return None
    return EvidenceAccess.objects.create(
        dispute=dispute, staff=staff, staff_email=staff.email, kind=EvidenceAccess.Kind.CASE_PAGE, at=now
    )


def evidence_photo_served(user: RequestUser, photo: Photo, variant: str, now: datetime) -> None:
    """Listener of `photo_serve`: a staff member fetched a photo; log it for every case it is evidence in.

    Costs nothing for anyone but staff: the photo's cases are only looked up for them.
    """
    if not user.is_authenticated or not user.is_staff:
        return
    assert isinstance(user, User)
    dispute_ids = set(Dispute.photos.through.objects.filter(photo_id=photo.pk).values_list("dispute_id", flat=True))
    dispute_ids |= set(
        DisputeMessage.photos.through.objects.filter(photo_id=photo.pk).values_list(
            "disputemessage__dispute_id", flat=True
        )
    )
    if not dispute_ids:
        return
    member_of = set(store_ids_for_member(user=user))
    kind = EvidenceAccess.Kind.THUMBNAIL if variant == "thumb" else EvidenceAccess.Kind.PHOTO
    EvidenceAccess.objects.bulk_create(
        [
            EvidenceAccess(
                dispute=dispute,
                staff=user,
                staff_email=user.email,
                kind=kind,
                photo=photo,
                photo_sha256=photo.sha256 or "",
                at=now,
            )
            for dispute in Dispute.objects.filter(pk__in=dispute_ids).order_by("pk")
            if not _is_party(user=user, dispute=dispute, member_of=member_of)
        ]
    )
