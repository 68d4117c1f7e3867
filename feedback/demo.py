"""Believable demo feedback: every kind of review, and windows closing within minutes."""

import io
import random
from datetime import datetime, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from feedback import services
from feedback.models import FeedbackWindow, ItemReview
from portal import services as portal_services
from portal.demo import DemoWorld, demo_shipping
from portal.models import Order, Photo, Store, User
from portal.uploads import ValidatedPhoto, photo_process, validate_photo

TEXTS = {
    "pl": ["Świetna jakość, polecam!", "Przesyłka szła długo, ale produkt zgodny z opisem.", "Niestety pęknięte."],
    "ko": ["품질이 아주 좋아요. 추천합니다!", "배송이 조금 느렸지만 만족해요.", "설명과 색상이 달라요."],
    "zh-hans": ["质量很好，物超所值！", "物流有点慢，但东西不错。", "和描述不一致，有点失望。"],
    "gu": ["ખૂબ સરસ ગુણવત્તા, ભલામણ કરું છું!", "ડિલિવરી થોડી મોડી, પણ વસ્તુ સારી છે.", "વર્ણન મુજબ નથી."],
    "en": ["Excellent quality, exactly as pictured.", "Slow shipping but the item is fine.", "Arrived scratched."],
}


def demo_photo(colour: tuple[int, int, int], name: str) -> ValidatedPhoto:
    """A small real JPEG made in memory and validated like any upload."""
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), colour).save(buffer, "JPEG", quality=80)
    return validate_photo(SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg"))


def _texts(user: User) -> list[str]:
    return TEXTS.get(user.language, TEXTS["en"])


def _rate_buyer_side(
    window: FeedbackWindow, buyer: User, *, stars: int, at: datetime, rng: random.Random, photo: bool
) -> None:
    texts = _texts(buyer)
    text = texts[0] if stars >= 4 else texts[1] if stars == 3 else texts[2]
    photos = (
        [demo_photo((rng.randint(60, 220), rng.randint(60, 220), rng.randint(60, 220)), "demo.jpg")] if photo else []
    )
    services.review_submit(
        window_id=window.pk,
        author=buyer,
        items=[
            services.ItemInput(order_item_id=item.pk, stars=stars, text=text, photos=photos)
            for item in window.order.items.order_by("pk")
        ],
        as_described=stars,
        communication=min(5, stars + 1),
        shipping=rng.randint(3, 5),
        now=at,
    )


def _completed_order(store: Store, buyer: User, world: DemoWorld, completed_at: datetime) -> FeedbackWindow:
    products = world.products[store.pk][:2]
    order = portal_services.order_create(
        buyer=buyer,
        store=store,
        items=[portal_services.LineItem(product=p, quantity=1) for p in products],
        now=completed_at - timedelta(days=6),
    )
    portal_services.order_pay(order_id=order.pk, actor=None, now=completed_at - timedelta(days=5))
    portal_services.order_ship(
        order_id=order.pk,
        actor=store.owner,
        now=completed_at - timedelta(days=4),
        **demo_shipping(order),
    )
    portal_services.order_confirm_receipt(order_id=order.pk, buyer=buyer, now=completed_at)
    return FeedbackWindow.objects.select_related("order").get(order=order)


def seed_feedback(world: DemoWorld) -> None:
    rng = random.Random(45)
    now = world.now
    windows = list(
        FeedbackWindow.objects.filter(order__in=[o.pk for o in world.orders if o.status == Order.Status.COMPLETED])
        .select_related("order", "buyer", "store__owner")
        .order_by("pk")
    )
    # Older orders give the store page a history: several months of published reviews.
    for index, buyer in enumerate(world.buyers):
        for store in world.stores:
            for months in (2, 4):
                completed = now - timedelta(days=30 * months + index * 3 + store.pk % 5)
                windows.append(_completed_order(store, buyer, world, completed))
    for index, window in enumerate(windows):
        buyer, owner = window.buyer, window.store.owner
        opened = window.completed_at + timedelta(days=1)
        deadline = min(now, window.closes_at) - timedelta(minutes=1)
        if opened >= deadline:
            continue
        scenario = index % 5
        if scenario in (0, 1):  # both sides rated: published at once
            _rate_buyer_side(window, buyer, stars=rng.choice([5, 5, 4, 3, 2]), at=opened, rng=rng, photo=scenario == 0)
            services.seller_rating_submit(window_id=window.pk, author=owner, stars=5, text="", now=opened)
        elif scenario == 2:  # the buyer rated, the seller not yet: sealed (published at close if past)
            _rate_buyer_side(window, buyer, stars=rng.choice([4, 5]), at=opened, rng=rng, photo=False)
        elif scenario == 3:  # only the seller, 5 stars: an automatic 4★ when the window closes
            services.seller_rating_submit(window_id=window.pk, author=owner, stars=5, text="Great buyer", now=opened)
    # Past-due windows close now, as the worker would have done.
    services.feedback_windows_close_sweep(now=now)
    _after_publication(world)
    # Windows the worker visibly closes within the next minutes.
    window_days = timedelta(days=45)
    # (minutes until the window closes, the seller's stars or None, whether the buyer rated)
    plans: list[tuple[int, int | None, bool]] = [(2, 5, False), (4, 4, False), (6, 2, False), (8, None, True)]
    # Sealed for weeks: the buyer rated, the seller not yet; the buyer's page shows the receipt.
    plans.append((60 * 24 * 43, None, True))
    for minutes, seller_stars, buyer_rates in plans:
        store = world.stores[minutes % len(world.stores)]
        buyer = world.buyers[minutes % len(world.buyers)]
        window = _completed_order(store, buyer, world, now - window_days + timedelta(minutes=minutes))
        if seller_stars is not None:
            services.seller_rating_submit(window_id=window.pk, author=store.owner, stars=seller_stars, now=now)
        if buyer_rates:
            _rate_buyer_side(window, buyer, stars=4, at=now, rng=rng, photo=minutes > 10)
    _send_past_reminders(now)
    # The photo worker may not be running while seeding: re-encode the demo photos now.
    for photo_id in Photo.objects.filter(status=Photo.Status.PROCESSING).values_list("pk", flat=True):
        photo_process(photo_id=photo_id)


def _send_past_reminders(now: datetime) -> None:
    """Send each review reminder that fell due before `now` at its own moment, as a running worker would have.

    Left to the worker, a window closing in two minutes would get "closes in 1 day" now.
    """
    due_moments = (
        FeedbackWindow.objects.filter(
            state=FeedbackWindow.State.PENDING,
            reminded_at__isnull=True,
            buyer_rated_at__isnull=True,
            reminder_due_at__lte=now,
        )
        .order_by("reminder_due_at")
        .values_list("reminder_due_at", flat=True)
    )
    for moment in list(due_moments):
        services.feedback_reminders_sweep(now=moment)


def _after_publication(world: DemoWorld) -> None:
    """Replies, an additional review with a photo, a revision request, and a report in the queue."""
    now = world.now
    public = list(
        ItemReview.objects.filter(published_at__isnull=False, removed_at__isnull=True, is_automatic=False)
        .select_related("window", "store__owner", "buyer")
        .order_by("pk")
    )
    done_windows: set[int] = set()
    for index, review in enumerate(public):
        owner = review.store.owner
        published = review.published_at
        assert published is not None
        if index % 3 == 0 and not review.has_reply:
            services.reply_submit(author=owner, text="Thank you for your feedback!", review_id=review.pk, now=published)
        window = review.window
        if index % 4 == 1 and window.pk not in done_windows and now < window.additional_until:
            done_windows.add(window.pk)
            additional = services.additional_review_submit(
                window_id=window.pk,
                author=review.buyer,
                text=_texts(review.buyer)[0] + " (+1 month)",
                photos=[demo_photo((200, 160, 90), "after-a-month.jpg")],
                now=min(now, published + timedelta(days=20)),
            )
            if index % 8 == 1:
                services.reply_submit(
                    author=owner, text="Glad it lasts!", additional_id=additional.pk, now=additional.created_at
                )
    # Helpful votes from other buyers, so that "Most helpful" reorders the lists visibly.
    for index, review in enumerate(public):
        voters = [buyer for buyer in world.buyers if buyer.pk != review.buyer_id][: (index * 7) % 4]
        for voter in voters:
            services.review_mark_helpful(review_id=review.pk, voter=voter, now=now)
    # The lowest recent review: a revision request and a report waiting in the moderation queue.
    recent = sorted(
        (r for r in public if r.published_at is not None and now - r.published_at < timedelta(days=25)),
        key=lambda r: (r.stars, -r.pk),
    )
    for review in recent[:2]:
        if review.stars < 5:
            services.revision_request(review_id=review.pk, actor=review.store.owner, now=now)
        services.review_report(
            review_id=review.pk,
            reporter=review.store.owner,
            reason="extortion",
            details="Asked for a refund first.",
            now=now,
        )
