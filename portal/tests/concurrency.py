"""Run one callable in several threads at once, each on its own database connection: how the
tests stand in for two workers (or two requests) racing on PostgreSQL."""

import threading
from collections.abc import Callable
from typing import Any


def in_threads(target: Callable[[], Any], count: int = 2) -> tuple[list[Any], list[Exception]]:
    """Start `count` threads that wait for each other, then all call `target`; its results and errors."""
    barrier = threading.Barrier(count)
    results: list[Any] = []
    errors: list[Exception] = []

    def run() -> None:
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            results.append(target())
        except Exception as error:
            errors.append(error)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors
