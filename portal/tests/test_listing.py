"""The listing as sold (order items keep it) and product photos (one pipeline, public, cached gallery)."""

import importlib
import io
import os
from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from portal import fragments, selectors, services, uploads
from portal.models import OrderItem, Photo, ProductPhoto
from portal.tests.factories import ProductFactory, make_order

migration = importlib.import_module("portal.migrations.0013_backfill_listing_snapshot")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def png(colour: str = "red", size: tuple[int, int] = (40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


def add_photo(product, actor, colour: str = "red") -> Photo:
    """Add a photo through the service and let the worker's step run, as after the commit."""
    validated = uploads.validate_photo(SimpleUploadedFile(f"{colour}.png", png(colour)))
    (entry,) = services.product_photos_add(actor=actor, product_id=product.pk, photos=[validated], now=timezone.now())
    processed = uploads.photo_process(photo_id=entry.photo_id)
    assert processed is not None
    assert processed.status == Photo.Status.READY
    return processed


def photos_url(product) -> str:
    return reverse("portal:product_photos", args=[product.store.slug, product.pk])


def product_url(product) -> str:
    return reverse("portal:product_page", args=[product.store.slug, product.slug])


# --- The listing as sold ----------------------------------------------------------------------------------


def test_an_item_keeps_the_listing_as_sold_when_the_product_changes_later(buyer, store, seller, product):
    product.description = "Braided, 2 m"
    product.save()
    first = add_photo(product, seller, "red")
    order = make_order(buyer=buyer, store=store, products=[product])
    item = order.items.get()
    assert (item.sold_title, item.sold_description, item.sold_price, item.sold_currency, item.sold_photo_id) == (
        "USB-C cable",
        "Braided, 2 m",
        Decimal("19.99"),
        "USD",
        first.pk,
    )

    # The store changes everything: title, price, description, and replaces the photo.
    product.title, product.price, product.description = "USB-C cable (1 m)", Decimal("24.50"), "Plain, 1 m"
    product.save()
    services.product_photo_remove(
        actor=seller,
        product_id=product.pk,
        product_photo_id=ProductPhoto.objects.get(photo=first).pk,
        now=timezone.now(),
    )
    add_photo(product, seller, "blue")

    item = OrderItem.objects.get(pk=item.pk)
    assert (item.sold_title, item.sold_description, item.sold_price, item.sold_photo_id) == (
        "USB-C cable",
        "Braided, 2 m",
        Decimal("19.99"),
        first.pk,
    )
    # The photo as sold outlives the listing: still served (publicly), and kept by retention.
    assert Photo.objects.filter(pk=first.pk).exists()
    assert first.pk not in {
        photo.pk for photo in uploads.photos_unattached(uploaded_before=timezone.now() + timedelta(days=30))
    }
    assert Client().get(reverse("portal:photo", args=[first.uuid])).status_code == 200


def test_an_order_of_a_product_without_photos_keeps_no_photo(buyer, store, product):
    item = make_order(buyer=buyer, store=store, products=[product]).items.get()
    assert item.sold_photo_id is None
    assert item.sold_title == "USB-C cable"


def test_the_backfill_copies_each_items_current_product_listing(buyer, store, product):
    other = ProductFactory(store=store, title="Charger", description="65 W", price=Decimal("30.00"), currency="EUR")
    order = make_order(buyer=buyer, store=store, products=[product, other])
    # Items recorded before the snapshot existed had it empty.
    OrderItem.objects.update(sold_title="", sold_description="", sold_price=None, sold_currency="")
    migration.backfill(apps, None)
    rows = set(order.items.values_list("sold_title", "sold_description", "sold_price", "sold_currency"))
    assert rows == {("USB-C cable", "", Decimal("19.99"), "USD"), ("Charger", "65 W", Decimal("30.00"), "EUR")}
    # Run again, it leaves filled items alone.
    product.title = "Renamed"
    product.save()
    migration.backfill(apps, None)
    assert order.items.filter(sold_title="USB-C cable").exists()


def test_the_order_pages_show_each_items_photo_as_sold(client, buyer, seller, store, product):
    photo = add_photo(product, seller)
    order = make_order(buyer=buyer, store=store, products=[product])
    client.force_login(buyer)
    thumb = reverse("portal:photo_thumbnail", args=[photo.uuid])
    assert thumb in client.get(reverse("portal:order_detail", args=[order.pk])).content.decode()
    client.force_login(seller)
    page = client.get(reverse("portal:store_order_detail", args=[store.slug, order.pk])).content.decode()
    assert thumb in page


# --- Product photos ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["seller", "agent"])
def test_store_members_add_and_remove_photos_of_a_product(client, request, store, product, who):
    member = request.getfixturevalue(who)
    client.force_login(member)
    assert (
        reverse("portal:product_photos", args=[store.slug, product.pk])
        in client.get(product_url(product)).content.decode()
    )
    response = client.post(photos_url(product), {"photos": [SimpleUploadedFile("a.png", png())]})
    assert response.status_code == 302
    entry = ProductPhoto.objects.get(product=product)
    assert entry.photo.owner == member
    assert entry.photo.original_name == "a.png"
    assert entry.photo.quarantine.name.startswith("quarantine/")
    assert "a.png" not in entry.photo.quarantine.name
    remove = reverse("portal:product_photo_remove", args=[store.slug, product.pk, entry.pk])
    assert client.post(remove).status_code == 302
    assert not ProductPhoto.objects.filter(product=product).exists()


def test_visitors_and_buyers_see_no_way_to_the_photos_page(client, buyer, product):
    assert photos_url(product) not in client.get(product_url(product)).content.decode()
    client.force_login(buyer)
    assert photos_url(product) not in client.get(product_url(product)).content.decode()
    assert client.get(photos_url(product)).status_code == 404


def test_another_stores_product_is_a_404(client, seller, other_seller, store):
    foreign = ProductFactory(store=other_seller.owned_stores.get())
    client.force_login(seller)
    # Through the seller's own store address, or the other store's: never found.
    for slug in (store.slug, foreign.store.slug):
        url = reverse("portal:product_photos", args=[slug, foreign.pk])
        assert client.get(url).status_code == 404
        assert client.post(url, {"photos": [SimpleUploadedFile("a.png", png())]}).status_code == 404
    entry_url = reverse("portal:product_photo_remove", args=[store.slug, foreign.pk, 1])
    assert client.post(entry_url).status_code == 404
    assert not ProductPhoto.objects.exists()


def test_a_file_that_is_not_an_image_is_refused_beside_the_field(client, seller, product):
    client.force_login(seller)
    response = client.post(photos_url(product), {"photos": [SimpleUploadedFile("notes.png", b"just text, not a PNG")]})
    assert response.status_code == 400
    assert "“notes.png” is not a JPEG, PNG or WebP photo." in response.context["form"].errors["photos"][0]
    assert "notes.png" in response.content.decode()
    assert not ProductPhoto.objects.exists()
    assert not Photo.objects.exists()


def test_an_oversized_photo_is_refused_beside_the_field(client, settings, seller, product):
    settings.OPINIA_PHOTO_MAX_BYTES = 1024
    client.force_login(seller)
    noisy = Image.frombytes("RGB", (100, 100), os.urandom(100 * 100 * 3))
    buffer = io.BytesIO()
    noisy.save(buffer, "PNG")
    big = buffer.getvalue()
    assert len(big) > 1024
    response = client.post(photos_url(product), {"photos": [SimpleUploadedFile("big.png", big)]})
    assert response.status_code == 400
    assert "a photo may be at most" in response.context["form"].errors["photos"][0]
    assert not Photo.objects.exists()


def test_the_photo_limit_is_kept_beside_the_field(client, settings, seller, product):
    settings.OPINIA_PRODUCT_PHOTOS_MAX = 1
    add_photo(product, seller)
    client.force_login(seller)
    response = client.post(photos_url(product), {"photos": [SimpleUploadedFile("b.png", png("blue"))]})
    assert response.status_code == 400
    assert "at most 1 photos" in response.context["form"].errors["photos"][0]
    assert ProductPhoto.objects.filter(product=product).count() == 1


def test_product_photos_are_public_on_the_product_page(client, seller, product):
    first = add_photo(product, seller, "red")
    second = add_photo(product, seller, "blue")
    page = client.get(product_url(product)).content.decode()
    assert reverse("portal:photo", args=[first.uuid]) in page  # the first leads, full size
    assert reverse("portal:photo_thumbnail", args=[second.uuid]) in page
    assert client.get(reverse("portal:photo_thumbnail", args=[second.uuid])).status_code == 200


def test_the_cached_gallery_follows_every_photo_change(client, seller, store, product):
    """The product page's gallery is a cached part: adding, processing and removing a photo renew it."""
    before = fragments.content_versions(topics=("listing",), store_id=store.pk)
    assert "gallery" not in client.get(product_url(product)).content.decode()
    validated = uploads.validate_photo(SimpleUploadedFile("a.png", png()))
    (entry,) = services.product_photos_add(actor=seller, product_id=product.pk, photos=[validated], now=timezone.now())
    after_add = fragments.content_versions(topics=("listing",), store_id=store.pk)
    assert after_add != before
    # Still processing: not shown yet; the worker's step renews the version once it is ready.
    assert 'class="gallery"' not in client.get(product_url(product)).content.decode()
    uploads.photo_process(photo_id=entry.photo_id)
    assert fragments.content_versions(topics=("listing",), store_id=store.pk) != after_add
    assert 'class="gallery"' in client.get(product_url(product)).content.decode()
    services.product_photo_remove(actor=seller, product_id=product.pk, product_photo_id=entry.pk, now=timezone.now())
    assert 'class="gallery"' not in client.get(product_url(product)).content.decode()


def test_staff_see_a_products_photos_in_the_admin(client, staff, seller, product, django_user_model):
    photo = add_photo(product, seller)
    admin_user = django_user_model.objects.create_superuser(email="root@example.com", password="x")
    client.force_login(admin_user)
    page = client.get(reverse("admin:portal_product_change", args=[product.pk])).content.decode()
    assert reverse("portal:photo_thumbnail", args=[photo.uuid]) in page


def test_listing_comparison_names_what_changed(buyer, seller, store, product):
    add_photo(product, seller)
    order = make_order(buyer=buyer, store=store, products=[product])
    product.price = Decimal("9.99")
    product.save()
    loaded = type(order).objects.prefetch_related(selectors.order_items_with_listing()).get(pk=order.pk)
    (listing,) = selectors.order_item_listings(order=loaded)
    assert listing.changed == ("price",)
    assert (listing.sold_price, listing.now_price) == (Decimal("19.99"), Decimal("9.99"))


@pytest.mark.parametrize("language", ["pl", "zh-hans", "ko", "gu"])
def test_the_listing_texts_read_in_every_language(language):
    from django.utils import translation

    with translation.override(language):
        for english in ("As sold", "Listing now", "Manage this product's photos", "Photos on the listing"):
            assert translation.gettext(english) not in ("", english)
        assert str(OrderItem._meta.get_field("sold_photo").verbose_name) != "photo as sold"
