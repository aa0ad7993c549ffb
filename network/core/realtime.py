"""Which Socket.IO connections belong to which member, so the server can end them.

A member's connections are ended when their sessions end (logout, password change,
deactivation) or when the API token a connection was opened with is revoked. With
`REDIS_URL` the registry lives in Redis and disconnections travel through the message queue,
so any process can end a connection held by another.
"""

from typing import Protocol

from flask import Flask, current_app

from network.extensions import socketio

KEY = "terreau:sockets:{member_id}"


class Registry(Protocol):
    def add(self, member_id: int, sid: str, token_id: int | None) -> None: ...
    def remove(self, member_id: int, sid: str) -> None: ...
    def sids(self, member_id: int) -> dict[str, int | None]: ...
    def connected(self, member_ids: list[int]) -> dict[int, set[str]]: ...


class MemoryRegistry:
    def __init__(self) -> None:
        self._by_member: dict[int, dict[str, int | None]] = {}

    def add(self, member_id: int, sid: str, token_id: int | None) -> None:
        self._by_member.setdefault(member_id, {})[sid] = token_id

    def remove(self, member_id: int, sid: str) -> None:
        self._by_member.get(member_id, {}).pop(sid, None)

    def sids(self, member_id: int) -> dict[str, int | None]:
        return dict(self._by_member.get(member_id, {}))

    def connected(self, member_ids: list[int]) -> dict[int, set[str]]:
        """member id → its connections, for those of `member_ids` who have any."""
        found = {i: set(self._by_member.get(i, {})) for i in member_ids}
        return {i: sids for i, sids in found.items() if sids}


class RedisRegistry:
    def __init__(self, url: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(url, decode_responses=True)

    def add(self, member_id: int, sid: str, token_id: int | None) -> None:
        self._redis.hset(KEY.format(member_id=member_id), sid, str(token_id or ""))

    def remove(self, member_id: int, sid: str) -> None:
        self._redis.hdel(KEY.format(member_id=member_id), sid)

    def sids(self, member_id: int) -> dict[str, int | None]:
        stored: dict[str, str] = self._redis.hgetall(KEY.format(member_id=member_id))  # type: ignore[assignment]
        return {sid: int(token) if token else None for sid, token in stored.items()}

    def connected(self, member_ids: list[int]) -> dict[int, set[str]]:
        """member id → its connections, in one round trip."""
        pipe = self._redis.pipeline(transaction=False)
        for member_id in member_ids:
            pipe.hkeys(KEY.format(member_id=member_id))
        found = zip(member_ids, pipe.execute(), strict=True)
        return {member_id: set(sids) for member_id, sids in found if sids}


def init_registry(app: Flask) -> None:
    url = app.config["REDIS_URL"]
    app.extensions["terreau_sockets"] = RedisRegistry(url) if url else MemoryRegistry()


def registry() -> Registry:
    return current_app.extensions["terreau_sockets"]


def _selected(sid_token: int | None, token_id: int | None, sessions_only: bool) -> bool:
    if sessions_only:
        return sid_token is None
    return token_id is None or sid_token == token_id


def end_connections(
    member_id: int, token_id: int | None = None, *, sessions_only: bool = False
) -> None:
    """Tell, then disconnect, the member's connections: all of them, those opened with
    `token_id`, or (`sessions_only`) those opened from a browser session."""
    for sid, sid_token in registry().sids(member_id).items():
        if _selected(sid_token, token_id, sessions_only):
            socketio.emit("session_ended", {}, to=sid)
            socketio.server.disconnect(sid)
            registry().remove(member_id, sid)
