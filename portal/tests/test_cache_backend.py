"""The portal's Redis cache backend (production's): one client per server, a counter in one command.

Against the Redis of REDIS_URL (tests otherwise use a local-memory cache); skipped without one.
"""

import os
import uuid

import pytest

from portal.cache import RedisCache

pytestmark = pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL")


@pytest.fixture
def redis_cache():
    return RedisCache(os.environ["REDIS_URL"], {"KEY_PREFIX": f"test-{uuid.uuid4().hex}"})


def test_one_client_serves_every_call(redis_cache):
    # Django's own backend builds a new client (and its callback table) for every call.
    assert redis_cache._cache.get_client() is redis_cache._cache.get_client(write=True)
    redis_cache.set("k", {"a": 1}, 30)
    assert redis_cache.get("k") == {"a": 1}
    assert redis_cache.get_many(["k", "missing"]) == {"k": {"a": 1}}
    redis_cache.delete("k")


def test_count_creates_the_counter_with_its_lifetime_and_increments_it(redis_cache):
    assert redis_cache.count("c", 30) == 1
    assert redis_cache.count("c", 30) == 2
    client = redis_cache._cache.get_client()
    ttl = client.ttl(redis_cache.make_key("c"))
    assert 0 < ttl <= 30
    assert redis_cache.get("c") == 2  # an ordinary cache value too
    redis_cache.delete("c")


def test_the_api_rate_limit_counts_with_it(redis_cache, monkeypatch, settings):
    from api import ratelimit
    from portal import cache

    monkeypatch.setattr(cache, "cache", redis_cache)
    bucket = f"ip:{uuid.uuid4().hex}"
    assert ratelimit.rate_limit_hit(bucket=bucket, rate="2/minute", now=120.0) is None
    assert ratelimit.rate_limit_hit(bucket=bucket, rate="2/minute", now=121.0) is None
    assert ratelimit.rate_limit_hit(bucket=bucket, rate="2/minute", now=122.0) == 58


def test_count_and_get_many_is_one_command(redis_cache, monkeypatch):
    from portal import cache

    monkeypatch.setattr(cache, "cache", redis_cache)
    redis_cache.set("page", ("versions", "body"), 30)
    redis_cache.set("version", "v1", 30)
    client = redis_cache._cache.get_client()
    commands: list[str] = []
    execute = client.execute_command
    monkeypatch.setattr(client, "execute_command", lambda *args, **kw: commands.append(args[0]) or execute(*args, **kw))
    assert cache.count_and_get_many("n", 30, ["page", "missing", "version"]) == (
        1,
        {"page": ("versions", "body"), "version": "v1"},
    )
    commands.clear()  # the first call may have loaded the script
    assert cache.count_and_get_many("n", 30, []) == (2, {})
    assert commands == ["EVALSHA"]  # by its SHA1: the script's text is not sent again
    client.script_flush()  # as after a Redis restart: the script is loaded again by itself
    assert cache.count_and_get_many("n", 30, ["version"]) == (3, {"version": "v1"})
    assert 0 < client.ttl(redis_cache.make_key("n")) <= 30
    assert redis_cache.get("n") == 3  # the same counter as `count`'s
    assert cache.count("n", 30) == 4
