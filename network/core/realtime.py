"""The real-time kernel every module uses: rooms, which member holds a connection, and
acknowledged client events.

- Rooms: `user:<id>` (one member's tabs), `channel:<id>` (a chat channel), `feed`.
- This process's connections: `remember_connection` on connect, `connected_member_id(sid)`.
- Which connections belong to which member across processes (the registry), so the server
  can end them when the member's sessions end (logout, password change, deactivation) or
  the API token a connection was opened with is revoked. With `REDIS_URL` the registry lives
  in Redis and disconnections travel through the message queue, so any process can end a
  connection held by another. Which of many members are online at all (`online`) is read in
  one command: each process keeps a set of its connected members in Redis, kept alive by its
  heartbeat, so the members of a process that died stop counting after its lease
  (`SOCKET_LEASE_SECONDS`).
- `acknowledged(name)`: a client event answered `{ok: true, ...}` or `{ok: false, error,
  status}`, for a signed-in active member only, committed once.
"""

import logging
import threading
import time
import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any, Protocol

from flask import Flask, current_app, request
from flask_babel import gettext as _

from network.core.database import set_write_intent, writer_turn
from network.core.errors import DomainError
from network.extensions import db, socketio

log = logging.getLogger(__name__)
FEED_ROOM = "feed"


def user_room(member_id: int) -> str:
    return f"user:{member_id}"


def channel_room(channel_id: int) -> str:
    return f"channel:{channel_id}"


def current_sid() -> str:
    return request.sid  # type: ignore[attr-defined]  # set by Flask-SocketIO


_members_by_sid: dict[str, int] = {}  # this process's connections


def remember_connection(sid: str, member_id: int, token_id: int | None) -> None:
    _members_by_sid[sid] = member_id
    registry().add(member_id, sid, token_id)


def forget_connection(sid: str) -> int | None:
    """Forget a closed connection; the member who held it, if any."""
    member_id = _members_by_sid.pop(sid, None)
    if member_id is not None:
        registry().remove(member_id, sid)
    return member_id


def connected_member_id(sid: str) -> int | None:
    """The member who opened this process's connection `sid`."""
    return _members_by_sid.get(sid)


KEY = "terreau:sockets:{member_id}"
ONLINE_KEY = "terreau:online:"  # + a process's name: the members it holds a connection of
PROCESSES_KEY = "terreau:processes"  # the names of the processes that hold connections

#: 1 or 0 for each member id of ARGV[2:], online on one of the processes that are alive (an
#: expired set reads as empty; its process is forgotten). ARGV[1]: the online sets' prefix.
ONLINE_SCRIPT = """
local found = {}
for i = 2, #ARGV do found[i - 1] = 0 end
for _, process in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local key = ARGV[1] .. process
  if redis.call('EXISTS', key) == 0 then
    redis.call('SREM', KEYS[1], process)
  else
    for first = 2, #ARGV, 1000 do
      local last = math.min(first + 999, #ARGV)
      local flags = redis.call('SMISMEMBER', key, unpack(ARGV, first, last))
      for j, flag in ipairs(flags) do
        if flag == 1 then found[first - 2 + j] = 1 end
      end
    end
  end
end
return found
"""


class Registry(Protocol):
    def add(self, member_id: int, sid: str, token_id: int | None) -> None: ...
    def remove(self, member_id: int, sid: str) -> None: ...
    def sids(self, member_id: int) -> dict[str, int | None]: ...
    def connected(self, member_ids: list[int]) -> dict[int, set[str]]: ...
    def online(self, member_ids: list[int]) -> set[int]: ...


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

    def online(self, member_ids: list[int]) -> set[int]:
        """Those of `member_ids` who hold a connection."""
        by_member = self._by_member
        return {i for i in member_ids if by_member.get(i)}


