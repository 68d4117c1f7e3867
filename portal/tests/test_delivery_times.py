"""The delivery-time table (store settings), the viewer's country and the product page's delivery times."""

import pytest
from django.contrib.admin.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from portal import services
from portal.models import DeliveryTime, ShippingMethod
from portal.tests.factories import StoreFactory, UserFactory

pytestmark = pytest.mark.django_db

E, S, X = ShippingMethod.ECONOMY, ShippingMethod.STANDARD, ShippingMethod.EXPRESS


def _table(store, seller, *rows):
    services.store_set_delivery_times(
        store=store,
        actor=seller,
        rows=[services.DeliveryRow(country=c, method=m, min_days=lo, max_days=hi) for c, m, lo, hi in rows],
    )


def _post(rows, *, initial=0):
    data = {"rows-TOTAL_FORMS": str(len(rows)), "rows-INITIAL_FORMS": str(initial), "rows-MIN_NUM_FORMS": "0"}
    data["rows-MAX_NUM_FORMS"] = "500"
    for index, row in enumerate(rows):
        for field, value in row.items():
            data[f"rows-{index}-{field}"] = value
    return data


def _row(country, method, low, high, **extra):
    return {"country": country, "method": method, "min_days": str(low), "max_days": str(high), **extra}


def _url(store):
    return reverse("portal:store_delivery_times", args=[store.slug])


# --- The settings page -------------------------------------------------------------------------


def test_the_owner_saves_the_table_and_it_is_audited(client, seller, store):
    client.force_login(seller)
    assert client.get(_url(store)).status_code == 200
    response = client.post(_url(store), _post([_row("pl", E, 10, 20), _row("PL", X, 2, 3), _row("", "", "", "")]))
    assert response.status_code == 302
    assert set(DeliveryTime.objects.filter(store=store).values_list("country", "method", "min_days", "max_days")) == {
        ("PL", E, 10, 20),
        ("PL", X, 2, 3),
    }
    entry = LogEntry.objects.get(object_id=str(store.pk))
    assert entry.user_id == seller.pk
    assert "Delivery time" in entry.get_change_message()
    page = client.get(_url(store)).content.decode()
    assert 'value="PL"' in page
    assert 'value="20"' in page


def test_the_page_is_linked_from_the_store_settings(client, seller, store):
    client.force_login(seller)
    page = client.get(reverse("portal:store_settings", args=[store.slug])).content.decode()
    assert f'href="{_url(store)}"' in page


def test_a_row_marked_for_deletion_leaves_the_table(client, seller, store):
    _table(store, seller, ("PL", E, 10, 20), ("CN", E, 5, 9))
    client.force_login(seller)
    rows = [_row("CN", E, 5, 9), _row("PL", E, 10, 20, DELETE="on")]
    assert client.post(_url(store), _post(rows, initial=2)).status_code == 302
    assert list(DeliveryTime.objects.filter(store=store).values_list("country", flat=True)) == ["CN"]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([_row("PL", E, 10, 20), _row("pl", E, 3, 4)], "Poland by Economy is already in the table."),
        ([_row("PL", E, 20, 10)], "The maximum cannot be below the minimum."),
        ([_row("XQ", E, 10, 20)], "Unknown country code XQ."),
        ([_row("PL", E, 0, 2)], "Ensure this value is greater than or equal to 1."),
    ],
    ids=["overlap", "min-above-max", "unknown-country", "zero-days"],
)
def test_bad_rows_are_refused_beside_the_field_with_the_input_kept(client, seller, store, rows, message):
    _table(store, seller, ("CN", S, 5, 9))
    client.force_login(seller)
    response = client.post(_url(store), _post(rows))
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page
    assert f'value="{rows[-1]["country"]}"' in page  # what was typed is still in its box
    assert f'value="{rows[-1]["min_days"]}"' in page
    # Nothing written: the table is what it was.
    assert list(DeliveryTime.objects.filter(store=store).values_list("country", "method")) == [("CN", S)]


def test_another_stores_table_is_a_404(client, seller, other_seller):
    other = StoreFactory(owner=UserFactory())
    client.force_login(seller)
    assert client.get(_url(other)).status_code == 404
    assert client.post(_url(other), _post([_row("PL", E, 1, 2)])).status_code == 404
    assert not DeliveryTime.objects.exists()


def test_an_agent_gets_a_404_like_every_store_setting(client, agent, store):
    client.force_login(agent)
    assert client.get(_url(store)).status_code == 404
    with pytest.raises(PermissionDenied):
        _table(store, agent, ("PL", E, 1, 2))


def test_the_service_refuses_what_the_form_would(seller, store):
    with pytest.raises(ValidationError):
        _table(store, seller, ("PL", E, 5, 2))
    with pytest.raises(ValidationError):
        _table(store, seller, ("PL", E, 1, 2), ("PL", E, 3, 4))
    with pytest.raises(ValidationError):
        _table(store, seller, ("ZZ", E, 1, 2))
    assert not DeliveryTime.objects.exists()


def test_saving_the_same_table_again_writes_no_audit_row(seller, store):
    _table(store, seller, ("PL", E, 1, 2))
    _table(store, seller, ("PL", E, 1, 2))
    assert LogEntry.objects.filter(object_id=str(store.pk)).count() == 1


