import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from feedback.models import FeedbackWindow, ItemReview, SellerRating
from feedback.tests.conftest import buyer_rates, complete_order, seller_rates
from portal.tests.factories import UserFactory


@pytest.fixture
def fresh(buyer, store):
    """A window completed an hour ago: open for 45 days from now."""
    order = complete_order(buyer, store, at=timezone.now() - timedelta(hours=1), items=1)
    return FeedbackWindow.objects.select_related("order").get(order=order)


def _review_url(window):
    return reverse("feedback:review_form", args=[window.order_id])


def _product_url(review_or_item):
    product = review_or_item.product
    return reverse("portal:product_page", args=[product.store.slug, product.slug])


def test_order_page_panel_shows_state_countdown_and_link(client, buyer, fresh):
    client.force_login(buyer)
    html = client.get(reverse("portal:order_detail", args=[fresh.order_id])).content.decode()
    assert "Rate this order" in html
    assert "data-countdown" in html
    assert "The seller has not rated you yet." in html


def test_review_form_is_an_accessible_star_group(client, buyer, fresh):
    client.force_login(buyer)
    html = client.get(_review_url(fresh)).content.decode()
    item = fresh.order.items.get()
    assert '<fieldset class="star-input"' in html
    assert "<legend>" in html
    for _n in range(1, 6):
        assert f'type="radio" name="stars_{item.pk}" id="id_stars_{item.pk}_' in html
    assert 'data-preview="preview-' in html
    assert "visually-hidden" in html


