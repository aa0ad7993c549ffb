"""Live events in bursts under load, at once otherwise.

Delivering one event to a room costs a wake-up of every listener's connection (its writer
on the server, its reader on the client). When events come faster than one per `window`,
those that follow the first are held until the window ends and then sent together, in
order: each connection wakes once for the lot. An event after a quiet window goes out at
once, so a conversation at a human pace sees no delay; a busy channel sees at most `window`.
Measured in bench/chat_bench.py (docs/benchmarks.md, issue 4).
"""

import threading
import time
from typing import Any

from flask import Flask, current_app

from network.extensions import socketio


class Bursts:
    def __init__(self, window: float) -> None:
        self.window = window
        self._held: list[tuple[str, Any, str]] = []
        self._flush_planned = False
        self._last_sent = float("-inf")
        self._lock = threading.Lock()  # a greenlet lock under gevent: never held across I/O

    def emit(self, event: str, payload: Any, room: str) -> None:
        """Send `event` to `room` now, or with the next burst if one is being gathered."""
        with self._lock:
            now = time.monotonic()
            quiet = now - self._last_sent >= self.window
            if not self._flush_planned and quiet:
                self._last_sent = now
            else:
                self._held.append((event, payload, room))
                if not self._flush_planned:
                    self._flush_planned = True
                    wait = self._last_sent + self.window - now
                    socketio.start_background_task(self._flush_after, wait)
                return
        socketio.emit(event, payload, to=room)

    def _flush_after(self, wait: float) -> None:
        socketio.sleep(max(0.0, wait))
        with self._lock:
            held, self._held = self._held, []
            self._flush_planned = False
            self._last_sent = time.monotonic()
        for event, payload, room in held:
            socketio.emit(event, payload, to=room)


def init_bursts(app: Flask) -> None:
    app.extensions["terreau_bursts"] = Bursts(app.config["LIVE_BURST_MS"] / 1000)


def emit_in_burst(event: str, payload: Any, room: str) -> None:
    """`socketio.emit(event, payload, to=room)`, gathered with others under load."""
    bursts: Bursts = current_app.extensions["terreau_bursts"]
    if bursts.window <= 0:
        socketio.emit(event, payload, to=room)
    else:
        bursts.emit(event, payload, room)
