"""E-mails a person (and a developer at the console) can read, with links to the running site."""

import io
import os
import stat
import subprocess
from pathlib import Path

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.console import EmailBackend as ConsoleBackend
from django.db import transaction
from django.utils import timezone

from messaging.models import Notification
from portal.notify import notify

TEXTS = {
    "pl": "Jeśli nie otrzymałeś zamówienia, otwórz spór, zanim zostanie ono automatycznie potwierdzone. Zażółć gęślą jaźń.",
    "zh-hans": "如果您尚未收到订单，请在订单被自动确认之前提出纠纷；否则请确认收货。谢谢您的耐心等待。",
    "gu": "જો તમને ઓર્ડર મળ્યો નથી, તો તે આપમેળે પુષ્ટિ થાય તે પહેલાં વિવાદ ખોલો. અન્યથા, રસીદની પુષ્ટિ કરો.",
}


def text_parts(message: EmailMultiAlternatives):
    return [part for part in message.message().walk() if part.get_content_maintype() == "text"]


def assert_readable(message: EmailMultiAlternatives, *texts: str) -> bytes:
    """Every text part travels as plain text: its words appear as UTF-8 in the raw message."""
    raw = message.message().as_bytes()
    for part in text_parts(message):
        assert part["Content-Transfer-Encoding"] in {"7bit", "8bit"}, part["Content-Transfer-Encoding"]
    for text in texts:
        assert text.encode() in raw
    return raw


@pytest.mark.parametrize("language", sorted(TEXTS))
def test_console_backend_prints_long_lines_in_every_script_as_text(language):
    text = TEXTS[language]
    assert len(text.encode()) > 78  # long enough that the standard library would pick base64
    message = EmailMultiAlternatives("Opinia", f"{text}\n\nhttps://opinia.example/orders/1/\n", to=["a@example.com"])
    message.attach_alternative(f"<p>{text}</p>", "text/html")
    stream = io.StringIO()
    ConsoleBackend(stream=stream).send_messages([message])
    printed = stream.getvalue()
    assert "base64" not in printed
    assert printed.count(text) == 2  # the plain part and the HTML part
    assert_readable(message, text)


def test_a_line_longer_than_the_rfc_allows_goes_quoted_printable_not_base64():
    text = TEXTS["gu"] * 20  # one line of about 5,000 bytes
    message = EmailMultiAlternatives("Opinia", text, to=["a@example.com"])
    (part,) = text_parts(message)
    assert part["Content-Transfer-Encoding"] == "quoted-printable"
    assert all(len(line) <= 998 for line in message.message().as_bytes().splitlines())
    assert part.get_content().strip() == text


@pytest.mark.parametrize("language", ["pl", "zh-hans", "gu"])
def test_notification_email_is_readable_and_links_to_site_url(
    buyer, language, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "http://127.0.0.1:8123"
    buyer.language = language
    buyer.save(update_fields=["language"])
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        notify(
            user_id=buyer.pk,
            kind="order_auto_confirm_reminder",
            params={"number": "OP-1001", "days": 5},
            url="/orders/7/",
            now=timezone.now(),
        )
    notification = Notification.objects.get(recipient=buyer)
    (message,) = mail.outbox
    body = notification.body(language)
    assert any(ord(character) > 0x7F for character in body), "the body must really be translated"
    assert_readable(message, body, "http://127.0.0.1:8123/orders/7/")


def test_allauth_mails_are_readable_too(client, buyer):
    buyer.language = "pl"
    buyer.save(update_fields=["language"])
    client.cookies["django_language"] = "pl"
    response = client.post("/accounts/password/reset/", {"email": buyer.email}, HTTP_ACCEPT_LANGUAGE="pl")
    assert response.status_code == 302
    (message,) = mail.outbox
    assert any(ord(character) > 0x7F for character in message.body)
    assert_readable(message, message.body.strip().splitlines()[0])


# --- make run: SITE_URL follows PORT ----------------------------------------------------------

REPO = Path(__file__).resolve().parents[2]
RECORDER = """#!/bin/sh
echo "$(basename "$0") $* SITE_URL=$SITE_URL" >> "$RUN_DEV_LOG"
"""


def run_dev(tmp_path: Path, **env: str) -> list[str]:
    """Run scripts/run-dev.sh with recording stand-ins for Python and Celery; return what each got."""
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "run-dev.sh").write_text((REPO / "scripts" / "run-dev.sh").read_text())
    bin_dir = tmp_path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    for name in ("python", "celery"):
        (bin_dir / name).write_text(RECORDER)
        (bin_dir / name).chmod(stat.S_IRWXU)
    log = tmp_path / "calls.log"
    clean_env = {key: value for key, value in os.environ.items() if key not in {"SITE_URL", "PORT"}}
    subprocess.run(
        ["bash", str(tmp_path / "scripts" / "run-dev.sh")],
        env={**clean_env, "RUN_DEV_LOG": str(log), **env},
        check=False,
        capture_output=True,
        timeout=60,
    )
    return log.read_text().splitlines()


def test_make_run_points_email_links_at_the_port_it_serves(tmp_path):
    calls = run_dev(tmp_path, PORT="8123")
    runserver = [line for line in calls if "runserver" in line]
    worker = [line for line in calls if line.startswith("celery")]
    assert runserver == ["python manage.py runserver 127.0.0.1:8123 --noreload SITE_URL=http://127.0.0.1:8123"]
    assert len(worker) == 1
    assert worker[0].endswith("SITE_URL=http://127.0.0.1:8123")


def test_make_run_keeps_a_site_url_that_was_set(tmp_path):
    calls = run_dev(tmp_path, PORT="8123", SITE_URL="https://opinia.example")
    assert calls
    assert all(line.endswith("SITE_URL=https://opinia.example") for line in calls)
