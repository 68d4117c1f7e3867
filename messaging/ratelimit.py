"""Per-user rate limits on messages and new conversations, counted in the cache.

A fixed window per user and scope: cheap (one `incr`), shared by every web process when
the cache is Redis, and forgiving at the window's edge in a way that does not matter for
stopping spam.
"""

from datetime import datetime

from django.conf import settings
from django.core.cache import cache


def rate_limit_hit(*, scope: str, user_id: int, limit: int, period_seconds: int, now: datetime) -> bool:
    """Count one attempt and say whether it goes over `limit` in the current window."""
    window = int(now.timestamp()) // period_seconds
    key = f"opinia:ratelimit:{scope}:{user_id}:{window}"
    cache.add(key, 0, timeout=period_seconds + 5)
    try:
        count = cache.incr(key)
    except ValueError:
        # The key expired between add and incr.
        cache.set(key, 1, timeout=period_seconds + 5)
        count = 1
    return count > limit


def message_rate_limited(*, user_id: int, now: datetime) -> bool:
    return rate_limit_hit(
        scope="message", user_id=user_id, limit=settings.OPINIA_MESSAGES_PER_MINUTE, period_seconds=60, now=now
    )


def conversation_rate_limited(*, user_id: int, now: datetime) -> bool:
    return rate_limit_hit(
        scope="conversation",
        user_id=user_id,
        limit=settings.OPINIA_CONVERSATIONS_PER_HOUR,
        period_seconds=3600,
        now=now,
    )
