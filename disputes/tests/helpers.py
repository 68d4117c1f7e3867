"""Disputes in every state, walked through the real services."""

import io
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from disputes import services
from disputes.models import Dispute
from portal.models import Order, Store, User
from portal.tests.factories import make_order
from portal.uploads import ValidatedPhoto

S = Dispute.Status
DAY = timedelta(days=1)


def jpeg_bytes(colour: str = "red", size: tuple[int, int] = (40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG")
    return buffer.getvalue()


def jpeg_upload(name: str = "evidence.jpg", colour: str = "red") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, jpeg_bytes(colour), content_type="image/jpeg")


def validated_photo(name: str = "evidence.jpg") -> ValidatedPhoto:
    return ValidatedPhoto(content=jpeg_bytes(), image_format="JPEG", width=40, height=30, original_name=name)


def shipped_order(*, buyer: User, store: Store, at: datetime) -> Order:
    """An order shipped one day before `at` (placed three days before)."""
    return make_order(buyer=buyer, store=store, status=Order.Status.SHIPPED, at=at - 3 * DAY)


def open_dispute(
    *,
    buyer: User,
    store: Store,
    now: datetime,
    outcome: str = Dispute.Outcome.FULL_REFUND,
    reason: str = Dispute.Reason.NOT_AS_DESCRIBED,
    amount: Decimal | None = None,
    order: Order | None = None,
    photos: int = 0,
) -> Dispute:
    order = order or shipped_order(buyer=buyer, store=store, at=now)
    return services.dispute_open(
        order_id=order.pk,
        buyer=buyer,
        reason=reason,
        requested_outcome=outcome,
        requested_amount=amount,
        description="The colour is wrong: ordered black, got pink.",
        photos=[validated_photo(f"p{i}.jpg") for i in range(photos)],
        now=now,
    )


def dispute_in_state(*, status: str, buyer: User, seller: User, store: Store, staff: User, now: datetime) -> Dispute:
    """A dispute brought to `status` through the services; `now` is when it was opened."""
    outcome = (
        Dispute.Outcome.RETURN_REFUND
        if status in (S.AWAITING_RETURN, S.RETURN_SHIPPED)
        else Dispute.Outcome.FULL_REFUND
    )
    dispute = open_dispute(buyer=buyer, store=store, now=now, outcome=outcome)
    later = now + timedelta(hours=1)
    if status == S.NEGOTIATING:
        services.dispute_make_offer(
            dispute_id=dispute.pk, actor=seller, kind=Dispute.Outcome.PARTIAL_REFUND, amount=Decimal("5.00"), now=later
        )
    elif status == S.ESCALATED:
        services.dispute_escalate(dispute_id=dispute.pk, actor=buyer, now=now + 3 * DAY)
    elif status in (S.AWAITING_RETURN, S.RETURN_SHIPPED):
        services.dispute_accept_offer(dispute_id=dispute.pk, actor=seller, now=later)
        if status == S.RETURN_SHIPPED:
            services.dispute_ship_return(
                dispute_id=dispute.pk, buyer=buyer, tracking_number="RR123456789PL", now=later + DAY
            )
    elif status == S.AWAITING_REPLACEMENT:
        services.dispute_make_offer(
            dispute_id=dispute.pk,
            actor=seller,
            kind=Dispute.Outcome.REPLACEMENT,
            carrier="Cainiao",
            tracking_number="LP00999888777CN",
            now=later,
        )
        services.dispute_accept_offer(dispute_id=dispute.pk, actor=buyer, now=later + DAY)
    elif status == S.RESOLVED:
        services.dispute_accept_offer(dispute_id=dispute.pk, actor=seller, now=later)
    elif status == S.CANCELLED:
        services.dispute_cancel(dispute_id=dispute.pk, buyer=buyer, now=later)
    dispute.refresh_from_db()
    assert dispute.status == status
    return dispute
