"""Each kind of background work goes to its own Celery queue, so it scales on workers of its own."""

import re
from pathlib import Path

import pytest

from portal import queues
from portal.celery import app as celery_app
from portal.deadlines import SWEEP_TASK, SWEEPS

ROOT = Path(__file__).resolve().parents[2]


def routed_queue(task_name: str, args: tuple = ()) -> str:
    """The queue Celery's own router picks for a call of `task_name`, as `apply_async` would."""
    options = celery_app.amqp.router.route({}, task_name, args, {})
    return options["queue"].name


@pytest.mark.parametrize(
    ("task_name", "queue"),
    [
        ("portal.tasks.process_photo", "photos"),
        ("messaging.tasks.deliver_notification", "mail"),
        ("messaging.tasks.send_message_email", "mail"),
        ("webhooks.tasks.deliver", "webhooks"),
        ("some.unrouted.task", "celery"),
    ],
)
def test_tasks_are_routed_to_the_queue_of_their_kind_of_work(task_name, queue):
    assert routed_queue(task_name) == queue


def test_every_registered_task_of_the_project_has_a_queue_of_its_kind():
    celery_app.loader.import_default_modules()
    ours = [name for name in celery_app.tasks if not name.startswith("celery.")]
    assert ours
    for name in ours:
        assert routed_queue(name) != queues.DEFAULT_QUEUE, name


def test_sweeps_run_on_the_sweeps_queue_and_webhook_sweeps_on_the_webhooks_queue():
    for name in SWEEPS:
        expected = "webhooks" if name.startswith("webhooks.") else "sweeps"
        assert routed_queue(SWEEP_TASK, (name,)) == expected
    assert routed_queue(SWEEP_TASK, ("feedback.windows_close",)) == "sweeps"
    assert routed_queue(SWEEP_TASK, ("webhooks.retry_due",)) == "webhooks"


def test_the_explicit_queue_of_a_call_wins_over_the_route():
    options = celery_app.amqp.router.route({"queue": "celery"}, "portal.tasks.process_photo", (), {})
    assert options["queue"].name == "celery"


def test_the_development_worker_consumes_every_queue():
    script = (ROOT / "scripts" / "run-dev.sh").read_text()
    worker_queues = re.search(r"celery -A portal worker .*-Q (\S+)", script)
    assert worker_queues is not None
    assert set(worker_queues.group(1).split(",")) == set(queues.ALL_QUEUES)
    assert set(queues.TASK_QUEUES.values()) | set(queues.SWEEP_QUEUES.values()) <= set(queues.ALL_QUEUES)