def test_errors_keep_what_was_typed(client, buyer, fresh):
    client.force_login(buyer)
    item = fresh.order.items.get()
    response = client.post(_review_url(fresh), {f"text_{item.pk}": "Arrived quickly but scratched", "shipping": "4"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Arrived quickly but scratched" in html
    assert "Choose from 1 to 5 stars." in html
    assert 'value="4" checked' in html
    assert not ItemReview.objects.exists()


def test_buyer_rates_and_sees_it_sealed_seller_sees_only_has_rated(client, buyer, seller, store, fresh):
    client.force_login(buyer)
    item = fresh.order.items.get()
    response = client.post(_review_url(fresh), {f"stars_{item.pk}": "2", f"text_{item.pk}": "Secret words"})
    assert response.status_code == 302
    html = client.get(_review_url(fresh)).content.decode()
    assert "Sealed" in html
    assert "Secret words" in html
    # The seller's pages and the public pages show nothing of it.
    client.force_login(seller)
    seller_html = client.get(reverse("feedback:seller_rate", args=[store.slug, fresh.order_id])).content.decode()
    assert "The buyer has rated this order." in seller_html
    assert "Secret words" not in seller_html
    dashboard = client.get(reverse("portal:store_dashboard", args=[store.slug])).content.decode()
    assert "Secret words" not in dashboard
    client.logout()
    for url in (_product_url(item), reverse("portal:store_page", args=[store.slug])):
        assert "Secret words" not in client.get(url).content.decode()
    review = ItemReview.objects.get()
    assert client.get(reverse("feedback:report", args=[review.pk])).status_code == 302  # login first
    client.force_login(seller)
    assert client.get(reverse("feedback:report", args=[review.pk])).status_code == 404
    assert client.get(reverse("feedback:reply", args=[store.slug, review.pk])).status_code == 404

    # The seller rates: both sides are published at once and appear on the product page.
    response = client.post(reverse("feedback:seller_rate", args=[store.slug, fresh.order_id]), {"stars": "5"})
    assert response.status_code == 302
    client.logout()
    html = client.get(_product_url(item)).content.decode()
    assert "Secret words" in html
    assert SellerRating.objects.get().published_at is not None


def test_another_users_objects_are_404_on_get_and_post(client, buyer, other_buyer, other_seller, store, fresh, seller):
    buyer_rates(fresh, buyer, stars=3, text="ok", now=timezone.now())
    seller_rates(fresh, seller, now=timezone.now())
    review = ItemReview.objects.get()
    client.force_login(other_buyer)
    assert client.get(_review_url(fresh)).status_code == 404
    assert client.post(_review_url(fresh), {}).status_code == 404
    assert client.get(reverse("feedback:additional_review", args=[fresh.order_id])).status_code == 404
    assert client.get(reverse("feedback:revision_answer", args=[review.pk])).status_code == 404
    client.force_login(other_seller)
    for name, args in (
        ("feedback:seller_rate", [store.slug, fresh.order_id]),
        ("feedback:invite", [store.slug, fresh.order_id]),
        ("feedback:reply", [store.slug, review.pk]),
        ("feedback:request_revision", [store.slug, review.pk]),
    ):
        assert client.post(reverse(name, args=args), {"stars": "1", "text": "x"}).status_code == 404
    assert client.get(reverse("feedback:seller_rate", args=[store.slug, fresh.order_id])).status_code == 404


def test_seller_replies_and_requests_a_revision(client, buyer, seller, store, fresh):
    buyer_rates(fresh, buyer, stars=2, text="Broken", now=timezone.now())
    seller_rates(fresh, seller, now=timezone.now())
    review = ItemReview.objects.get()
    client.force_login(seller)
    dashboard = client.get(reverse("portal:store_dashboard", args=[store.slug])).content.decode()
    assert "Reviews awaiting reply" in dashboard
    assert "Broken" in dashboard
    assert client.post(reverse("feedback:reply", args=[store.slug, review.pk]), {"text": ""}).status_code == 400
    assert (
        client.post(reverse("feedback:reply", args=[store.slug, review.pk]), {"text": "Replacement sent"}).status_code
        == 302
    )
    assert client.post(reverse("feedback:request_revision", args=[store.slug, review.pk])).status_code == 302
    client.force_login(buyer)
    response = client.post(reverse("feedback:revision_answer", args=[review.pk]), {"stars": "4", "note": "Fixed"})
    assert response.status_code == 302
    client.logout()
    html = client.get(_product_url(review)).content.decode()
    assert "Replacement sent" in html
    assert "Revised by the buyer from 2 to 4 stars." in html


def test_invite_button_once(client, seller, store, fresh, buyer):
    client.force_login(seller)
    page = client.get(reverse("portal:store_order_detail", args=[store.slug, fresh.order_id])).content.decode()
    assert "Invite review" in page
    client.post(reverse("feedback:invite", args=[store.slug, fresh.order_id]))
    page = client.get(reverse("portal:store_order_detail", args=[store.slug, fresh.order_id])).content.decode()
    assert "Invite review" not in page


def test_my_feedback_lists_windows_with_countdown(client, buyer, fresh):
    client.force_login(buyer)
    html = client.get(reverse("feedback:my_feedback")).content.decode()
    assert fresh.order.number in html
    assert "data-countdown" in html
    assert "Rate this order" in html


def test_report_form(client, buyer, seller, fresh, other_buyer):
    buyer_rates(fresh, buyer, stars=1, text="Rude words", now=timezone.now())
    seller_rates(fresh, seller, now=timezone.now())
    review = ItemReview.objects.get()
    client.force_login(other_buyer)
    url = reverse("feedback:report", args=[review.pk])
    assert client.post(url, {"reason": "", "details": "kept"}).status_code == 400
    assert client.post(url, {"reason": "offensive", "details": "insults"}).status_code == 302
    assert review.reports.count() == 1


def _reviews(store, product_count, count, *, photos=False):
    """`count` published reviews on one product, each from its own order, with a reply."""
    from feedback import services

    windows = []
    product = None
    for _ in range(count):
        buyer = UserFactory()
        order = complete_order(buyer, store, at=timezone.now() - timedelta(days=1), items=1)
        if product is None:
            product = order.items.get().product
        else:
            item = order.items.get()
            item.product = product
            item.save()
        window = FeedbackWindow.objects.select_related("order").get(order=order)
        buyer_rates(window, buyer, stars=4, text="fine", now=timezone.now())
        seller_rates(window, store.owner, now=timezone.now())
        review = ItemReview.objects.get(window=window)
        services.reply_submit(author=store.owner, text="thanks", review_id=review.pk, now=timezone.now())
        services.additional_review_submit(window_id=window.pk, author=buyer, text="later", now=timezone.now())
        windows.append(window)
    return product


def _count_queries(client, url):
    cache.clear()  # the database's work, not the fragment cache's
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("page", ["product", "store"])
def test_review_pages_run_a_constant_number_of_queries(client, store, page, django_assert_num_queries):
    product = _reviews(store, 1, 2)
    url = (
        _product_url(ItemReview.objects.first())
        if page == "product"
        else reverse("portal:store_page", args=[store.slug])
    )
    few = _count_queries(client, url)
    _reviews(store, 1, 9)
    ItemReview.objects.filter(store=store).update(product=product)
    cache.clear()
    with django_assert_num_queries(few):
        response = client.get(url)
    html = response.content.decode()
    assert html.count('class="card review"') == 10
    assert html.count("Additional review") >= 10
    # The next (deeper) page is a keyset link and costs the same.
    match = re.search(r'href="(\?[^"]*after=[^"#]+)', html)
    assert match
    cache.clear()
    with django_assert_num_queries(few):
        deeper = client.get(url + match.group(1).replace("&amp;", "&"))
    assert deeper.content.decode().count('class="card review"') == 1


@pytest.mark.parametrize(
    ("language", "expected"),
    [("pl", "Oceń to zamówienie"), ("zh-hans", "评价此订单"), ("ko", "이 주문 평가하기"), ("gu", "આ ઓર્ડરને રેટિંગ આપો")],
)
def test_feedback_pages_speak_the_users_language(client, buyer, fresh, language, expected):
    buyer.language = language
    buyer.save(update_fields=["language"])
    client.force_login(buyer)
    client.cookies["django_language"] = language
    assert expected in client.get(reverse("feedback:my_feedback")).content.decode()


def _jpeg_upload(name="p.jpg"):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def test_sealed_photo_is_served_to_its_owner_only_until_publication(client, buyer, seller, fresh, settings, tmp_path):
    from portal.models import Photo
    from portal.uploads import photo_process, validate_photo

    settings.MEDIA_ROOT = tmp_path
    buyer_rates(fresh, buyer, stars=5, photos=[validate_photo(_jpeg_upload())], now=timezone.now())
    photo = Photo.objects.get()
    photo_process(photo_id=photo.pk)
    url = reverse("portal:photo_thumbnail", args=[photo.uuid])
    client.force_login(buyer)
    assert client.get(url).status_code == 200
    client.force_login(seller)
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 404
    seller_rates(fresh, seller, now=timezone.now())
    assert client.get(url).status_code == 200


def test_product_page_filters_by_stars_photos_and_additional_review(client, store, settings, tmp_path):
    from feedback import selectors, services
    from portal.uploads import validate_photo

    settings.MEDIA_ROOT = tmp_path
    product = None
    for stars, with_photo, with_additional in ((5, True, False), (3, False, True), (1, False, False)):
        buyer = UserFactory()
        order = complete_order(buyer, store, at=timezone.now() - timedelta(days=1), items=1)
        item = order.items.get()
        if product is None:
            product = item.product
        else:
            item.product = product
            item.save()
        window = FeedbackWindow.objects.select_related("order").get(order=order)
        photos = [validate_photo(_jpeg_upload())] if with_photo else []
        buyer_rates(window, buyer, stars=stars, text=f"{stars} stars here", photos=photos, now=timezone.now())
        seller_rates(window, store.owner, now=timezone.now())
        if with_additional:
            services.additional_review_submit(window_id=window.pk, author=buyer, text="Later", now=timezone.now())

    def shown(**params):
        page = selectors.product_reviews(product=product, filters=selectors.filters_from_params(params))
        return sorted(r.stars for r in page.reviews)

    assert shown() == [1, 3, 5]
    assert shown(stars="3") == [3]
    assert shown(photos="1") == [5]
    assert shown(additional="1") == [3]
    assert shown(stars="9") == [1, 3, 5]  # nonsense is ignored, never an error
    summary = selectors.product_star_summary(product=product)
    assert (summary.count, summary.average) == (3, 3.0)
    url = reverse("portal:product_page", args=[store.slug, product.slug])
    html = client.get(url + "?stars=1").content.decode()
    assert "1 stars here" in html
    assert "5 stars here" not in html


def test_keyset_pages_cover_every_review_once_even_with_equal_times(client, store):
    from feedback import selectors

    for _ in range(4):
        buyer = UserFactory()
        window = FeedbackWindow.objects.select_related("order").get(
            order=complete_order(buyer, store, at=timezone.now() - timedelta(days=1), items=3)
        )
        buyer_rates(window, buyer, stars=4, now=timezone.now())
        seller_rates(window, store.owner, now=timezone.now())
    seen, cursor = [], None
    while True:
        page = selectors.store_reviews(store=store, cursor=cursor, size=5)
        seen += [r.pk for r in page.reviews]
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert sorted(seen) == sorted(ItemReview.objects.values_list("pk", flat=True))
    assert len(seen) == len(set(seen)) == 12
    assert client.get(reverse("portal:store_page", args=[store.slug]) + "?after=not-a-cursor").status_code == 200


def test_home_page_lists_orders_to_rate(client, buyer, fresh):
    client.force_login(buyer)
    html = client.get(reverse("portal:home")).content.decode()
    assert "Orders to rate" in html
    assert fresh.order.number in html
    buyer_rates(fresh, buyer, now=timezone.now())
    assert "Orders to rate" not in client.get(reverse("portal:home")).content.decode()


def test_feedback_to_give_leaves_out_windows_past_their_end(buyer, store, window):
    from datetime import timedelta

    from feedback import selectors

    assert selectors.windows_to_rate(store=store, now=window.closes_at - timedelta(seconds=1)) == [window]
    assert selectors.windows_to_rate(store=store, now=window.closes_at) == []
