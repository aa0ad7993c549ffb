"""Rate limits in the limiter's storage (memory, or Redis shared by every process): per-member
limits of writing actions (messages, posts), and counters the caller spends and checks itself
(failed sign-ins).

When the shared storage (Redis) is unreachable, the limits are counted in this process's memory
for `FALLBACK_SECONDS` before Redis is tried again (a warning is logged once per outage): writes
and sign-ins keep working, each process limiting on its own meanwhile, as Flask-Limiter's own
`RATELIMIT_IN_MEMORY_FALLBACK_ENABLED` does for the decorated routes."""

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter, RateLimiter

from network.extensions import limiter

log = logging.getLogger(__name__)
FALLBACK_SECONDS = 5.0
T = TypeVar("T")
_fallback: RateLimiter = FixedWindowRateLimiter(MemoryStorage())
_storage_down_until = 0.0


def _storage_errors() -> tuple[type[BaseException], ...]:
    try:
        from redis.exceptions import RedisError
    except ImportError:  # pragma: no cover — redis is a dependency
        return (OSError,)
    return (RedisError, OSError)


def _with_storage(operation: Callable[[RateLimiter], T]) -> T:
    """`operation` on the shared limiter, or on this process's memory while it is down."""
    global _storage_down_until
    if time.monotonic() >= _storage_down_until:
        try:
            result = operation(limiter.limiter)
        except _storage_errors() as error:
            if not _storage_down_until:
                log.warning("rate limit storage unreachable, counting in memory: %s", error)
            _storage_down_until = time.monotonic() + FALLBACK_SECONDS
        else:
            if _storage_down_until:
                log.info("rate limit storage reachable again")
                _storage_down_until = 0.0
            return result
    return operation(_fallback)


def allow(item: RateLimitItem, action: str, member_id: int) -> bool:
    """Count one `action` of the member; False once `item` (e.g. 30 per minute) is spent."""
    if not limiter.enabled:
        return True
    return _with_storage(lambda strategy: strategy.hit(item, action, str(member_id)))


def spent(limits: str, keys: tuple[str, ...]) -> bool:
    """Whether one of `limits` ("10 per minute;60 per hour") is used up for `keys`."""
    if not limiter.enabled:
        return False
    items = parse_many(limits)
    return _with_storage(lambda strategy: not all(strategy.test(item, *keys) for item in items))


def count(limits: str, keys: tuple[str, ...]) -> None:
    """Count one more event against each of `limits` for `keys`."""
    if limiter.enabled:
        items = parse_many(limits)
        _with_storage(lambda strategy: [strategy.hit(item, *keys) for item in items])


def forget(limits: str, keys: tuple[str, ...]) -> None:
    """Start the counts of `keys` over."""
    if limiter.enabled:
        items = parse_many(limits)

        def clear(strategy: RateLimiter) -> None:
            for item in items:
                strategy.clear(item, *keys)

        _with_storage(clear)
