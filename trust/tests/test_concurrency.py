"""PostgreSQL only: two signals workers sweeping at once check each text once and file each case once."""

import pytest
from django.db import connection

from messaging.services import conversation_start
from portal.tests.concurrency import in_threads
from trust import services
from trust.models import Case, TextCheck

from .conftest import T0

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
]


@pytest.fixture(autouse=True)
def _no_task_after_commit(monkeypatch):
    # These tests commit for real, so the eager task would check each text before the sweeps race.
    monkeypatch.setattr(services, "_run_soon", lambda check_id: None)


def _in_threads(target, count=2):
    results, errors = in_threads(target, count)
    assert errors == []
    return results


def test_two_concurrent_sweeps_file_each_case_once(buyer, store):
    for index in range(12):
        conversation_start(buyer=buyer, store=store, text=f"Coupon for 5 stars! #{index}", now=T0)
    results = _in_threads(lambda: services.checks_sweep(now=T0, batch_size=2))
    assert sum(results) == 12
    assert Case.objects.count() == 12
    assert not TextCheck.objects.filter(checked_at=None).exists()


def test_two_workers_on_already_filed_findings_add_nothing(buyer, store):
    for index in range(4):
        conversation_start(buyer=buyer, store=store, text=f"Coupon for 5 stars! #{index}", now=T0)
    services.checks_sweep(now=T0)
    TextCheck.objects.update(checked_at=None)  # as if both retried after the first run committed
    _in_threads(lambda: services.checks_sweep(now=T0, batch_size=1))
    assert Case.objects.count() == 4
