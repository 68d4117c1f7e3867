"""The trust app's part of `seed_demo`: a few cases of each kind in the moderators' queue.

Texts and the retaliating rating are written through the apps' own services (so the checks
find them as they would in production); the burst case is filed with the store's real history
and a day count at its threshold, since the demo's few ratings never make a burst of their own.
"""

from datetime import timedelta

from disputes.models import Complaint
from disputes.services import complaint_submit
from feedback.models import FeedbackWindow, StoreScoreDay
from feedback.services import seller_rating_submit
from messaging.models import Side
from messaging.services import conversation_start, message_send
from portal.demo import DemoWorld
from trust.bursts import RATINGS, burst_threshold, median_and_mad
from trust.models import Case, Source
from trust.services import burst_cases_open, checks_sweep

DEMO_TEXTS = [
    ("buyer", "I'll give you 5 stars if you send me a free charger too."),
    ("store", "We will refund you in full if you change your rating to five stars."),
    ("buyer", "Zmień ocenę, a dostaniesz zwrot? Nie, to ja: usuń opinię albo pożałujesz."),
    ("store", "如果您修改评价，我们给您全额退款。"),
    ("store", "리뷰 삭제하면 환불해 드릴게요."),
    ("buyer", "રિવ્યુ બદલો તો રિફંડ આપીશું"),
]


def seed_trust(world: DemoWorld) -> None:
    now = world.now
    if Case.objects.exists():
        return
    store, buyer = world.stores[0], world.buyers[0]
    message, _new = conversation_start(buyer=buyer, store=store, text=DEMO_TEXTS[0][1], now=now - timedelta(hours=6))
    for offset, (side, text) in enumerate(DEMO_TEXTS[1:], start=1):
        message_send(
            conversation_id=message.conversation_id,
            sender=buyer if side == "buyer" else store.owner,
            side=Side.BUYER if side == "buyer" else Side.STORE,
            text=text,
            now=now - timedelta(hours=6) + timedelta(minutes=offset),
        )
    _retaliation(world)
    checks_sweep(now=now)
    _burst(world)


def _retaliation(world: DemoWorld) -> None:
    """A buyer complains about a store, then the store rates the buyer 2★ on a pending window."""
    window = (
        FeedbackWindow.objects.filter(
            state=FeedbackWindow.State.PENDING,
            seller_rated_at=None,
            closes_at__gt=world.now,
            order__completed_at__lt=world.now,
        )
        .select_related("store", "buyer", "order")
        .order_by("pk")
        .first()
    )
    if window is None:
        return
    complaint_submit(
        author=window.buyer,
        subject=Complaint.Subject.SELLER,
        category=Complaint.Category.COERCION,
        text="The seller keeps asking me to change my rating.",
        store=window.store,
        order=window.order,
        now=world.now - timedelta(hours=3),
    )
    seller_rating_submit(
        window_id=window.pk,
        author=window.store.owner,
        stars=2,
        text="Difficult buyer.",
        now=world.now - timedelta(hours=2),
    )


def _burst(world: DemoWorld) -> None:
    store = world.stores[-1]
    day = world.now.date()
    history = dict(
        StoreScoreDay.objects.annotate(ratings=RATINGS)
        .filter(store=store, day__gte=day - timedelta(days=28), day__lt=day)
        .values_list("day", "ratings")
    )
    counts = [history.get(day - timedelta(days=back), 0) for back in range(1, 29)]
    median, mad = median_and_mad(counts)
    threshold = burst_threshold(counts)
    burst_cases_open(
        [
            Case(
                kind=Case.Kind.BURST,
                source=Source.STORE_DAY,
                source_id=store.pk,
                store=store,
                day=day,
                facts={
                    "reasons": ["volume", "young_accounts"],
                    "ratings": threshold,
                    "median": median,
                    "mad": mad,
                    "threshold": threshold,
                    "young": threshold,
                    "days": 28,
                },
                created_at=world.now,
            )
        ]
    )
