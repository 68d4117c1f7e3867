"""The operator's kit: health check, request ids, JSON logs, Sentry, the documented environment."""

import gzip
import io
import json
import logging
import os
import re
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

from django.db.utils import OperationalError
from django.urls import reverse

from portal import health, observability

ROOT = Path(__file__).resolve().parents[2]


def test_healthz_answers_ok_when_everything_is_reachable(client, db):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "broker": "ok"},
        "failed": [],
    }
    assert "no-cache" in response.headers["Cache-Control"]


def test_healthz_is_503_naming_an_unreachable_cache(client, db, settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:9/0"}
    }

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["failed"] == ["cache"]
    assert response.json()["checks"]["database"] == "ok"


def test_healthz_is_503_naming_an_unreachable_broker(client, db):
    from portal.celery import app

    previous = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:9/0"
    try:
        response = client.get("/healthz")
    finally:
        app.conf.broker_url = previous

    assert response.status_code == 503
    assert response.json()["failed"] == ["broker"]


def test_healthz_is_503_naming_the_database_without_leaking_the_error(client, db, monkeypatch, caplog):
    def database_down() -> None:
        raise OperationalError('connection to server at "10.0.0.5", port 5432 failed')

    monkeypatch.setitem(health.CHECKS, "database", database_down)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["failed"] == ["database"]
    assert "10.0.0.5" not in response.content.decode()
    assert "10.0.0.5" in caplog.text  # the operator finds the reason in the log


def test_healthz_refuses_writes(client, db):
    assert client.post("/healthz").status_code == 405


def test_every_response_carries_a_request_id(client, db):
    first = client.get(reverse("portal:store_search"))
    second = client.get(reverse("portal:store_search"))

    assert re.fullmatch(r"[0-9a-f]{32}", first.headers["X-Request-ID"])
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]


def test_the_proxys_request_id_is_kept_and_a_hostile_one_replaced(client, db):
    kept = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a.1"})
    replaced = client.get("/healthz", headers={"X-Request-ID": 'x" injected\nlevel=ERROR'})

    assert kept.headers["X-Request-ID"] == "lb-7f3a.1"
    assert re.fullmatch(r"[0-9a-f]{32}", replaced.headers["X-Request-ID"])


def test_json_log_lines_carry_the_request_id_of_the_request(client, db, monkeypatch):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(observability.JsonFormatter())
    handler.addFilter(observability.RequestIdFilter())
    health_logger = logging.getLogger("portal.health")
    health_logger.addHandler(handler)

    def cache_down() -> None:
        raise ConnectionError("refused")

    monkeypatch.setitem(health.CHECKS, "cache", cache_down)
    try:
        response = client.get("/healthz", headers={"X-Request-ID": "req-json-1"})
    finally:
        health_logger.removeHandler(handler)

    line = json.loads(stream.getvalue().splitlines()[0])
    assert response.status_code == 503
    assert line["request_id"] == "req-json-1"
    assert line["level"] == "ERROR"
    assert line["logger"] == "portal.health"
    assert line["message"] == "Health check cache failed"
    assert "ConnectionError: refused" in line["exception"]
    assert line["time"].endswith("+00:00")


def test_log_format_json_makes_every_line_json(tmp_path):
    script = "import django, logging; django.setup(); logging.getLogger('opinia.test').warning('zażółć %s', 'gęślą')"
    env = dict(os.environ, DEBUG="1", LOG_FORMAT="json", DJANGO_SETTINGS_MODULE="portal.settings")
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )

    line = json.loads(result.stderr.strip().splitlines()[-1])
    assert line["message"] == "zażółć gęślą"
    assert line["request_id"] == "-"


def test_an_unknown_log_format_stops_the_process():
    env = dict(os.environ, DEBUG="1", LOG_FORMAT="xml", DJANGO_SETTINGS_MODULE="portal.settings")
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], cwd=ROOT, env=env, capture_output=True, text=True
    )

    assert result.returncode != 0
    assert "LOG_FORMAT='xml' is not one of: text, json." in result.stderr


class _SentryIntake(BaseHTTPRequestHandler):
    received: list[bytes] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        self.received.append(body)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        """Keep the intake's access log out of the test output."""


def test_errors_go_to_sentry_when_a_dsn_is_set():
    server = HTTPServer(("127.0.0.1", 0), _SentryIntake)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    script = (
        "import django, logging, sentry_sdk; django.setup();"
        "client = sentry_sdk.get_client();"
        "print(sorted(client.integrations));"
        "logging.getLogger('portal.test').error('The deadline sweep failed');"
        "sentry_sdk.flush(5)"
    )
    env = dict(
        os.environ,
        DEBUG="1",
        SENTRY_DSN=f"http://public@127.0.0.1:{server.server_port}/1",
        DJANGO_SETTINGS_MODULE="portal.settings",
    )
    try:
        result = subprocess.run(
            [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True
        )
    finally:
        server.shutdown()

    assert "'celery'" in result.stdout
    assert "'django'" in result.stdout
    assert any(b"The deadline sweep failed" in body for body in _SentryIntake.received)


def _documented_variables() -> set[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("## Configuration") :]
    table = table[: table.index("\n## ", 3)]
    names: set[str] = set()
    for row in table.splitlines():
        if row.startswith("| `"):
            names.update(re.findall(r"`([A-Z][A-Z0-9_]+)`", row.split("|")[1]))
    return names


def _variables_read_by_settings() -> set[str]:
    settings_source = (ROOT / "portal" / "settings.py").read_text(encoding="utf-8")
    return set(re.findall(r'env_[a-z]+\("([A-Z][A-Z0-9_]+)"', settings_source))


def test_env_example_lists_every_documented_and_every_read_variable():
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    listed = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", example, flags=re.MULTILINE))
    read = {name for name in _variables_read_by_settings() if not name.startswith("OPINIA_")}

    assert _documented_variables() - listed == set()
    assert read - listed == set()
    # The product rules are listed too, each with the specification's default.
    assert {name for name in _variables_read_by_settings() if name.startswith("OPINIA_")} - listed == set()


def _pre_commit(*paths: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PRE_COMMIT_HOME=str(home))
    return subprocess.run(
        [str(ROOT / ".venv" / "bin" / "pre-commit"), "run", "--files", *map(str, paths)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )


def test_pre_commit_hooks_catch_lint_format_and_template_errors(tmp_path):
    unused_import = tmp_path / "bad.py"
    unused_import.write_text("import os\n")
    unformatted = tmp_path / "ugly.py"
    unformatted.write_text("x = {  'a':1 }\n")
    (tmp_path / "templates").mkdir()
    image_without_alt = tmp_path / "templates" / "bad.html"
    image_without_alt.write_text('<img src="/a.png">\n')
    clean = tmp_path / "good.py"
    clean.write_text('"""Fine."""\n')

    failed = _pre_commit(unused_import, unformatted, image_without_alt, home=tmp_path / "cache")
    passed = _pre_commit(clean, home=tmp_path / "cache")

    assert failed.returncode == 1
    assert "F401" in failed.stdout  # ruff check
    assert "File would be reformatted" in failed.stdout  # ruff format
    assert "H013" in failed.stdout  # djlint: an image without alt text
    assert passed.returncode == 0, passed.stdout
