"""Gunicorn's settings for Opinia's web processes: `gunicorn -c gunicorn.conf.py portal.wsgi`.

Gunicorn reads this file by itself when it starts in the repository root. Every value can
be overridden from the environment (`WEB_CONCURRENCY`, `WEB_THREADS`, ...) so a deployment
sizes its processes without editing code. bench/pages_vs_bare.py serves with this file.
"""

import multiprocessing
import os


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    return int(raw) if raw.strip() else default


bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")

# Threaded workers: a page spends part of its time waiting on PostgreSQL and Redis, and a
# thread can render another page meanwhile. On the 2-core benchmark machine gthread served the
# store page 1.5 times faster than sync workers under 16 connections. Two processes per core
# keep both cores busy when one process holds the GIL.
worker_class = "gthread"
workers = _env_int("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count())
threads = _env_int("WEB_THREADS", 4)

# A worker is replaced after this many requests (with jitter, so they do not all restart at
# once): bounds the memory any slow leak can take. Not much sooner: a new worker spends ~1.1 s of
# CPU importing the portal (and, without Redis, starts with an empty cache) while requests queue
# behind it. At 2,000 requests each of two workers serving 1,000 cached answers a second
# restarted every 2 seconds; at 50,000, every 40 seconds, each restart a p95 of 0.7 s in the
# benchmark's 5-second slice. At 500,000 a worker that busy lives about six minutes, one serving
# 100 requests a second about 80.
max_requests = _env_int("GUNICORN_MAX_REQUESTS", 500_000)
max_requests_jitter = _env_int("GUNICORN_MAX_REQUESTS_JITTER", 50_000)

# A request that takes longer than this is killed with its worker; the slowest legitimate
# request (a 5 MB photo upload checked in the request) takes well under ten seconds.
timeout = _env_int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _env_int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# Idle keep-alive connections from the load balancer stay open this long.
keepalive = _env_int("GUNICORN_KEEPALIVE", 5)

# Logs on stdout and stderr, for the process manager or container runtime to collect. The
# access log is off by default: the application logs every request with its request id.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")

# Each worker opens its own database connections after the fork, never sharing the master's.
preload_app = False
