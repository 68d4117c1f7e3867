"""Django's Redis cache, with one client per server instead of one per call, and a counting call.

Django's backend builds a new `redis.Redis` for every cache operation; building one fills its
table of some 170 response callbacks, which cost more CPU than the round trip itself (a third of
a cached public API answer's time). A client only wraps its connection pool and is safe to share
between threads, so one per server is kept (the pool checks the process id after a fork).

`count(key, timeout)` is what a fixed-window rate limit needs in one round trip: create the
counter with its lifetime if missing, and increment it (Django's `add` then `incr` take three:
its `incr` first asks whether the key exists). `count_and_get_many` adds the reads of the
request it limits to that same round trip (the public API's kept answers, `api.public_reads`).
The module's functions of the same names do the same on any cache backend.
"""

from collections.abc import Sequence
from typing import Any

from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient

_COUNT_SCRIPT = "redis.call('SET', KEYS[1], 0, 'EX', ARGV[1], 'NX') return redis.call('INCR', KEYS[1])"
# The counter, then each other key's value (false, a nil in the answer, for a missing one).
_COUNT_AND_GET_SCRIPT = (
    "redis.call('SET', KEYS[1], 0, 'EX', ARGV[1], 'NX') "
    "local answer = {redis.call('INCR', KEYS[1])} "
    "for i = 2, #KEYS do answer[i] = redis.call('GET', KEYS[i]) end "
    "return answer"
)


def count(key: str, timeout: int) -> int:
    """Increment the counter `key` (created at 0 living `timeout` seconds if missing); its new value.

    One command with the portal's Redis backend; elsewhere (local memory in tests and in the
    zero-setup default) `add` then `incr`.
    """
    counting = getattr(cache, "count", None)
    if counting is not None:
        return int(counting(key, timeout))
    cache.add(key, 0, timeout=timeout)
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr: this call opens the counter again
        cache.set(key, 1, timeout=timeout)
        return 1


def count_and_get_many(counter_key: str, timeout: int, keys: Sequence[str]) -> tuple[int, dict[str, Any]]:
    """`count(counter_key, timeout)` and `cache.get_many(keys)`: one round trip with the portal's Redis."""
    combined = getattr(cache, "count_and_get_many", None)
    if combined is not None:
        counted, found = combined(counter_key, timeout, keys)
        return int(counted), found
    return count(counter_key, timeout), cache.get_many(keys)


class SharedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}
        self._scripts: dict[tuple[int, str], Any] = {}

    def script(self, client: Any, source: str) -> Any:
        """`source` as a script of `client`: sent by its SHA1 (EVALSHA), its text only when the
        server does not know it yet (a Redis restarted), instead of its whole text every time."""
        key = (id(client), source)
        script = self._scripts.get(key)
        if script is None:
            script = self._scripts.setdefault(key, client.register_script(source))
        return script

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        base: Any = self  # Django's private attributes, which its type stubs leave out
        index = base._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            pool = base._pools.get(index)
            if pool is None:
                pool = base._pools.setdefault(
                    index, base._pool_class.from_url(base._servers[index], **base._pool_options)
                )
            client = self._clients.setdefault(index, base._client(connection_pool=pool))
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = SharedClientRedisCacheClient

    def count(self, key: str, timeout: int) -> int:
        """Increment the counter `key` (created at 0 living `timeout` seconds if missing); its new value."""
        full_key = self.make_and_validate_key(key)
        # One command, atomic: a counter never lives on without its lifetime.
        return int(self._cache.get_client(full_key, write=True).eval(_COUNT_SCRIPT, 1, full_key, int(timeout)))

    def count_and_get_many(self, counter_key: str, timeout: int, keys: Sequence[str]) -> tuple[int, dict[str, Any]]:
        """`count(counter_key, timeout)` and `get_many(keys)` in one command (one round trip, atomic)."""
        # The portal's own keys (a counter's, hashed parts' and versions'): made, not checked for
        # memcached's key rules character by character as `make_and_validate_key` does.
        full_counter = self.make_key(counter_key)
        full_keys = [self.make_key(key) for key in keys]
        cache_client: Any = self._cache
        client = cache_client.get_client(full_counter, write=True)
        script = cache_client.script(client, _COUNT_AND_GET_SCRIPT)
        counted, *values = script(keys=[full_counter, *full_keys], args=[int(timeout)], client=client)
        serializer: Any = self._cache._serializer  # type: ignore[attr-defined]  # Django's, as its get_many uses
        found = {key: serializer.loads(value) for key, value in zip(keys, values, strict=True) if value is not None}
        return int(counted), found
