"""`seed_demo` leaves cases of every kind in the moderators' queue, found by the real checks."""

from datetime import timedelta

from django.utils import timezone

from portal.demo import DemoWorld
from portal.models import Order
from portal.tests.factories import ProductFactory, StoreFactory, UserFactory, make_order
from trust.demo import seed_trust
from trust.models import Case


def test_demo_seeder_leaves_cases_of_every_kind(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    now = timezone.now()
    buyers = [UserFactory(language=lang) for lang in ("pl", "ko")]
    stores = [StoreFactory() for _ in range(2)]
    products = {s.pk: [ProductFactory(store=s)] for s in stores}
    orders = [
        make_order(buyer=b, store=s, status=Order.Status.COMPLETED, products=products[s.pk], at=now - timedelta(days=5))
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
    seed_trust(world)
    kinds = set(Case.objects.values_list("kind", flat=True))
    assert kinds == {Case.Kind.INCENTIVE, Case.Kind.THREAT, Case.Kind.RETALIATION, Case.Kind.BURST}
    assert set(Case.objects.exclude(language="").values_list("language", flat=True)) == {"en", "pl", "zh", "ko", "gu"}
    seed_trust(world)  # a second run adds nothing
    assert Case.objects.count() == len(Case.objects.values_list("pk", flat=True).distinct())
