"""allauth's messages read in the language of the page they appear on (issue 13, defect 3)."""

import re

import pytest
from allauth.account.models import EmailAddress
from allauth.account.utils import user_display
from django.core import mail
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from portal.tests.factories import UserFactory

LANGUAGES = ["pl", "zh-hans", "ko", "gu"]
PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "another long passphrase 77"


def _in(language: str, english: str, **params: str) -> str:
    with translation.override(language):
        text = translation.gettext(english)
    assert text != english, f"{english!r} has no {language} translation"
    return escape(text % params) if params else escape(text)


def _messages(body: str) -> str:
    found = re.search(r'<ul class="messages"[^>]*>(.*?)</ul>', body, re.DOTALL)
    assert found, "no messages on the page"
    return found.group(1)


def _page_language(body: str) -> str:
    found = re.search(r'<html[^>]* lang="([^"]+)"', body)
    assert found
    return found.group(1)


@pytest.fixture
def verified_user(db):
    user = UserFactory(email="mira@example.com", display_name="Mira")
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)
    return user


@pytest.mark.parametrize("language", LANGUAGES)
def test_signed_in_message_is_in_the_users_language(client, verified_user, language):
    # A browser that asks for nothing in particular (English), the user's own language is another.
    verified_user.language = language
    verified_user.save(update_fields=["language"])
    response = client.post(reverse("account_login"), {"login": verified_user.email, "password": PASSWORD}, follow=True)
    body = response.content.decode()
    assert _page_language(body) == language
    messages = _messages(body)
    assert _in(language, "Successfully signed in as %(name)s.", name=user_display(verified_user)) in messages
    assert "Successfully signed in" not in messages


@pytest.mark.parametrize("language", LANGUAGES)
def test_signed_out_message_and_the_page_after_it_are_in_the_users_language(client, verified_user, language):
    verified_user.language = language
    verified_user.save(update_fields=["language"])
    client.force_login(verified_user)
    response = client.post(reverse("account_logout"), follow=True)
    body = response.content.decode()
    # The page after signing out is anonymous: it keeps the language the user chose.
    assert _page_language(body) == language
    assert _in(language, "You have signed out.") in _messages(body)


@pytest.mark.parametrize("language", LANGUAGES)
def test_sign_up_and_email_confirmation_messages_are_in_the_chosen_language(client, db, language):
    client.cookies["django_language"] = language
    response = client.post(
        reverse("account_signup"),
        {"email": "nora@example.com", "password1": PASSWORD, "password2": PASSWORD, "display_name": "Nora"},
        follow=True,
    )
    body = response.content.decode()
    assert _page_language(body) == language
    assert _in(language, "Confirmation email sent to %(email)s.", email="nora@example.com") in _messages(body)

    link = re.search(r"/accounts/confirm-email/[^\s]+/", mail.outbox[-1].body)
    assert link
    response = client.post(link.group(0), follow=True)
    body = response.content.decode()
    assert _in(language, "You have confirmed %(email)s.", email="nora@example.com") in _messages(body)


@pytest.mark.parametrize("language", LANGUAGES)
def test_password_reset_message_is_in_the_page_language(client, verified_user, language):
    client.cookies["django_language"] = language
    client.post(reverse("account_reset_password"), {"email": verified_user.email})
    link = re.search(r"/accounts/password/reset/key/[^\s]+/", mail.outbox[-1].body)
    assert link
    form_page = client.get(link.group(0), follow=True)
    response = client.post(
        form_page.redirect_chain[-1][0] if form_page.redirect_chain else link.group(0),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        follow=True,
    )
    body = response.content.decode()
    assert _page_language(body) == language
    assert _in(language, "Password successfully changed.") in _messages(body)


@pytest.mark.parametrize("language", LANGUAGES)
def test_password_change_message_is_in_the_users_language(client, verified_user, language):
    verified_user.language = language
    verified_user.save(update_fields=["language"])
    client.force_login(verified_user)
    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        follow=True,
    )
    assert _in(language, "Password successfully changed.") in _messages(response.content.decode())
