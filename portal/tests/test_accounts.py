"""Accounts through django-allauth: sign-up, mandatory verification, rate limits, password reset, groups."""

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from messaging.models import Notification
from portal.models import User
from portal.sms import LocmemBackend
from portal.tests.factories import UserFactory

PASSWORD = "a-long-enough passphrase 42"
PASSWORD_OF_FACTORY = "correct horse battery staple"


def sign_up(client, email="nora@example.com", language="en"):
    return client.post(
        reverse("account_signup"),
        {"email": email, "password1": PASSWORD, "password2": PASSWORD, "display_name": "Nora"},
        HTTP_ACCEPT_LANGUAGE=language,
    )


def test_sign_up_keeps_display_name_and_language_and_requires_verification(client, db):
    response = sign_up(client, language="ko")
    assert response.status_code == 302
    user = User.objects.get(email="nora@example.com")
    assert (user.display_name, user.language) == ("Nora", "ko")
    assert len(mail.outbox) == 1
    # Not verified yet: logging in sends the user to "verify your e-mail", not into the portal.
    client.logout()
    response = client.post(reverse("account_login"), {"login": "nora@example.com", "password": PASSWORD})
    assert response.status_code == 302
    assert "confirm-email" in response["Location"]


def test_sign_up_errors_keep_what_was_typed(client, db):
    response = client.post(
        reverse("account_signup"),
        {"email": "nora@example.com", "password1": PASSWORD, "password2": "different", "display_name": "Nora"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="nora@example.com"' in html
    assert 'value="Nora"' in html
    assert not User.objects.filter(email="nora@example.com").exists()


def test_failed_logins_are_rate_limited(client, buyer):
    for _ in range(5):
        client.post(reverse("account_login"), {"login": buyer.email, "password": "wrong"})
    response = client.post(reverse("account_login"), {"login": buyer.email, "password": "wrong"})
    assert "Too many failed login attempts" in response.content.decode()


PROXY = "10.0.0.2"  # every request reaches the site from the TLS proxy's address


def login_through_proxy(client, *, client_ip, email, password):
    return client.post(
        reverse("account_login"),
        {"login": email, "password": password},
        REMOTE_ADDR=PROXY,
        # The proxy appends the address it saw to whatever the client sent (here a made-up one).
        HTTP_X_FORWARDED_FOR=f"192.0.2.1, {client_ip}",
    )


@pytest.fixture
def behind_proxy(settings, buyer):
    """The settings BEHIND_TLS_PROXY=true produces (test_proxy_settings_follow_the_environment)."""
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    EmailAddress.objects.create(user=buyer, email=buyer.email, primary=True, verified=True)


def test_behind_the_proxy_two_clients_are_limited_separately(client, behind_proxy, buyer):
    attacker, neighbour = "203.0.113.9", "198.51.100.7"
    for number in range(10):
        login_through_proxy(client, client_ip=attacker, email=f"guess{number}@example.com", password="wrong")
    refused = login_through_proxy(client, client_ip=attacker, email="guess@example.com", password="wrong")
    assert "Too many failed login attempts" in refused.content.decode()
    # Someone else behind the same proxy is not caught by the attacker's limit.
    response = login_through_proxy(client, client_ip=neighbour, email=buyer.email, password=PASSWORD_OF_FACTORY)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(buyer.pk)


def test_wrong_passwords_from_elsewhere_do_not_lock_the_owner_out(client, behind_proxy, buyer):
    attacker, owner = "203.0.113.9", "198.51.100.7"
    for _ in range(6):
        refused = login_through_proxy(client, client_ip=attacker, email=buyer.email, password="wrong")
    assert "Too many failed login attempts" in refused.content.decode()
    # The guesser stays stopped, even when the next guess is right: no further guessing there.
    stopped = login_through_proxy(client, client_ip=attacker, email=buyer.email, password=PASSWORD_OF_FACTORY)
    assert "Too many failed login attempts" in stopped.content.decode()
    assert "_auth_user_id" not in client.session
    # The owner, from their own address, signs in with the right password.
    response = login_through_proxy(client, client_ip=owner, email=buyer.email, password=PASSWORD_OF_FACTORY)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(buyer.pk)


def test_without_a_proxy_forwarded_for_is_ignored(client, buyer):
    """A client cannot dodge the limit by writing a new X-Forwarded-For on each request."""
    for number in range(6):
        response = login_through_proxy(client, client_ip=f"203.0.113.{number}", email=buyer.email, password="wrong")
    assert "Too many failed login attempts" in response.content.decode()


@pytest.mark.parametrize(
    ("env", "count"),
    [({}, "0"), ({"BEHIND_TLS_PROXY": "true"}, "1"), ({"BEHIND_TLS_PROXY": "true", "TRUSTED_PROXY_COUNT": "2"}, "2")],
)
def test_proxy_settings_follow_the_environment(env, count):
    from portal.tests.test_commands import PRODUCTION, run_manage

    result = run_manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.ALLAUTH_TRUSTED_PROXY_COUNT)",
        env={**PRODUCTION, **env},
    )
    assert result.stdout.strip().splitlines()[-1] == count, result.stderr


