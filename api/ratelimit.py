"""Fixed-window rate limits in the shared cache (Redis in production): one counter per key and minute."""

import time
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured

from portal import cache as shared_cache

PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """ "600/minute" → (600, 60); fails loudly on anything else."""
    count, _slash, period = rate.partition("/")
    if not count.strip().isdigit() or int(count) < 1 or period.strip() not in PERIODS:
        raise ImproperlyConfigured(f"A rate limit reads like '600/minute', not {rate!r}.")
    return int(count), PERIODS[period.strip()]


@dataclass(frozen=True)
class RateWindow:
    """The fixed window a request falls in: its counter's key, lifetime and the limit within it."""

    key: str
    limit: int
    period: int
    moment: float

    @property
    def timeout(self) -> int:
        return self.period + 1

    def retry_after(self, counted: int) -> int | None:
        """None when the `counted`-th request of the window is within the limit, else the seconds
        until the window resets."""
        if counted <= self.limit:
            return None
        window = int(self.moment // self.period)
        return max(1, int((window + 1) * self.period - self.moment + 0.999))

    def hit(self) -> int | None:
        """Count one request in this window (`portal.cache.count`: atomic, one round trip with the
        portal's Redis, so concurrent web workers share one count); as `retry_after`."""
        return self.retry_after(shared_cache.count(self.key, self.timeout))


def rate_window(*, bucket: str, rate: str, now: float | None = None) -> RateWindow:
    limit, period = parse_rate(rate)
    moment = time.time() if now is None else now
    return RateWindow(key=f"api-rate:{bucket}:{int(moment // period)}", limit=limit, period=period, moment=moment)


def rate_limit_hit(*, bucket: str, rate: str, now: float | None = None) -> int | None:
    """Count one request against `bucket`; None if allowed, else the seconds until the window resets."""
    return rate_window(bucket=bucket, rate=rate, now=now).hit()
