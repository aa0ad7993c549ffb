"""Presence: online while a tab is connected and in use, away when every tab is idle.

A member's connections come from the socket registry (shared through Redis when set); this
store only remembers which of those connections said they are away, and which members have
any: the statuses of a channel's hundreds of members take two commands (who is online, who
of them has an away tab), plus a closer look at the few with an away tab.
"""

from typing import Any, Protocol

from flask import Flask, current_app

from network.core import realtime

ONLINE, AWAY, OFFLINE = "online", "away", "offline"
KEY = "terreau:away:{member_id}"
MEMBERS_KEY = "terreau:away-members"  # the members with at least one away connection

#: Forget an away connection (KEYS[1] its member's set, ARGV[1] the sid), and the member in
#: KEYS[2] when none is left: atomic, so another process's new away tab is never lost.
NOT_AWAY_SCRIPT = """
redis.call('SREM', KEYS[1], ARGV[1])
if redis.call('SCARD', KEYS[1]) == 0 then redis.call('SREM', KEYS[2], ARGV[2]) end
"""


class AwayStore(Protocol):
    def set_away(self, member_id: int, sid: str, away: bool) -> None: ...
    def away_sids(self, member_id: int) -> set[str]: ...
    def away_many(self, member_ids: list[int]) -> dict[int, set[str]]: ...
    def with_away(self, member_ids: set[int]) -> set[int]: ...


class MemoryAwayStore:
    def __init__(self) -> None:
        self._away: dict[int, set[str]] = {}

    def set_away(self, member_id: int, sid: str, away: bool) -> None:
        sids = self._away.setdefault(member_id, set())
        (sids.add if away else sids.discard)(sid)

    def away_sids(self, member_id: int) -> set[str]:
        return set(self._away.get(member_id, ()))

    def away_many(self, member_ids: list[int]) -> dict[int, set[str]]:
        return {member_id: self.away_sids(member_id) for member_id in member_ids}

    def with_away(self, member_ids: set[int]) -> set[int]:
        """Those of `member_ids` with at least one away connection."""
        return {member_id for member_id in member_ids if self._away.get(member_id)}


class RedisAwayStore(realtime.SharedStore):
    """Away connections in Redis; while it is unreachable, this process's memory answers."""

    def __init__(self, url: str) -> None:
        super().__init__(url, "presence")
        self._local = MemoryAwayStore()
        self._not_away = self._redis.register_script(NOT_AWAY_SCRIPT)

    def set_away(self, member_id: int, sid: str, away: bool) -> None:
        self._local.set_away(member_id, sid, away)
        key = KEY.format(member_id=member_id)

        def write(r: Any) -> None:
            if away:
                r.pipeline(transaction=True).sadd(key, sid).sadd(MEMBERS_KEY, member_id).execute()
            else:
                self._not_away(keys=[key, MEMBERS_KEY], args=[sid, member_id])

        self.shared(write, lambda: None)

    def away_sids(self, member_id: int) -> set[str]:
        return self.shared(
            lambda r: set(r.smembers(KEY.format(member_id=member_id))),
            lambda: self._local.away_sids(member_id),
        )

    def away_many(self, member_ids: list[int]) -> dict[int, set[str]]:
        def read(r):
            pipe = r.pipeline(transaction=False)
            for member_id in member_ids:
                pipe.smembers(KEY.format(member_id=member_id))
            return dict(zip(member_ids, (set(found) for found in pipe.execute()), strict=True))

        return self.shared(read, lambda: self._local.away_many(member_ids))

    def with_away(self, member_ids: set[int]) -> set[int]:
        ids = list(member_ids)

        def read(r: Any) -> set[int]:
            flags = r.smismember(MEMBERS_KEY, ids)
            return {i for i, flag in zip(ids, flags, strict=True) if flag}

        return self.shared(read, lambda: self._local.with_away(member_ids))


def init_presence(app: Flask) -> None:
    url = app.config["REDIS_URL"]
    app.extensions["terreau_away"] = RedisAwayStore(url) if url else MemoryAwayStore()


def _store() -> AwayStore:
    return current_app.extensions["terreau_away"]


def status_of(member_id: int) -> str:
    return statuses([member_id]).get(member_id, OFFLINE)


def statuses(member_ids: list[int]) -> dict[int, str]:
    """member id → status, for members who are not offline: who is online, who of them has an
    away tab (a command each), then only for those, whether every tab is away."""
    online = realtime.registry().online(member_ids)
    if not online:
        return {}
    found = dict.fromkeys(online, ONLINE)
    maybe_away = sorted(_store().with_away(online))
    if maybe_away:
        connected = realtime.registry().connected(maybe_away)
        away = _store().away_many(maybe_away)
        for member_id in maybe_away:
            sids = connected.get(member_id)
            if sids and sids <= away[member_id]:
                found[member_id] = AWAY
    return found


def set_away(member_id: int, sid: str, away: bool) -> None:
    _store().set_away(member_id, sid, away)


def forget(member_id: int, sid: str) -> None:
    _store().set_away(member_id, sid, False)
