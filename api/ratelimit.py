"""Fixed-window rate limits in the shared cache (Redis in production): one counter per key and minute."""

import time

from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """ "600/minute" → (600, 60); fails loudly on anything else."""
    count, _slash, period = rate.partition("/")
    if not count.strip().isdigit() or int(count) < 1 or period.strip() not in PERIODS:
        raise ImproperlyConfigured(f"A rate limit reads like '600/minute', not {rate!r}.")
    return int(count), PERIODS[period.strip()]


def rate_limit_hit(*, bucket: str, rate: str, now: float | None = None) -> int | None:
    """Count one request against `bucket`; None if allowed, else the seconds until the window resets.

    Atomic in Redis, so concurrent web workers share one count: one round trip with the portal's
    Redis backend (`count`), else `add` then `incr`.
    """
    limit, period = parse_rate(rate)
    moment = time.time() if now is None else now
    window = int(moment // period)
    key = f"api-rate:{bucket}:{window}"
    counting = getattr(cache, "count", None)
    if counting is not None:
        count = counting(key, period + 1)
    else:
        cache.add(key, 0, timeout=period + 1)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr: this request opens the window
            cache.set(key, 1, timeout=period + 1)
            count = 1
    if count <= limit:
        return None
    return max(1, int((window + 1) * period - moment + 0.999))
