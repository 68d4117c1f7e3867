"""Shared by the API and page benchmarks: a gunicorn on loopback, a closed-loop HTTP client, and
the WSGI environment of a request sent straight to the application (the in-process benchmarks).

Not a test; never run by the test suite.
"""

import http.client
import io
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")


def wsgi_environ(
    method: str, url: str, *, body: bytes = b"", headers: dict[str, str] | None = None
) -> dict[str, object]:
    """The environment gunicorn would hand the application for this request on loopback."""
    path, _, query = url.partition("?")
    environ: dict[str, object] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    if body:
        environ["CONTENT_LENGTH"] = str(len(body))
    for name, value in (headers or {}).items():
        key = name.upper().replace("-", "_")
        environ[key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else "HTTP_" + key] = value
    return environ


# A request: method, path, headers, body (None for none).
Request = tuple[str, str, dict[str, str], bytes | None]


def server_env(database: str, *, redis: str | None = None) -> dict[str, str]:
    """The benchmark server's environment: the test settings (local-memory cache, per process), or
    with `redis` production's shared Redis cache (bench/redis_cache_settings.py)."""
    # A prefix of its own for each server: never an answer kept by an earlier run on other data.
    shared_cache = (
        {
            "DJANGO_SETTINGS_MODULE": "redis_cache_settings",
            "BENCH_REDIS_URL": redis,
            "BENCH_CACHE_PREFIX": f"bench-{time.time_ns():x}",
        }
        if redis
        else {}
    )
    python_path = os.pathsep.join(filter(None, [str(ROOT / "bench"), os.environ.get("PYTHONPATH", "")]))
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DEBUG": "0",
        "OPINIA_TESTING": "1",  # DEBUG off; plain static storage so no collectstatic is needed
        "DATABASE_URL": f"{PG}/{database}",
        "DB_CONN_MAX_AGE": "600",
        "LOG_LEVEL": "WARNING",
        "CELERY_TASK_ALWAYS_EAGER": "0",
        # The bench measures the server, not the limiter's refusals.
        "OPINIA_API_RATE_LIMIT": "100000000/minute",
        "PYTHONPATH": python_path,
        **shared_cache,
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Gunicorn:
    """gunicorn serving the portal on loopback with `workers` processes of `threads` threads each
    (gthread, as gunicorn.conf.py serves production), for a `with` block.

    Uses the repository's gunicorn.conf.py when there is one; the options given here override it.
    """

    def __init__(self, database: str, workers: int = 2, threads: int = 4, redis: str | None = None) -> None:
        self.database = database
        self.workers = workers
        self.threads = threads
        self.redis = redis
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> "Gunicorn":
        self.process = subprocess.Popen(
            [
                str(ROOT / ".venv/bin/gunicorn"),
                "portal.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.workers),
                "--worker-class",
                "gthread",
                "--threads",
                str(self.threads),
                "--keep-alive",
                "30",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=server_env(self.database, redis=self.redis),
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                probe = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                probe.request("GET", "/healthz", headers={"Host": "127.0.0.1"})
                probe.getresponse().read()
                return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start")

    def __exit__(self, *exc: object) -> None:
        if self.process:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=20)


@dataclass
class LoadResult:
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0

    @property
    def rate(self) -> float:
        return len(self.latencies_ms) / self.seconds

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def closed_loop(port: int, next_request: Callable[[], Request], *, connections: int, seconds: float) -> LoadResult:
    """`connections` keep-alive connections, each sending its next request as soon as the last answered."""
    result = LoadResult(seconds=seconds)
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        latencies: list[float] = []
        statuses: dict[int, int] = {}
        errors = 0
        while time.perf_counter() < deadline:
            method, path, headers, body = next_request()
            started = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers={"Host": "127.0.0.1", **headers})
                response = conn.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                errors += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            latencies.append((time.perf_counter() - started) * 1000)
            statuses[response.status] = statuses.get(response.status, 0) + 1
        conn.close()
        with lock:
            result.latencies_ms.extend(latencies)
            result.errors += errors
            for status, count in statuses.items():
                result.statuses[status] = result.statuses.get(status, 0) + count

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return result


def load_average() -> str:
    one, five, _fifteen = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} cores"


# wrk's summary on one line: requests, microseconds, answers outside 2xx/3xx, socket errors, then
# the 50th, 95th and 99th latency percentiles in ms.
WRK_DONE = """
function done(summary, latency, requests)
  io.write(string.format("WRK %d %d %d %d %.3f %.3f %.3f\\n", summary.requests, summary.duration,
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
"""


class WrkResult:
    """wrk's summary in the shape of `closed_loop`'s result: wrk counts only the answers outside 2xx
    and 3xx, so every other answer is counted as `ok_status` (the caller checks it otherwise)."""

    def __init__(self, output: str, *, ok_status: int) -> None:
        line = next(line for line in output.splitlines() if line.startswith("WRK "))
        requests, duration_us, bad_status, errors, p50, p95, p99 = line.split()[1:]
        self.requests = int(requests)
        self.seconds = int(duration_us) / 1e6
        self.rate = self.requests / self.seconds
        self.errors = int(errors)
        self.statuses = {
            ok_status: self.requests - int(bad_status),
            **({0: int(bad_status)} if int(bad_status) else {}),
        }
        self._percentiles = {0.5: float(p50), 0.95: float(p95), 0.99: float(p99)}

    def percentile(self, fraction: float) -> float:
        return self._percentiles[fraction]


def wrk_run(
    port: int,
    path: str,
    *,
    connections: int,
    seconds: float,
    script: str = "",
    args: tuple[str, ...] = (),
    ok_status: int = 200,
) -> WrkResult:
    """wrk (Debian's package, in C: a fraction of the Python client's CPU, taken from the server on
    the same cores) on 2 threads, `connections` keep-alive connections, GET `path` unless `script`
    (Lua) makes the requests, for `seconds` rounded to whole seconds (wrk's unit; at least 1)."""
    import tempfile

    duration = max(1, round(seconds))

    with tempfile.NamedTemporaryFile("w", suffix=".lua") as file:
        file.write(script + WRK_DONE)
        file.flush()
        output = subprocess.run(
            [
                "wrk",
                "-t",
                "2",
                "-c",
                str(connections),
                "-d",
                f"{duration}s",
                "-H",
                "Host: 127.0.0.1",
                "-s",
                file.name,
                f"http://127.0.0.1:{port}{path}",
                "--",
                *args,
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    return WrkResult(output, ok_status=ok_status)