def test_password_reset_sends_a_link(client, buyer):
    response = client.post(reverse("account_reset_password"), {"email": buyer.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "/accounts/password/reset/key/" in mail.outbox[0].body


def test_staff_groups_exist(db):
    names = set(Group.objects.values_list("name", flat=True))
    assert {"Dispute resolvers", "Moderators", "Support agents"} <= names


@pytest.mark.django_db
def test_language_switch_is_remembered_on_the_user_and_in_a_cookie(client, buyer):
    client.force_login(buyer)
    response = client.post(reverse("portal:language_set"), {"language": "gu", "next": "/orders/"})
    assert response.status_code == 302
    assert response["Location"] == "/orders/"
    assert response.cookies["django_language"].value == "gu"
    buyer.refresh_from_db()
    assert buyer.language == "gu"
    assert client.get("/orders/").headers["Content-Language"] == "gu"


def test_language_switch_refuses_foreign_redirects(client, db):
    response = client.post(reverse("portal:language_set"), {"language": "pl", "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_notifications_go_out_by_email_and_sms_in_the_users_language(
    buyer, store, settings, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    from portal import services
    from portal.tests.factories import make_order

    settings.SMS_BACKEND = "portal.sms.LocmemBackend"
    LocmemBackend.outbox.clear()
    buyer.phone = "+48600100200"
    buyer.language = "en"
    buyer.save()
    order = make_order(buyer=buyer, store=store, status="paid")
    with django_capture_on_commit_callbacks(execute=True):
        services.order_ship(
            order_id=order.pk,
            actor=None,
            now=timezone.now() + timedelta(hours=1),
            shipping_method="standard",
            carrier="china-post",
            tracking_number="LP123456785CN",
        )
    notification = Notification.objects.get(recipient=buyer, kind="order_shipped")
    assert notification.emailed_at is not None
    assert mail.outbox[-1].to == [buyer.email]
    assert "LP123456785CN" in mail.outbox[-1].body
    # The text message carries the carrier and the tracking page, not only the title.
    assert LocmemBackend.outbox == [
        (
            "+48600100200",
            f"Order {order.number} has shipped with China Post / EMS: "
            "https://www.ems.com.cn/english-main/tracking?mailNum=LP123456785CN",
        )
    ]


def test_user_without_phone_gets_no_sms(other_buyer, settings):
    settings.SMS_BACKEND = "portal.sms.LocmemBackend"
    LocmemBackend.outbox.clear()
    user = UserFactory(phone="")
    from messaging.tasks import deliver_notification
    from portal.notify import notify

    notify(user_id=user.pk, kind="order_shipped", params={"number": "X1", "tracking": "T"}, now=timezone.now())
    deliver_notification(Notification.objects.get(recipient=user).pk)
    assert LocmemBackend.outbox == []
