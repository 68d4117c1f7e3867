"""Demo disputes, complaints and penalties for `seed_demo`, made through the real services.

Every case is played out at past moments, so that its clocks and timeline look lived-in:
one seller's response is due within minutes (the worker then grants the buyer's request
in front of the visitor), one escalation is overdue, one store is restricted.
"""

import io
from datetime import datetime, timedelta
from decimal import Decimal

from PIL import Image, ImageDraw

from disputes import services
from disputes.models import Dispute
from disputes.services import complaints
from disputes.sweeps import CLOCKS, dispute_clock_fire
from portal import services as portal_services
from portal.demo import DemoWorld, demo_product_photo, demo_shipping
from portal.models import Order, Store, User
from portal.uploads import ValidatedPhoto

DAY = timedelta(days=1)


def _photo(label: str, colour: str) -> ValidatedPhoto:
    image = Image.new("RGB", (640, 480), colour)
    ImageDraw.Draw(image).text((20, 20), label, fill="white")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return ValidatedPhoto(
        content=buffer.getvalue(), image_format="JPEG", width=640, height=480, original_name=f"{label}.jpg"
    )


def _order(world: DemoWorld, buyer: User, store: Store, status: str, shipped_at: datetime) -> Order:
    """An order shipped (or only paid) at `shipped_at`, through the order services."""
    product = world.products[store.pk][0]
    placed = shipped_at - 2 * DAY
    order = portal_services.order_create(
        buyer=buyer, store=store, items=[portal_services.LineItem(product=product, quantity=2)], now=placed
    )
    portal_services.order_pay(order_id=order.pk, actor=None, now=placed + timedelta(hours=2))
    if status in (Order.Status.SHIPPED, Order.Status.COMPLETED):
        portal_services.order_ship(order_id=order.pk, actor=None, now=shipped_at, **demo_shipping(order))
    if status == Order.Status.COMPLETED:
        portal_services.order_confirm_receipt(order_id=order.pk, buyer=buyer, now=shipped_at + 6 * DAY)
    order.refresh_from_db()
    return order


def _open(world: DemoWorld, buyer: User, store: Store, opened: datetime, **kwargs: object) -> Dispute:
    status = Order.Status.PAID if kwargs.get("reason") == Dispute.Reason.REFUSED_TO_SHIP else Order.Status.SHIPPED
    shipped_at = opened - 10 * DAY if status == Order.Status.PAID else opened - 4 * DAY
    order = _order(world, buyer, store, status, shipped_at)
    defaults: dict[str, object] = {
        "reason": Dispute.Reason.NOT_AS_DESCRIBED,
        "requested_outcome": Dispute.Outcome.FULL_REFUND,
        "description": "The item does not match the listing.",
    }
    defaults.update(kwargs)
    return services.dispute_open(order_id=order.pk, buyer=buyer, now=opened, **defaults)  # type: ignore[arg-type]


