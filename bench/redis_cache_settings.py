"""The portal's test settings with production's cache: one Redis shared by every web process.

For the benchmark servers started with `--redis URL` (bench/api_common.server_env), so that a
cached answer costs its round trips to Redis as in production, not a read of the process's own
memory.
"""

import os

from portal.settings import *  # noqa: F403

CACHES = {
    "default": {
        "BACKEND": "portal.cache.RedisCache",
        "LOCATION": os.environ["BENCH_REDIS_URL"],
        "KEY_PREFIX": os.environ.get("BENCH_CACHE_PREFIX", ""),
    }
}