# --- The viewer's country and the product page -------------------------------------------------


def _product_page(client, product):
    response = client.get(reverse("portal:product_page", args=[product.store.slug, product.slug]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_product_page_shows_the_viewers_row(client, seller, store, product, buyer):
    _table(store, seller, ("PL", E, 7, 14), ("PL", X, 2, 2), ("KR", S, 3, 5))
    buyer.country = "PL"
    buyer.save(update_fields=["country"])
    client.force_login(buyer)
    page = _product_page(client, product)
    assert "Delivery to Poland" in page
    assert "Economy: 7–14 days" in page
    assert "Express: 2 days" in page
    assert "3–5 days" not in page


def test_no_row_for_the_viewers_country_says_so(client, seller, store, product, buyer):
    _table(store, seller, ("KR", S, 3, 5))
    buyer.country = "PL"
    buyer.save(update_fields=["country"])
    client.force_login(buyer)
    assert "No delivery to your country." in _product_page(client, product)


@pytest.mark.parametrize(
    ("language", "country"), [("pl", "PL"), ("zh-hans", "CN"), ("ko", "KR"), ("gu", "IN"), ("en", "US")]
)
def test_a_user_without_a_country_is_assumed_to_live_where_the_language_is_spoken(language, country):
    user = UserFactory(language=language)
    assert user.country == ""
    assert user.delivery_country == country


def test_the_profile_offers_the_assumed_country_and_saves_the_chosen_one(client, buyer):
    buyer.language = "ko"
    buyer.save(update_fields=["language"])
    client.force_login(buyer)
    page = client.get(reverse("portal:profile")).content.decode()
    assert '<option value="KR" selected>' in page
    data = {"display_name": "Alice", "language": "en", "time_zone": "UTC", "phone": "", "country": "DE"}
    assert client.post(reverse("portal:profile"), data).status_code == 302
    buyer.refresh_from_db()
    assert buyer.country == "DE"
    response = client.post(reverse("portal:profile"), {**data, "country": "XQ"})
    assert response.status_code == 200
    assert "Select a valid choice." in response.content.decode()
    buyer.refresh_from_db()
    assert buyer.country == "DE"


def test_an_anonymous_visitor_chooses_a_country_without_javascript(client, seller, store, product):
    _table(store, seller, ("US", S, 4, 8), ("KR", E, 9, 12))
    page = _product_page(client, product)
    assert "Delivery to United States" in page  # assumed from the page's language (English)
    assert "Standard: 4–8 days" in page
    assert f'action="{reverse("portal:delivery_country_set")}"' in page
    product_url = reverse("portal:product_page", args=[store.slug, product.slug])
    response = client.post(reverse("portal:delivery_country_set"), {"country": "KR", "next": product_url})
    assert response.status_code == 302
    assert response["Location"] == product_url
    page = _product_page(client, product)
    assert "Delivery to South Korea" in page
    assert "Economy: 9–12 days" in page
    assert "4–8 days" not in page


def test_a_bad_choice_or_a_foreign_next_changes_nothing(client, seller, store, product):
    _table(store, seller, ("US", S, 4, 8))
    response = client.post(reverse("portal:delivery_country_set"), {"country": "XQ", "next": "https://evil.example/"})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert "Standard: 4–8 days" in _product_page(client, product)
    client.cookies["opinia_country"] = "<script>"
    assert "Standard: 4–8 days" in _product_page(client, product)


def test_a_signed_in_choice_goes_to_the_profile(client, buyer):
    client.force_login(buyer)
    client.post(reverse("portal:delivery_country_set"), {"country": "JP", "next": "/"})
    buyer.refresh_from_db()
    assert buyer.country == "JP"


def test_changing_the_table_renews_the_cached_delivery_times(client, seller, store, product):
    _table(store, seller, ("US", S, 4, 8))
    assert "Standard: 4–8 days" in _product_page(client, product)
    assert "Standard: 4–8 days" in _product_page(client, product)  # now from the cache
    _table(store, seller, ("US", S, 5, 6))
    page = _product_page(client, product)
    assert "Standard: 5–6 days" in page
    assert "4–8 days" not in page
    _table(store, seller)
    assert "No delivery to your country." in _product_page(client, product)


@pytest.mark.parametrize(
    ("language", "texts"),
    [
        ("pl", ["Dostawa do: Polska", "Ekonomiczna: 7–14 dni"]),
        ("zh-hans", ["配送至波兰", "经济：7–14 天"]),
        ("ko", ["폴란드(으)로 배송", "이코노미: 7–14일"]),
        ("gu", ["પોલેન્ડ માટે ડિલિવરી", "ઇકોનોમી: 7–14 દિવસ"]),
    ],
)
def test_delivery_times_are_translated(client, seller, store, product, buyer, language, texts):
    _table(store, seller, ("PL", E, 7, 14))
    buyer.country, buyer.language = "PL", language
    buyer.save(update_fields=["country", "language"])
    client.force_login(buyer)
    page = _product_page(client, product)
    for text in texts:
        assert text in page
