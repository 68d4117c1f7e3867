"""One build at a time per cached part: requests that miss a part another one is building wait for it.

Threads of one process share the local-memory cache of the tests as a server's threads share
Redis; each test starts a slow build in one thread and asks for the same part from another.
"""

import threading
import time

from django.core.cache import cache

from portal import fragments

STORE_ID = 4242


class SlowBuild:
    """A build that takes `seconds`, counts its runs, and raises on the runs listed in `fails`."""

    def __init__(self, seconds: float, fails: tuple[int, ...] = ()) -> None:
        self.seconds = seconds
        self.fails = fails
        self.runs = 0
        self.started = threading.Event()

    def __call__(self) -> tuple[str, None]:
        self.runs += 1
        run = self.runs
        self.started.set()
        time.sleep(self.seconds)
        if run in self.fails:
            raise RuntimeError("the build failed")
        return f"built {run}", None


def part(build: SlowBuild) -> str:
    return fragments.cached(name="test.slow", topics=["feedback"], store_id=STORE_ID, build=build, localized=False)


def in_thread(build: SlowBuild) -> tuple[threading.Thread, list[object]]:
    results: list[object] = []

    def run() -> None:
        try:
            results.append(part(build))
        except RuntimeError as error:
            results.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, results


def test_a_part_missed_while_it_is_being_built_is_built_once():
    build = SlowBuild(seconds=0.3)
    first, first_results = in_thread(build)
    assert build.started.wait(5)
    # Asked for while the first build runs: waits for it instead of building it again.
    assert part(build) == "built 1"
    first.join()
    assert first_results == ["built 1"]
    assert build.runs == 1
    assert cache.get(fragments._version_key("feedback", STORE_ID)) is not None


def test_when_the_build_waited_for_fails_the_waiter_builds_it_at_once(monkeypatch):
    # A wait of 10 s: the waiter must learn of the failure from the lock let go, not from its wait.
    monkeypatch.setattr(fragments, "BUILD_WAIT_POLLS", 1000)
    build = SlowBuild(seconds=0.2, fails=(1,))
    first, first_results = in_thread(build)
    assert build.started.wait(5)
    started = time.monotonic()
    assert part(build) == "built 2"
    assert time.monotonic() - started < 5
    first.join()
    assert isinstance(first_results[0], RuntimeError)
    assert build.runs == 2


def test_a_waiter_never_takes_a_part_built_before_a_change_it_saw(db):
    build = SlowBuild(seconds=0.3)
    first, first_results = in_thread(build)
    assert build.started.wait(5)
    # A review is published while the first build reads the old rows.
    fragments.content_changed(topic="feedback", store_id=STORE_ID)
    assert part(build) == "built 2"
    first.join()
    assert first_results == ["built 1"]
    # The part the first build stored is under the old version: the new one is what is served.
    assert part(SlowBuild(seconds=0)) == "built 2"


def test_a_waiter_builds_it_itself_after_its_wait(monkeypatch):
    monkeypatch.setattr(fragments, "BUILD_WAIT_POLLS", 3)
    build = SlowBuild(seconds=0.5)
    first, first_results = in_thread(build)
    assert build.started.wait(5)
    # The first build is slower than the wait (3 polls): the waiter builds its own.
    assert part(build) == "built 2"
    first.join()
    assert first_results == ["built 1"]
