from django.utils import timezone

from messaging.demo import seed_conversations
from messaging.models import Conversation, Message
from portal.demo import DemoWorld
from portal.models import Photo, StoreMember
from portal.tests.factories import ProductFactory, StoreFactory, UserFactory, make_order


def test_demo_seeder_builds_conversations_with_photos_unread_and_support(staff, settings, tmp_path):
    buyers = [UserFactory() for _ in range(5)]
    stores = [StoreFactory(auto_reply="We answer 9–18.") for _ in range(4)]
    products = {s.pk: [ProductFactory(store=s), ProductFactory(store=s)] for s in stores}
    orders = [make_order(buyer=buyers[0], store=stores[0])]
    agent = UserFactory()
    StoreMember.objects.create(store=stores[0], user=agent, role="agent")
    world = DemoWorld(
        now=timezone.now(), staff=staff, buyers=buyers, stores=stores, products=products, orders=orders, agent=agent
    )
    seed_conversations(world)
    assert Conversation.objects.filter(kind="store").count() == 3
    # Two support chats, each with its topic (the support inbox's filter has something to sort).
    assert sorted(Conversation.objects.filter(kind="support").values_list("topic", flat=True)) == ["orders", "payments"]
    photos = Photo.objects.filter(messages__isnull=False)
    assert photos.count() == 4
    assert set(photos.values_list("status", flat=True)) == {"ready"}
    assert Conversation.objects.filter(buyer=buyers[0], buyer_unread__gt=0).exists()
    assert Conversation.objects.filter(store_unread__gt=0).exists()
    assert Message.objects.filter(email_due_at__isnull=False).exists()
