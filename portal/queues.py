"""Celery queues, one per kind of work, so each kind scales on workers of its own.

* `sweeps`: the registered deadline and retention sweeps (`portal.tasks.run_sweep`), and the
  trust checks of a text queued after its commit (the same work as the `trust.checks` sweep);
* `photos`: re-encoding uploaded photos (CPU-heavy: give it a worker per core);
* `mail`: e-mail and text notifications (waits on SMTP and SMS gateways);
* `webhooks`: deliveries to sellers' endpoints, and the webhook sweeps (waits on strangers'
  servers, so a slow endpoint never delays a deadline);
* `celery`, Celery's default queue: anything not routed here.

`make run` starts one worker that consumes every queue (`ALL_QUEUES`); production runs one
worker pool per queue (README, "Running in production").
"""

from typing import Any

from portal.deadlines import SWEEP_TASK

DEFAULT_QUEUE = "celery"
SWEEPS = "sweeps"
PHOTOS = "photos"
MAIL = "mail"
WEBHOOKS = "webhooks"
ALL_QUEUES = (DEFAULT_QUEUE, SWEEPS, PHOTOS, MAIL, WEBHOOKS)

# Task name (or a prefix ending in ".") to queue.
TASK_QUEUES = {
    SWEEP_TASK: SWEEPS,
    "trust.tasks.check_run": SWEEPS,
    "portal.tasks.process_photo": PHOTOS,
    "messaging.tasks.deliver_notification": MAIL,
    "messaging.tasks.send_message_email": MAIL,
    "webhooks.": WEBHOOKS,
}
# Sweeps whose registered name starts with one of these run on that queue instead of `sweeps`.
SWEEP_QUEUES = {"webhooks.": WEBHOOKS}


def queue_for(task_name: str, args: Any = ()) -> str | None:
    """The queue of one task call, or None for Celery's default."""
    if task_name == SWEEP_TASK and args:
        sweep_name = str(args[0])
        for prefix, queue in SWEEP_QUEUES.items():
            if sweep_name.startswith(prefix):
                return queue
    if task_name in TASK_QUEUES:
        return TASK_QUEUES[task_name]
    for prefix, queue in TASK_QUEUES.items():
        if prefix.endswith(".") and task_name.startswith(prefix):
            return queue
    return None


def route_task(
    name: str, args: Any, kwargs: Any, options: Any, task: Any = None, **extra: Any
) -> dict[str, str] | None:
    """Celery's router (`CELERY_TASK_ROUTES`): every task call, from beat, a service or a command."""
    queue = queue_for(name, args)
    return {"queue": queue} if queue else None
