"""The read-replica router: public pages of anonymous visitors read the replica, all else the primary.

The `replica` alias mirrors the test database (Django's TEST MIRROR) over a connection of its
own, so which connection ran a query shows which alias the router chose.
"""

import time
from contextlib import contextmanager

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import connections, transaction
from django.test import override_settings
from django.urls import reverse

from portal import fragments
from portal.models import Store, User
from portal.replica import PIN_COOKIE, ReplicaRouter, primary_reads, replica_reads
from portal.tests.factories import ProductFactory, StoreFactory, UserFactory

pytestmark = pytest.mark.skipif("replica" not in settings.DATABASES, reason="needs PostgreSQL (a mirrored alias)")

with_replica = override_settings(OPINIA_READ_REPLICA="replica")


@pytest.fixture(autouse=True)
def _close_the_replica_connection():
    # The mirror has a connection of its own; left open it would keep the test database in use.
    yield
    connections["replica"].close()


@contextmanager
def queries_on(alias: str):
    """Collect the SQL run on the connection of `alias` inside the block."""
    ran: list[str] = []

    def record(execute, sql, params, many, context):
        ran.append(sql)
        return execute(sql, params, many, context)

    with connections[alias].execute_wrapper(record):
        yield ran


@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
@with_replica
def test_reads_come_from_the_replica_only_inside_a_replica_safe_block():
    assert Store.objects.all().db == "default"
    with replica_reads():
        assert Store.objects.all().db == "replica"
        with primary_reads():
            assert Store.objects.all().db == "default"
    assert Store.objects.all().db == "default"


@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
def test_without_a_configured_replica_everything_reads_the_primary():
    with replica_reads():
        assert Store.objects.all().db == "default"


@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
@with_replica
def test_writes_go_to_the_primary_even_for_an_object_read_from_the_replica():
    router = ReplicaRouter()
    store = StoreFactory()
    store._state.db = "replica"  # as if it had been read there
    assert router.db_for_write(Store, instance=store) == "default"
    with replica_reads():
        assert router.db_for_write(Store, instance=store) == "default"
    assert router.allow_migrate("replica", "portal") is False
    assert router.allow_migrate("default", "portal") is True


@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
@with_replica
def test_inside_a_transaction_and_for_sessions_reads_stay_on_the_primary():
    with replica_reads():
        with transaction.atomic():
            assert Store.objects.all().db == "default"
        assert Session.objects.all().db == "default"
        assert User.objects.all().db == "replica"


@pytest.fixture
def public_store(transactional_db):
    # Committed, so the replica's own connection sees it.
    store = StoreFactory(slug="replicated", name="Replicated store")
    ProductFactory(store=store, slug="gizmo")
    return store


@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
@with_replica
@pytest.mark.parametrize("page", ["store", "product"])
def test_an_anonymous_visitor_reads_public_pages_from_the_replica(client, public_store, page):
    url = (
        reverse("portal:store_page", args=[public_store.slug])
        if page == "store"
        else reverse("portal:product_page", args=[public_store.slug, "gizmo"])
    )
    with queries_on("replica") as on_replica, queries_on("default") as on_primary:
        response = client.get(url)
    assert response.status_code == 200
    assert any("portal_store" in sql for sql in on_replica)
    # The page's cached body is built from the primary (portal.fragments: a lagging replica
    # must not be kept under a new version); once it is cached, the page reads only the replica.
    with queries_on("replica") as on_replica, queries_on("default") as on_primary:
        response = client.get(url)
    assert response.status_code == 200
    assert any("portal_store" in sql for sql in on_replica)
    assert on_primary == []


@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
@with_replica
def test_a_signed_in_visitor_reads_public_pages_from_the_primary(client, public_store):
    client.force_login(UserFactory())
    with queries_on("replica") as on_replica:
        response = client.get(reverse("portal:store_page", args=[public_store.slug]))
    assert response.status_code == 200
    assert on_replica == []


@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
@with_replica
def test_after_a_write_the_same_browser_reads_from_the_primary_for_a_while(client, public_store):
    url = reverse("portal:store_page", args=[public_store.slug])
    response = client.post(reverse("portal:language_set"), {"language": "pl", "next": url})
    assert response.status_code in (200, 302)
    pinned_until = int(response.cookies[PIN_COOKIE].value)
    assert time.time() < pinned_until <= time.time() + settings.OPINIA_REPLICA_PIN_SECONDS + 1
    with queries_on("replica") as on_replica:
        assert client.get(url).status_code == 200
    assert on_replica == []

    # Once the pin has expired the page reads the replica again.
    client.cookies[PIN_COOKIE] = str(int(time.time()) - 1)
    with queries_on("replica") as on_replica:
        assert client.get(url).status_code == 200
    assert on_replica


@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
def test_without_a_replica_no_pin_cookie_is_set(client, public_store):
    response = client.post(reverse("portal:language_set"), {"language": "pl"})
    assert PIN_COOKIE not in response.cookies


@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
@with_replica
def test_a_forged_pin_cookie_only_makes_reads_come_from_the_primary(client, public_store):
    client.cookies[PIN_COOKIE] = "not-a-time"
    with queries_on("replica") as on_replica:
        assert client.get(reverse("portal:store_page", args=[public_store.slug])).status_code == 200
    assert on_replica
    client.cookies[PIN_COOKIE] = "99999999999"
    with queries_on("replica") as on_replica:
        assert client.get(reverse("portal:store_page", args=[public_store.slug])).status_code == 200
    assert on_replica == []


@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
@with_replica
def test_a_cached_fragment_is_rebuilt_from_the_primary_even_inside_a_replica_block(public_store):
    """A miss right after a version bump on a lagging replica would keep old rows under the new version."""
    cache.clear()

    def build():
        return list(Store.objects.values_list("name", flat=True)), None

    with replica_reads():
        with queries_on("replica") as on_replica, queries_on("default") as on_primary:
            names = fragments.cached(name="test.names", topics=["feedback"], store_id=public_store.pk, build=build)
        assert Store.objects.all().db == "replica"  # outside the build the block still reads the replica
    assert names == ["Replicated store"]
    assert any("portal_store" in sql for sql in on_primary)
    assert not any("portal_store" in sql for sql in on_replica)


@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
@with_replica
def test_the_store_pages_cached_review_list_is_built_from_the_primary(client, public_store):
    cache.clear()
    with queries_on("replica") as on_replica, queries_on("default") as on_primary:
        assert client.get(reverse("portal:store_page", args=[public_store.slug])).status_code == 200
    assert any("feedback_itemreview" in sql for sql in on_primary)
    assert not any("feedback_itemreview" in sql for sql in on_replica)
