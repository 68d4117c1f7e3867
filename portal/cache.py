"""Django's Redis cache, with one client per server instead of one per call, and a counting call.

Django's backend builds a new `redis.Redis` for every cache operation; building one fills its
table of some 170 response callbacks, which cost more CPU than the round trip itself (a third of
a cached public API answer's time). A client only wraps its connection pool and is safe to share
between threads, so one per server is kept (the pool checks the process id after a fork).

`count(key, timeout)` is what a fixed-window rate limit needs in one round trip: create the
counter with its lifetime if missing, and increment it (Django's `add` then `incr` take three:
its `incr` first asks whether the key exists).
"""

from typing import Any

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient

_COUNT_SCRIPT = "redis.call('SET', KEYS[1], 0, 'EX', ARGV[1], 'NX') return redis.call('INCR', KEYS[1])"


class SharedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

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
