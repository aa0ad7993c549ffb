"""Rate limits in the limiter's storage (memory, or Redis shared by every process): per-member
limits of writing actions (messages, posts), and counters the caller spends and checks itself
(failed sign-ins)."""

from limits import RateLimitItem, parse_many

from network.extensions import limiter


def allow(item: RateLimitItem, action: str, member_id: int) -> bool:
    """Count one `action` of the member; False once `item` (e.g. 30 per minute) is spent."""
    if not limiter.enabled:
        return True
    return limiter.limiter.hit(item, action, str(member_id))


def spent(limits: str, keys: tuple[str, ...]) -> bool:
    """Whether one of `limits` ("10 per minute;60 per hour") is used up for `keys`."""
    if not limiter.enabled:
        return False
    return not all(limiter.limiter.test(item, *keys) for item in parse_many(limits))


def count(limits: str, keys: tuple[str, ...]) -> None:
    """Count one more event against each of `limits` for `keys`."""
    if limiter.enabled:
        for item in parse_many(limits):
            limiter.limiter.hit(item, *keys)


def forget(limits: str, keys: tuple[str, ...]) -> None:
    """Start the counts of `keys` over."""
    if limiter.enabled:
        for item in parse_many(limits):
            limiter.limiter.clear(item, *keys)
