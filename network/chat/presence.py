"""Presence: online while a tab is connected and in use, away when every tab is idle.

A member's connections come from the socket registry (shared through Redis when set); this
store only remembers which of those connections said they are away.
"""

from typing import Protocol

from flask import Flask, current_app

from network.core import realtime

ONLINE, AWAY, OFFLINE = "online", "away", "offline"
KEY = "terreau:away:{member_id}"


class AwayStore(Protocol):
    def set_away(self, member_id: int, sid: str, away: bool) -> None: ...
    def away_sids(self, member_id: int) -> set[str]: ...
    def away_many(self, member_ids: list[int]) -> dict[int, set[str]]: ...


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


class RedisAwayStore(realtime.SharedStore):
    """Away connections in Redis; while it is unreachable, this process's memory answers."""

    def __init__(self, url: str) -> None:
        super().__init__(url, "presence")
        self._local = MemoryAwayStore()

    def set_away(self, member_id: int, sid: str, away: bool) -> None:
        self._local.set_away(member_id, sid, away)
        key = KEY.format(member_id=member_id)
        self.shared(lambda r: (r.sadd if away else r.srem)(key, sid), lambda: None)

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


def init_presence(app: Flask) -> None:
    url = app.config["REDIS_URL"]
    app.extensions["terreau_away"] = RedisAwayStore(url) if url else MemoryAwayStore()


def _store() -> AwayStore:
    return current_app.extensions["terreau_away"]


def status_of(member_id: int) -> str:
    sids = set(realtime.registry().sids(member_id))
    if not sids:
        return OFFLINE
    return AWAY if sids <= _store().away_sids(member_id) else ONLINE


def statuses(member_ids: list[int]) -> dict[int, str]:
    """member id → status, for members who are not offline (two round trips in all)."""
    connected = realtime.registry().connected(member_ids)
    away = _store().away_many(list(connected)) if connected else {}
    return {
        member_id: AWAY if sids <= away.get(member_id, set()) else ONLINE
        for member_id, sids in connected.items()
    }


def set_away(member_id: int, sid: str, away: bool) -> None:
    _store().set_away(member_id, sid, away)


def forget(member_id: int, sid: str) -> None:
    _store().set_away(member_id, sid, False)
