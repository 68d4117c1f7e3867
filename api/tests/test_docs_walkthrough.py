"""Runs docs/api.md's walk-through as written: every curl against a live server, and the
webhook it ends with received and verified by `webhook_listen`.

The doc's fenced ```sh blocks are read in order. A `curl` block is run with the real curl
binary; the comment under it (`# → 201; "slug": "walk-through-cables"`) is what it must answer:
the status, the JSON members quoted after it, and `Idempotent-Replayed: true` when it says so.
The `webhook_listen` block is started as a process; the worker's delivery sweep is run here.
"""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from api import services
from api.models import ApiKey
from api.scopes import INTEGRATION_SCOPES, STORE_SCOPES
from webhooks import services as webhook_services
from webhooks.delivery import webhooks_deliver_sweep

DOC = Path(django_settings.BASE_DIR) / "docs" / "api.md"
BLOCK = re.compile(r"^```sh\n(.*?)^```", re.MULTILINE | re.DOTALL)
EXPECTED = re.compile(r"^# → (\d{3})(.*)$", re.MULTILINE)
JSON_MEMBER = re.compile(r'"[^"]+": (?:"[^"]*"|-?\d+|\[\]|true|false|null)')


def walkthrough_blocks() -> list[str]:
    text = DOC.read_text()
    section = text.split("\n## Walk-through\n", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in BLOCK.findall(section)]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_walkthrough_has_the_steps_it_promises():
    blocks = walkthrough_blocks()
    curls = [b for b in blocks if b.startswith("curl ")]
    assert any("webhook_listen" in b for b in blocks)
    for step in (
        "/stores/walk-store",
        "/products/walk-cable",
        "/api/v1/orders ",
        "/transitions",
        "/public/",
        "/store ",
    ):
        assert any(step in b.replace('"', " ") + " " for b in curls), step
    for move in ("paid", "shipped", "completed"):
        assert any(f'"status": "{move}"' in b for b in curls), move
    assert all(EXPECTED.search(b) for b in curls), "every curl says what it answers"


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed (scripts/system-deps.sh)")
def test_every_curl_of_the_walkthrough_answers_as_documented(
    transactional_db, live_server, staff, store, seller, tmp_path
):
    now = timezone.now()
    integration = services.api_key_issue(
        kind=ApiKey.Kind.INTEGRATION, name="Walk", scopes=list(INTEGRATION_SCOPES), actor=staff, now=now
    )
    store_key = services.api_key_issue(
        kind=ApiKey.Kind.STORE, store=store, name="Walk", scopes=list(STORE_SCOPES), actor=seller, now=now
    )
    # The admin's "Add marketplace endpoint", pointed at the receiver's port.
    port = _free_port()
    endpoint = webhook_services.endpoint_create(
        store=None,
        actor=staff,
        url=f"http://127.0.0.1:{port}/",
        description="walk-through",
        event_types=["order.completed"],
        now=now,
    )
    env = {
        **os.environ,
        "OPINIA_URL": live_server.url,
        "INTEGRATION_KEY": integration.secret,
        "STORE_KEY": store_key.secret,
        "WEBHOOK_SECRET": endpoint.secret,
        "PYTHONUNBUFFERED": "1",
    }
    listener: subprocess.Popen[str] | None = None
    ran = 0
    try:
        for block in walkthrough_blocks():
            if block.startswith("export "):
                continue  # what the reader sets; the test's environment holds the same names
            if "webhook_listen" in block:
                command = block.replace(".venv/bin/python", sys.executable).replace("--port 8765", f"--port {port}")
                listener = subprocess.Popen(
                    ["bash", "-c", command],
                    cwd=django_settings.BASE_DIR,
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                )
                assert listener.stdout is not None
                assert "Listening on" in listener.stdout.readline()
                continue
            assert block.startswith("curl "), f"a walk-through block the test does not know how to run:\n{block}"
            _run_curl(block, env, tmp_path)
            ran += 1
        assert ran >= 10

        # The worker of `make run` runs this every 5 seconds.
        assert webhooks_deliver_sweep(now=timezone.now()) == 1
    finally:
        if listener is not None:
            listener.terminate()
    assert listener is not None
    assert listener.stdout is not None
    printed = listener.stdout.read()
    listener.wait(timeout=10)
    assert re.search(r"^msg_\S+ order\.completed$", printed, re.MULTILINE), printed
    assert "Rejected" not in printed
    assert '"type": "order.completed"' in printed


def _run_curl(block: str, env: dict[str, str], tmp_path: Path) -> None:
    expected = EXPECTED.search(block)
    assert expected, block
    status, remark = int(expected.group(1)), expected.group(2)
    headers_file = tmp_path / "headers"
    command = EXPECTED.sub("", block).strip() + f" -D {headers_file} -w '\\n%{{http_code}}'"
    started = time.monotonic()
    result = subprocess.run(["bash", "-c", command], env=env, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, f"{block}\nexit {result.returncode}\n{result.stdout}\n{result.stderr}"
    body, _, answered = result.stdout.rpartition("\n")
    assert int(answered) == status, f"{block}\nanswered {answered}: {body}"
    document = json.loads(body)
    for member in JSON_MEMBER.findall(remark):
        ((name, value),) = json.loads("{" + member + "}").items()
        assert document.get(name) == value, f"{block}\n{name} is {document.get(name)!r}, not {value!r}"
    if "Idempotent-Replayed: true" in remark:
        assert re.search(r"^idempotent-replayed: true", headers_file.read_text(), re.MULTILINE | re.IGNORECASE)
    assert time.monotonic() - started < 30
