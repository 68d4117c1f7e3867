"""The production web server's settings (`gunicorn.conf.py`) load and hold sane values."""

import inspect
import runpy
from pathlib import Path

from gunicorn.config import Config  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parents[2]
CONF = ROOT / "gunicorn.conf.py"


def load(monkeypatch, **environ: str) -> dict:
    for name in ("WEB_CONCURRENCY", "WEB_THREADS", "GUNICORN_MAX_REQUESTS", "GUNICORN_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    return {key: value for key, value in runpy.run_path(str(CONF)).items() if not key.startswith("_")}


def test_the_config_file_uses_threaded_workers_with_sane_limits(monkeypatch):
    values = load(monkeypatch)
    assert values["worker_class"] == "gthread"
    assert 2 <= values["workers"] <= 64
    assert 2 <= values["threads"] <= 16
    assert values["max_requests"] >= 500
    assert 0 < values["max_requests_jitter"] < values["max_requests"]
    assert 10 <= values["timeout"] <= 120
    assert values["errorlog"] == "-"
    assert values["preload_app"] is False


def test_every_setting_of_the_file_is_one_gunicorn_knows(monkeypatch):
    values = load(monkeypatch)
    known = Config().settings
    unknown = [key for key, value in values.items() if key not in known and not inspect.ismodule(value)]
    assert unknown == []


def test_the_environment_sizes_the_processes(monkeypatch):
    values = load(monkeypatch, WEB_CONCURRENCY="3", WEB_THREADS="8", GUNICORN_TIMEOUT="45")
    assert (values["workers"], values["threads"], values["timeout"]) == (3, 8, 45)


def test_gunicorn_itself_accepts_the_file(monkeypatch):
    load(monkeypatch)
    config = Config()
    for key, value in runpy.run_path(str(CONF)).items():
        if key in config.settings:
            config.set(key, value)
    assert config.worker_class_str == "gthread"
    assert config.threads >= 2
    assert config.max_requests_jitter > 0


def test_database_connections_persist_with_health_checks():
    from django.conf import settings

    default = settings.DATABASES["default"]
    if default["ENGINE"].endswith("sqlite3"):
        return
    assert default["CONN_HEALTH_CHECKS"] is True
