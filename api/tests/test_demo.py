"""`seed_demo` prints a working integration key and store key, new at every run."""

import re

from django.core.management import call_command
from django.test import Client

from api.models import ApiKey
from api.scopes import INTEGRATION_SCOPES, STORE_SCOPES

PRINTED_KEY = re.compile(r"(INTEGRATION_KEY|STORE_KEY)=(opk_\S+)")


def _printed_keys(output: str) -> dict[str, str]:
    return dict(PRINTED_KEY.findall(output))


def _status(path: str, key: str) -> int:
    return Client().get(path, headers={"Authorization": f"Bearer {key}"}).status_code


def test_seed_demo_prints_keys_that_work_and_replaces_them_on_the_next_run(db, capsys, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo")
    first = _printed_keys(capsys.readouterr().out)
    call_command("seed_demo")
    second = _printed_keys(capsys.readouterr().out)

    assert set(first) == set(second) == {"INTEGRATION_KEY", "STORE_KEY"}
    assert first["INTEGRATION_KEY"] != second["INTEGRATION_KEY"]
    assert first["STORE_KEY"] != second["STORE_KEY"]
    assert _status("/api/v1/orders", second["INTEGRATION_KEY"]) == 200
    assert _status("/api/v1/store", second["STORE_KEY"]) == 200
    # The previous run's keys are revoked: one live demo key of each kind.
    assert _status("/api/v1/orders", first["INTEGRATION_KEY"]) == 401
    assert _status("/api/v1/store", first["STORE_KEY"]) == 401
    live = ApiKey.objects.filter(revoked_at__isnull=True)
    integration = live.get(kind=ApiKey.Kind.INTEGRATION)
    store_key = live.get(kind=ApiKey.Kind.STORE)
    assert set(integration.scopes) == set(INTEGRATION_SCOPES)
    assert set(store_key.scopes) == set(STORE_SCOPES)
    assert store_key.store.owner.email == "seller@opinia.test"
