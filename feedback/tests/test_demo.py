from datetime import timedelta

from django.utils import timezone

from feedback.demo import seed_feedback
from feedback.models import AdditionalReview, FeedbackWindow, HelpfulVote, ItemReview, ReviewReport, SellerReply
from portal.demo import DemoWorld
from portal.models import Order, Photo
from portal.tests.factories import ProductFactory, StoreFactory, UserFactory, make_order


def test_demo_seeder_leaves_every_kind_of_review(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    now = timezone.now()
    buyers = [UserFactory(language=lang) for lang in ("pl", "ko", "gu")]
    stores = [StoreFactory() for _ in range(2)]
    products = {s.pk: [ProductFactory(store=s), ProductFactory(store=s)] for s in stores}
    orders = [
        make_order(buyer=b, store=s, status=Order.Status.COMPLETED, products=products[s.pk], at=now - timedelta(days=d))
        for d in (5, 20, 60)
        for b in buyers
        for s in stores
    ]
    world = DemoWorld(
        now=now,
        staff=UserFactory(),
        buyers=buyers,
        stores=stores,
        products=products,
        orders=orders,
        agent=UserFactory(),
    )
    seed_feedback(world)
    reviews = ItemReview.objects.all()
    assert reviews.filter(published_at__isnull=False, is_automatic=False).exists()
    assert reviews.filter(published_at__isnull=True).exists()  # sealed
    assert reviews.filter(is_automatic=True).exists()
    assert reviews.filter(photo_count__gt=0, published_at__isnull=False).exists()
    assert AdditionalReview.objects.exists()
    assert SellerReply.objects.exists()
    assert ReviewReport.objects.exists()
    assert not Photo.objects.filter(status=Photo.Status.PROCESSING).exists()
    # Votes on published reviews, and a sealed review with its receipt.
    assert reviews.filter(helpful_count__gt=1).exists()
    assert HelpfulVote.objects.count() == sum(reviews.values_list("helpful_count", flat=True))
    assert reviews.filter(published_at__isnull=True).exclude(receipt="").exists()
    soon = FeedbackWindow.objects.filter(state="pending", closes_at__gt=now, closes_at__lt=now + timedelta(minutes=10))
    assert soon.count() >= 3
