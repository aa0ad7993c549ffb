"""Per-member rate limits of writing actions (messages, posts), in the limiter's storage
(memory, or Redis shared by every process)."""

from limits import RateLimitItem

from network.extensions import limiter


def allow(item: RateLimitItem, action: str, member_id: int) -> bool:
    """Count one `action` of the member; False once `item` (e.g. 30 per minute) is spent."""
    if not limiter.enabled:
        return True
    return limiter.limiter.hit(item, action, str(member_id))
