"""`webhook_listen`: a signed request is printed, a badly signed one refused with 400."""

import io
import threading
from datetime import UTC, datetime

import pytest
import urllib3
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from standardwebhooks.webhooks import Webhook

from webhooks.delivery import sign_headers
from webhooks.management.commands.webhook_listen import listener
from webhooks.services import secret_generate


@pytest.fixture
def running():
    secret = secret_generate()
    out = BaseCommand(stdout=io.StringIO(), stderr=io.StringIO())
    server = listener(webhook=Webhook(secret), host="127.0.0.1", port=0, out=out)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield secret, f"http://127.0.0.1:{server.server_address[1]}/", out
    server.shutdown()
    server.server_close()


def _post(url, body, headers):
    return urllib3.request("POST", url, body=body.encode(), headers=headers, retries=False)


def test_a_signed_event_is_printed_and_a_bad_signature_refused(running):
    secret, url, out = running
    body = '{"type":"order.completed","data":{"order":{"id":7}}}'
    now = datetime.now(UTC)
    good = _post(url, body, sign_headers(event_id="msg_1", body=body, secrets=[secret], moment=now))
    assert good.status == 200
    assert "msg_1 order.completed" in out.stdout.getvalue()
    bad = _post(url, body, sign_headers(event_id="msg_2", body=body, secrets=[secret_generate()], moment=now))
    assert bad.status == 400
    assert b"signature verification failed" in bad.data
    assert "Rejected msg_2" in out.stderr.getvalue()
    assert "msg_2" not in out.stdout.getvalue()


def test_a_malformed_secret_is_refused():
    with pytest.raises(CommandError, match="Not a signing secret"):
        call_command("webhook_listen", "--secret", "whsec_")