def seed_disputes(world: DemoWorld) -> None:
    now = world.now
    buyers, stores, staff = world.buyers, world.stores, world.staff
    gadgets, amber, beauty, textiles = stores[0], stores[1], stores[2], stores[3]

    # 1. Awaiting the seller, whose 5 days run out 4 minutes from now: the worker grants it.
    _open(
        world,
        buyers[0],
        gadgets,
        now - 5 * DAY + timedelta(minutes=4),
        detail=Dispute.Detail.COLOUR,
        requested_outcome=Dispute.Outcome.PARTIAL_REFUND,
        requested_amount=Decimal("10.00"),
        description="Ordered the black charger; a white one arrived.",
        photos=[_photo("white-charger", "#dddddd")],
    )

    # 2. Negotiating: a counter-offer and a thread with photos on both sides.
    opened = now - 2 * DAY
    negotiating = _open(
        world,
        buyers[1],
        gadgets,
        opened,
        reason=Dispute.Reason.DAMAGED,
        description="The earbuds case arrived cracked.",
        photos=[_photo("cracked-case", "#884444")],
    )
    services.dispute_make_offer(
        dispute_id=negotiating.pk,
        actor=gadgets.owner,
        kind=Dispute.Outcome.PARTIAL_REFUND,
        amount=Decimal("12.00"),
        note="We can refund half; the earbuds themselves work.",
        now=opened + timedelta(hours=5),
    )
    services.dispute_post_message(
        dispute_id=negotiating.pk,
        actor=world.agent,
        text="Could you send a photo of the parcel as it arrived?",
        now=opened + timedelta(hours=6),
    )
    services.dispute_post_message(
        dispute_id=negotiating.pk,
        actor=buyers[1],
        text="Here it is, the box was crushed.",
        photos=[_photo("crushed-box", "#665533")],
        now=opened + timedelta(hours=9),
    )

    # 3. Escalated 8 days ago: the decision is overdue (highlighted, resolvers reminded).
    opened = now - 12 * DAY
    overdue = _open(world, buyers[2], amber, opened, reason=Dispute.Reason.NOT_RECEIVED, description="Never arrived.")
    services.dispute_make_offer(
        dispute_id=overdue.pk,
        actor=amber.owner,
        kind=Dispute.Outcome.PARTIAL_REFUND,
        amount=Decimal("5.00"),
        note="Tracking shows it was delivered.",
        now=opened + DAY,
    )
    services.dispute_escalate(dispute_id=overdue.pk, actor=buyers[2], now=opened + 4 * DAY, note="I never got it.")

    # 4. Escalated yesterday, waiting for a resolver.
    opened = now - 5 * DAY
    fresh = _open(
        world, buyers[3], beauty, opened, detail=Dispute.Detail.QUALITY, description="The essence smells off."
    )
    services.dispute_escalate(dispute_id=fresh.pk, actor=beauty.owner, now=opened + 4 * DAY, note="Product is sealed.")

    # 5. Return agreed, the buyer has until in 7 days to ship it back.
    opened = now - 4 * DAY
    returning = _open(
        world,
        buyers[4],
        textiles,
        opened,
        reason=Dispute.Reason.WRONG_QUANTITY,
        requested_outcome=Dispute.Outcome.RETURN_REFUND,
        description="Two scarves ordered, one arrived.",
    )
    services.dispute_accept_offer(dispute_id=returning.pk, actor=textiles.owner, now=opened + 1 * DAY)

    # 6. Resolved by agreement, and resolved by a resolver against the seller (2 points).
    opened = now - 30 * DAY
    agreed = _open(world, buyers[0], amber, opened, description="Clasp broken.")
    services.dispute_make_offer(
        dispute_id=agreed.pk,
        actor=amber.owner,
        kind=Dispute.Outcome.PARTIAL_REFUND,
        amount=Decimal("8.00"),
        now=opened + DAY,
    )
    services.dispute_accept_offer(dispute_id=agreed.pk, actor=buyers[0], now=opened + 2 * DAY)
    decided = _open(world, buyers[1], beauty, opened, detail=Dispute.Detail.SIZE, description="Half-size masks.")
    services.dispute_escalate(dispute_id=decided.pk, actor=buyers[1], now=opened + 3 * DAY)
    services.dispute_resolve_by_staff(
        dispute_id=decided.pk,
        staff=staff,
        resolution=Dispute.Resolution.FULL_REFUND,
        responsibility=Dispute.Responsibility.SELLER,
        note="The listing promised full-size masks.",
        now=opened + 5 * DAY,
    )

    # 7. A restricted store: two unshipped orders, the seller never answered (12 points each).
    for i, buyer in enumerate(buyers[2:4]):
        refused = _open(
            world,
            buyer,
            textiles,
            now - (20 + i) * DAY,
            reason=Dispute.Reason.REFUSED_TO_SHIP,
            description="Paid two weeks ago, never shipped.",
        )
        dispute_clock_fire(clock=CLOCKS[0], dispute_id=refused.pk, now=refused.seller_response_due_at)  # type: ignore[arg-type]

    # 8. Not as described (style), judged against the listing as sold: after the sale the seller
    #    changed the scarf's listing (title, description, price, photo); the seller now offers
    #    a replacement, which the buyer may accept on the case page.
    opened = now - 3 * DAY
    scarf = world.products[textiles.pk][0]
    styled = _open(
        world,
        buyers[2],
        textiles,
        opened,
        detail=Dispute.Detail.STYLE,
        description="The listing showed a paisley block print; a plain striped scarf arrived.",
        photos=[_photo("striped-scarf", "#556677")],
    )
    scarf.title = "Printed scarf"
    scarf.description = "Printed cotton scarf, pattern may vary."
    scarf.price = Decimal("17.50")
    scarf.save(update_fields=["title", "description", "price"])
    portal_services.product_listing_changed(product=scarf, changed=["title", "description", "price"])
    for listed in list(scarf.photos.all()):
        portal_services.product_photo_remove(
            actor=textiles.owner, product_id=scarf.pk, product_photo_id=listed.pk, now=opened + DAY
        )
    portal_services.product_photos_add(
        actor=textiles.owner,
        product_id=scarf.pk,
        photos=[demo_product_photo("Printed scarf (pattern may vary)", "#7a6a3a")],
        now=opened + DAY,
    )
    services.dispute_make_offer(
        dispute_id=styled.pk,
        actor=textiles.owner,
        kind=Dispute.Outcome.REPLACEMENT,
        carrier="India Post",
        tracking_number="EE123456789IN",
        note="We will send the paisley print you ordered.",
        now=opened + DAY + timedelta(hours=2),
    )

    # 9. A replacement accepted: the case waits for the buyer to confirm it arrived.
    opened = now - 6 * DAY
    reshipped = _open(
        world,
        buyers[3],
        gadgets,
        opened,
        detail=Dispute.Detail.MATERIAL,
        description="The cable is rubber, the listing says braided nylon.",
    )
    services.dispute_make_offer(
        dispute_id=reshipped.pk,
        actor=gadgets.owner,
        kind=Dispute.Outcome.REPLACEMENT,
        carrier="Cainiao",
        tracking_number="LP00987654321CN",
        note="Sending the braided one today.",
        now=opened + DAY,
    )
    services.dispute_accept_offer(dispute_id=reshipped.pk, actor=buyers[3], now=opened + DAY + timedelta(hours=3))

    # 10. Complaints: one overdue, one answered and rated, one penalty appeal waiting.
    complaints.complaint_submit(
        author=buyers[3],
        subject="seller",
        category="coercion",
        text="The seller offered a coupon if I removed my negative review.",
        store=amber,
        now=now - 3 * DAY,
    )
    answered = complaints.complaint_submit(
        author=buyers[4], subject="site", category="bug", text="The language menu forgets my choice.", now=now - 6 * DAY
    )
    complaints.complaint_answer(
        complaint_id=answered.pk, staff=staff, answer="Fixed in today's release, thank you.", now=now - 5 * DAY
    )
    complaints.complaint_rate(complaint_id=answered.pk, author=buyers[4], rating=5, now=now - 5 * DAY)
    entry = decided.penalties.first()
    if entry is not None:
        complaints.penalty_appeal(
            entry_id=entry.pk,
            actor=beauty.owner,
            text="The size is in the listing photos.",
            now=entry.created_at + DAY,
        )
