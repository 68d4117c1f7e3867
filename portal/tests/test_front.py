"""Pages without JavaScript: confirming receipt asks once more, the account pages wear the site's
style, the header folds into a menu that needs no script, the language switch keeps its button."""

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from portal.models import Order
from portal.tests.factories import make_order


@pytest.fixture
def shipped(buyer, store, product):
    return make_order(buyer=buyer, store=store, status=Order.Status.SHIPPED, products=[product])


def test_confirming_receipt_asks_once_more_before_anything_changes(client, buyer, shipped, settings):
    settings.OPINIA_FEEDBACK_WINDOW_DAYS = 30
    client.force_login(buyer)
    confirm_url = reverse("portal:order_confirm_receipt", args=[shipped.pk])
    order_page = client.get(reverse("portal:order_detail", args=[shipped.pk])).content.decode()
    assert f'href="{confirm_url}"' in order_page  # the order page's button leads to the question

    response = client.get(confirm_url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "This starts the 30-day feedback window and cannot be undone." in html
    assert f'<form method="post" action="{confirm_url}"' in html
    shipped.refresh_from_db()
    assert shipped.status == Order.Status.SHIPPED  # asking changed nothing

    client.post(confirm_url)
    shipped.refresh_from_db()
    assert shipped.status == Order.Status.COMPLETED


def test_the_question_is_translated(client, buyer, shipped):
    buyer.language = "pl"
    buyer.save(update_fields=["language"])
    client.force_login(buyer)
    client.cookies["django_language"] = "pl"
    html = client.get(reverse("portal:order_confirm_receipt", args=[shipped.pk])).content.decode()
    assert "feedback window" not in html
    assert "45" in html


def test_confirm_question_of_another_users_order_is_404(client, other_buyer, seller, shipped):
    for user in (other_buyer, seller):
        client.force_login(user)
        assert client.get(reverse("portal:order_confirm_receipt", args=[shipped.pk])).status_code == 404


def test_confirm_question_of_an_order_not_shipped_goes_back_to_the_order(client, buyer, store, product):
    order = make_order(buyer=buyer, store=store, status=Order.Status.PAID, products=[product])
    client.force_login(buyer)
    response = client.get(reverse("portal:order_confirm_receipt", args=[order.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:order_detail", args=[order.pk])


@pytest.mark.parametrize(
    "url",
    [
        "/accounts/login/",
        "/accounts/signup/",
        "/accounts/password/reset/",
        "/accounts/confirm-email/not-a-key/",
    ],
)
def test_account_pages_use_the_site_layout_and_form_styles(client, db, url):
    html = client.get(url).content.decode()
    assert 'class="topbar"' in html  # the site's base.html
    assert 'class="container narrow"' in html
    if url != "/accounts/confirm-email/not-a-key/":
        assert 'class="card auth-form"' in html
        assert '<button class="btn" type="submit">' in html


def test_signed_in_account_pages_use_the_site_styles(client, buyer):
    EmailAddress.objects.create(user=buyer, email=buyer.email, primary=True, verified=True)
    client.force_login(buyer)
    for url in ("/accounts/email/", "/accounts/password/change/"):
        html = client.get(url).content.decode()
        assert 'class="card auth-form"' in html, url


def test_header_links_fold_into_a_menu_that_needs_no_script(client, buyer):
    client.force_login(buyer)
    html = client.get("/").content.decode()
    menu = html[html.index('<details class="nav-menu"') : html.index("</details>")]
    assert "<summary" in menu
    assert reverse("portal:order_list") in menu
    assert reverse("account_logout") in menu


def test_language_switch_keeps_its_button_for_browsers_without_script(client, buyer):
    client.force_login(buyer)
    html = client.get("/").content.decode()
    form = html[html.index('<form class="lang-form"') :]
    form = form[: form.index("</form>")]
    assert "data-submit-on-change" in form
    assert '<button type="submit" class="btn-small" data-hide-with-js>' in form
    response = client.post(reverse("portal:language_set"), {"language": "ko", "next": "/orders/"})
    assert response.status_code == 302
    assert response["Location"] == "/orders/"
    buyer.refresh_from_db()
    assert buyer.language == "ko"