class SharedStore:
    """Calls to Redis that degrade instead of failing while it is unreachable: the caller's
    fallback answers (from this process's memory), a warning is logged once per outage, and
    `on_recovery` runs at the first success after one."""

    def __init__(self, url: str, name: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(
            url, decode_responses=True, socket_connect_timeout=1, socket_timeout=2
        )
        self._errors = (redis.RedisError, OSError)
        self._name = name
        self._down = False

    def on_recovery(self) -> None:
        """Put back what changed while Redis was away (nothing by default)."""

    def shared(self, operation: Callable[[Any], Any], fallback: Callable[[], Any]) -> Any:
        try:
            result = operation(self._redis)
        except self._errors as error:
            if not self._down:
                log.warning("%s: Redis unreachable, this process only: %s", self._name, error)
            self._down = True
            return fallback()
        if self._down:
            self._down = False
            log.info("%s: Redis reachable again", self._name)
            self.on_recovery()
        return result


class RedisRegistry(SharedStore):
    """The registry in Redis, with this process's own connections also kept in memory: they
    answer while Redis is away, and are written back to it when it returns (a restarted
    Redis has forgotten them).

    Besides each member's connections (a hash per member), each process keeps the set of the
    members it holds a connection of, which expires a lease after its last
    heartbeat: who is online among hundreds of members is one script, and the connections of
    a process that died stop counting by themselves."""

    def __init__(self, url: str, lease: float = 30) -> None:
        super().__init__(url, "socket registry")
        self._lease = max(1, round(lease))
        self._local = MemoryRegistry()
        self._process = uuid.uuid4().hex
        self._online_key = ONLINE_KEY + self._process
        self._online_script = self._redis.register_script(ONLINE_SCRIPT)
        self._beating = False

    def add(self, member_id: int, sid: str, token_id: int | None) -> None:
        self._local.add(member_id, sid, token_id)
        key, value = KEY.format(member_id=member_id), str(token_id or "")

        def write(r: Any) -> None:
            pipe = r.pipeline(transaction=True)
            pipe.hset(key, sid, value)
            pipe.sadd(self._online_key, member_id)
            pipe.expire(self._online_key, self._lease)
            pipe.sadd(PROCESSES_KEY, self._process)
            pipe.execute()

        self.shared(write, lambda: None)
        self._start_heartbeat()

    def remove(self, member_id: int, sid: str) -> None:
        self._local.remove(member_id, sid)
        still_here = bool(self._local.sids(member_id))

        def write(r: Any) -> None:
            pipe = r.pipeline(transaction=True)
            pipe.hdel(KEY.format(member_id=member_id), sid)
            if not still_here:
                pipe.srem(self._online_key, member_id)
            pipe.execute()

        self.shared(write, lambda: None)

    def sids(self, member_id: int) -> dict[str, int | None]:
        def read(r: Any) -> dict[str, int | None]:
            stored: dict[str, str] = r.hgetall(KEY.format(member_id=member_id))
            return {sid: int(token) if token else None for sid, token in stored.items()}

        return self.shared(read, lambda: self._local.sids(member_id))

    def connected(self, member_ids: list[int]) -> dict[int, set[str]]:
        """member id → its connections, in one round trip."""

        def read(r: Any) -> dict[int, set[str]]:
            pipe = r.pipeline(transaction=False)
            for member_id in member_ids:
                pipe.hkeys(KEY.format(member_id=member_id))
            found = zip(member_ids, pipe.execute(), strict=True)
            return {member_id: set(sids) for member_id, sids in found if sids}

        return self.shared(read, lambda: self._local.connected(member_ids))

    def online(self, member_ids: list[int]) -> set[int]:
        """Those of `member_ids` connected to a live process, in one command."""
        if not member_ids:
            return set()

        def read(r: Any) -> set[int]:
            flags = self._online_script(keys=[PROCESSES_KEY], args=[ONLINE_KEY, *member_ids])
            return {i for i, flag in zip(member_ids, flags, strict=True) if flag}

        return self.shared(read, lambda: self._local.online(member_ids))

    def heartbeat(self) -> None:
        """Write this process's online set again and renew its lease."""
        members = [m for m, sids in list(self._local._by_member.items()) if sids]

        def write(r: Any) -> None:
            pipe = r.pipeline(transaction=True)
            pipe.delete(self._online_key)
            if members:
                pipe.sadd(self._online_key, *members)
                pipe.expire(self._online_key, self._lease)
                pipe.sadd(PROCESSES_KEY, self._process)
            pipe.execute()

        self.shared(write, lambda: None)

    def _start_heartbeat(self) -> None:
        if self._beating:
            return
        self._beating = True

        def beat() -> None:
            while True:
                socketio.sleep(self._lease / 3)
                try:
                    self.heartbeat()
                except Exception:  # never let the heartbeat die
                    log.exception("socket registry: heartbeat failed")

        socketio.start_background_task(beat)

    def on_recovery(self) -> None:
        def restore(r: Any) -> None:
            pipe = r.pipeline(transaction=False)
            for member_id, connections in list(self._local._by_member.items()):
                for sid, token_id in list(connections.items()):
                    pipe.hset(KEY.format(member_id=member_id), sid, str(token_id or ""))
            pipe.execute()

        self.shared(restore, lambda: None)
        self.heartbeat()


def init_registry(app: Flask) -> None:
    url = app.config["REDIS_URL"]
    lease = float(app.config.get("SOCKET_LEASE_SECONDS", 30))
    app.extensions["terreau_sockets"] = RedisRegistry(url, lease) if url else MemoryRegistry()


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


#: member id → the member (or None), set by the members module: the kernel knows no model.
_load_member: Callable[[int], Any] = lambda member_id: None  # noqa: E731


def set_member_loader(loader: Callable[[int], Any]) -> None:
    global _load_member
    _load_member = loader


def failure(error: DomainError) -> dict[str, Any]:
    """A domain error as an acknowledgement."""
    answer = {"ok": False, "error": str(error.message), "status": error.status}
    if error.fields:
        answer["fields"] = {key: str(value) for key, value in error.fields.items()}
    return answer


def acknowledged(name: str, *, writes: bool = False) -> Callable:
    """Register a handler(member, data) → dict answered as an acknowledgement.

    The connection's member must be signed in and active, and `data` an object; the handler
    raises domain errors for the rest. The boundary commits once (`writes`: the event may
    write, so it takes this process's writer turn first); an error rolls everything back."""

    def decorate(handler: Callable[[Any, dict], dict | None]) -> Callable:
        @wraps(handler)
        def run(data: Any = None) -> dict[str, Any]:
            set_write_intent(writes)  # before the first query: it opens the transaction
            with writer_turn(db.engine, db.session, writes):
                return _answer(handler, name, data)

        socketio.on_event(name, run)
        return run

    return decorate


def _answer(handler: Callable[[Any, dict], dict | None], name: str, data: Any) -> dict[str, Any]:
    member_id = connected_member_id(current_sid())
    member = _load_member(member_id) if member_id else None
    if member is None or not member.is_active:
        return {"ok": False, "error": _("Please sign in"), "status": 401}
    if not isinstance(data, dict):
        return {"ok": False, "error": _("Send an object with the event."), "status": 422}
    try:
        result = handler(member, data) or {}
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        return failure(error)
    except Exception:  # never a stack trace to the client
        db.session.rollback()
        log.exception("socket event %s failed", name)
        return {"ok": False, "error": _("Something went wrong on our side."), "status": 500}
    return {"ok": True, **result}


# --- events written together -----------------------------------------------------------

#: What a writer leaves for a waiting event that is answered in its own context (its locale).
_SIGN_IN, _NOT_AN_OBJECT, _BROKEN = "sign in", "not an object", "broken"


class _Waiting:
    """One event waiting for the batch that writes it; `outcome`: the handler's dict, a
    domain error, or one of the answers above; `woken`: set once it has its outcome, or
    when it is to write the next batch (outcome still None)."""

    __slots__ = ("data", "member_id", "outcome", "woken")

    def __init__(self, member_id: int | None, data: Any) -> None:
        self.member_id, self.data = member_id, data
        self.outcome: Any = None
        self.woken = threading.Event()  # a greenlet event once gevent patched threading


class _Group:
    """The events of one name waiting in this process, whether one of them is writing a
    batch, and the turn to write (taken by that one; tests hold it to gather a batch)."""

    def __init__(self) -> None:
        self.queue: list[_Waiting] = []
        self.writing = False
        self.queued = threading.Lock()  # guards `queue` and `writing` (threads, in tests)
        self.turn = threading.Lock()


_groups: dict[str, _Group] = {}


def held_together(name: str) -> Any:
    """The turn to write the events `name` written together (tests hold it)."""
    return _groups[name].turn


def waiting_together(name: str) -> int:
    """How many events `name` wait for their batch in this process (for tests)."""
    return len(_groups[name].queue)


def acknowledged_together(
    name: str,
    one: Callable[[Any, dict], dict | None],
    many: Callable[[list[tuple[Any, dict]]], list[dict | DomainError]],
) -> Callable:
    """Register a writing event like `acknowledged(name, writes=True)`, but the events of
    this process that arrive while one is being written are written together (group
    commit): the next batch's writer takes every event queued, checks each one's member,
    hands them all to `many` (one answer, or domain error, per event, in order) and
    commits once; each event is answered only after that commit. A single event goes
    through `one`, as with `acknowledged`; if the batch fails (say a unique constraint
    another process raced for), it is rolled back and each of its events written alone
    through `one`. Each event turns its outcome into its acknowledgement in its own
    context (its locale)."""
    group = _groups.setdefault(name, _Group())

    def run(data: Any = None) -> dict[str, Any]:
        waiting = _Waiting(connected_member_id(current_sid()), data)
        with group.queued:
            group.queue.append(waiting)
            writes, group.writing = not group.writing, True
        if not writes:
            waiting.woken.wait()
        if waiting.outcome is None:  # its turn to write the next batch (its own in it)
            _write_next_batch(group, name, one, many)
        return _acknowledgement(waiting.outcome)

    socketio.on_event(name, run)
    return run


def _write_next_batch(
    group: _Group,
    name: str,
    one: Callable[[Any, dict], dict | None],
    many: Callable[[list[tuple[Any, dict]]], list[dict | DomainError]],
) -> None:
    """Write every event queued, wake them, and hand the turn to the first event queued
    meanwhile (or leave it free)."""
    batch: list[_Waiting] = []
    try:
        with group.turn:
            time.sleep(0)  # (a greenlet switch) the events already received queue up
            with group.queued:
                batch, group.queue = group.queue, []
            _write_together(name, batch, one, many)
    finally:
        for waiting in batch:
            if waiting.outcome is None:
                waiting.outcome = _BROKEN
            waiting.woken.set()
        with group.queued:
            if group.queue:
                group.queue[0].woken.set()  # the next writer
            else:
                group.writing = False


def _write_together(
    name: str,
    batch: list[_Waiting],
    one: Callable[[Any, dict], dict | None],
    many: Callable[[list[tuple[Any, dict]]], list[dict | DomainError]],
) -> None:
    set_write_intent(True)
    with writer_turn(db.engine, db.session, True):
        ready = [(waiting, _checked_member(waiting)) for waiting in batch]
        ready = [(waiting, member) for waiting, member in ready if member is not None]
        if len(ready) > 1:
            try:
                outcomes = many([(member, waiting.data) for waiting, member in ready])
                db.session.commit()
            except Exception:
                db.session.rollback()
                log.info("socket events %s written together failed: one at a time", name)
                ready = [(waiting, _checked_member(waiting)) for waiting, _member in ready]
            else:
                for (waiting, _member), outcome in zip(ready, outcomes, strict=True):
                    waiting.outcome = {} if outcome is None else outcome
                return
        for waiting, member in ready:
            if member is not None:
                waiting.outcome = _written_alone(name, one, member, waiting.data)


def _checked_member(waiting: _Waiting) -> Any:
    """The event's member if it is signed in and active and its data is an object (else
    its outcome says why, and None)."""
    member = _load_member(waiting.member_id) if waiting.member_id else None
    if member is None or not member.is_active:
        waiting.outcome = _SIGN_IN
    elif not isinstance(waiting.data, dict):
        waiting.outcome = _NOT_AN_OBJECT
    return None if waiting.outcome is not None else member


def _written_alone(name: str, handler: Callable, member: Any, data: dict) -> Any:
    try:
        result = handler(member, data) or {}
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        return error
    except Exception:
        db.session.rollback()
        log.exception("socket event %s failed", name)
        return _BROKEN
    return result


def _acknowledgement(outcome: Any) -> dict[str, Any]:
    if isinstance(outcome, DomainError):
        return failure(outcome)
    if outcome == _SIGN_IN:
        return {"ok": False, "error": _("Please sign in"), "status": 401}
    if outcome == _NOT_AN_OBJECT:
        return {"ok": False, "error": _("Send an object with the event."), "status": 422}
    if isinstance(outcome, dict):
        return {"ok": True, **outcome}
    return {"ok": False, "error": _("Something went wrong on our side."), "status": 500}
