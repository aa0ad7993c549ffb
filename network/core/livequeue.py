"""The live message queue (Redis, with `REDIS_URL`) and whether it carries messages.

Flask-SocketIO's Redis manager, watched: the serving process publishes a probe every
`LIVE_CHECK_SECONDS` and listens for it to come back. When none came back for three of those
(at least 3 s: Redis stopped, unreachable), this process's tabs are told (`live_status`
`{ok: false}`: "live updates are interrupted: reconnecting…") and pages render that notice;
when it comes back, they are told again (`{ok: true}`). Meanwhile events still reach this
process's own tabs (the manager delivers locally before it publishes); those of other
processes are lost, and pages, the API and every write keep working. The manager's listener
retries every second instead of backing off up to a minute, so live updates resume by
themselves soon after Redis is back.
"""

import logging
import time
from typing import Any

import socketio as python_socketio
from flask import Flask

from network.extensions import socketio

log = logging.getLogger(__name__)
PROBE_EVENT = "terreau:probe"
PROBE_ROOM = "terreau:probe"  # nobody joins it: probes are never delivered to a tab
LISTEN_RETRY_SECONDS = 1.0
MIN_SILENCE_SECONDS = 3.0  # a busy process may answer its probe late: not an outage
_live_ok = True


def live_updates_ok() -> bool:
    """Whether this process's live events reach the other processes (always, without Redis)."""
    return _live_ok


class WatchedRedisManager(python_socketio.RedisManager):
    """The Redis manager that notices its own probes coming back through the queue."""

    def __init__(self, url: str, **kwargs: Any) -> None:
        super().__init__(url, **kwargs)
        self.probe_host = f"probe-{self.host_id}"  # not our host id: the listener skips those
        self.last_heard = time.monotonic()
        self._probe_redis: Any = None
        self.watched = False

    def _handle_emit(self, message: dict[str, Any]) -> None:
        if message.get("event") == PROBE_EVENT:
            if message.get("host_id") == self.probe_host:
                self.last_heard = time.monotonic()
            return
        super()._handle_emit(message)

    def probe(self) -> None:
        """Publish one probe (quietly: the state change is what gets logged)."""
        import redis

        message = {
            "method": "emit",
            "event": PROBE_EVENT,
            "data": [time.time()],
            "namespace": "/",
            "room": PROBE_ROOM,
            "host_id": self.probe_host,
        }
        try:
            if self._probe_redis is None:
                self._probe_redis = redis.Redis.from_url(
                    self.redis_url, socket_connect_timeout=1, socket_timeout=1
                )
            self._probe_redis.publish(self.channel, self.json.dumps(message))
        except redis.RedisError:
            pass

    def _redis_listen_with_retries(self):  # type: ignore[no-untyped-def]
        """Listen; after a failure, connect again every second (upstream doubles up to 60 s)."""
        while True:
            try:
                self._redis_connect()
                self.pubsub.subscribe(self.channel)
                yield from self.pubsub.listen()
            except Exception as error:  # noqa: BLE001 — any failure: reconnect
                log.debug("live message queue listener: %s", error)
                self.connected = False
                time.sleep(LISTEN_RETRY_SECONDS)


def socketio_options(app: Flask) -> dict[str, Any]:
    """The options of `socketio.init_app` that choose the message queue (always given: the
    extension keeps the options of an earlier app)."""
    url = app.config["REDIS_URL"]
    if not url:
        return {"client_manager": None}  # the in-process default
    return {"client_manager": WatchedRedisManager(url, channel="flask-socketio")}


def start_live_watch(app: Flask) -> None:
    """In the serving process (`python -m network` at start, a gunicorn worker at its first
    request): watch the queue and tell this process's tabs of changes. Once per process."""
    manager = socketio.server.manager if socketio.server else None
    if not isinstance(manager, WatchedRedisManager) or manager.watched:
        return
    manager.watched = True
    if not socketio.server.manager_initialized:
        socketio.server.manager_initialized = True
        manager.initialize()  # the listener starts now, not at the first connection
    socketio.start_background_task(_watch, manager, float(app.config["LIVE_CHECK_SECONDS"]))


def _watch(manager: WatchedRedisManager, every: float) -> None:
    global _live_ok
    silence = max(3 * every, MIN_SILENCE_SECONDS)
    manager.last_heard = time.monotonic()
    while True:
        manager.probe()
        socketio.sleep(every)
        heard = time.monotonic() - manager.last_heard < silence
        if heard != _live_ok:
            _live_ok = heard
            if heard:
                log.info("live message queue carries messages again")
            else:
                log.warning("live message queue unreachable: live updates are interrupted")
            socketio.server.emit("live_status", {"ok": heard}, namespace="/", ignore_queue=True)


def init_live_watch(app: Flask) -> None:
    """Start the watch at the first request of a serving process (not in tests' apps)."""
    if not app.config["REDIS_URL"] or app.testing:
        return

    @app.before_request
    def _watch_live_queue() -> None:
        start_live_watch(app)


def register_live_status_handler() -> None:
    """A tab asks on each (re)connection: `live_status` is answered `{ok}`."""
    socketio.on_event("live_status", lambda *_: {"ok": live_updates_ok()})
