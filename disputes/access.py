"""Who may see the private evidence photos of disputes and the attachments of complaints."""

from disputes.models import Dispute, DisputeMessage
from portal.models import Photo, RequestUser
from portal.selectors import store_ids_for_member


def dispute_photo_visible(user: RequestUser, photo: Photo) -> bool:
    """Evidence is visible to the dispute's buyer and the members of its store (staff see all anyway).

    Complaint attachments need no check here: only their owner and staff may see them,
    which the pipeline already allows.
    """
    if not user.is_authenticated:
        return False
    dispute_ids = set(Dispute.photos.through.objects.filter(photo_id=photo.pk).values_list("dispute_id", flat=True))
    dispute_ids |= set(
        DisputeMessage.photos.through.objects.filter(photo_id=photo.pk).values_list(
            "disputemessage__dispute_id", flat=True
        )
    )
    if not dispute_ids:
        return False
    stores = store_ids_for_member(user=user)
    return (
        Dispute.objects.filter(pk__in=dispute_ids).filter(buyer_id=user.pk).exists()
        or Dispute.objects.filter(pk__in=dispute_ids, store__in=stores).exists()
    )
