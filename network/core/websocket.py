"""WebSocket frames written together under gevent.

Engine.IO's writer takes every packet queued for a connection at once, then sends them one
frame, one system call each: a burst of 15 live events to 500 connections was 7,500 writes,
each waking its receiver. Here the frames a writer sends without yielding are gathered and
written in one `sendall`, by a flusher greenlet that runs as soon as the writer waits again.
The frames and their order are unchanged; only the writes are fewer.
"""

from typing import Any

import gevent
from engineio.async_drivers.gevent import WebSocketWSGI
from geventwebsocket.exceptions import WebSocketError
from geventwebsocket.websocket import Header, WebSocket

TEXT, BINARY = WebSocket.OPCODE_TEXT, WebSocket.OPCODE_BINARY


def frame(message: str | bytes) -> bytes:
    """One unmasked, final WebSocket frame (a server's) holding `message`."""
    if isinstance(message, str):
        payload, opcode = message.encode(), TEXT
    else:
        payload, opcode = bytes(message), BINARY
    return Header.encode_header(True, opcode, b"", len(payload), 0) + payload


class GatheredWritesWebSocket(WebSocketWSGI):
    """Engine.IO's gevent WebSocket, whose sends are gathered into one write per wake-up."""

    def __init__(self, handler: Any, server: Any) -> None:
        super().__init__(handler, server)
        self._pending: list[bytes] = []
        self._flusher: gevent.Greenlet | None = None

    def send(self, message: str | bytes) -> None:
        if self._sock.closed:
            raise WebSocketError("Socket is dead")
        self._pending.append(frame(message))
        if self._flusher is None:
            self._flusher = gevent.spawn(self._flush)

    def _flush(self) -> None:
        try:
            while self._pending:  # frames queued while a write waited go in the next one
                data, self._pending = b"".join(self._pending), []
                write = self._sock.raw_write
                if write is None:  # gevent-websocket closed it while the frames waited
                    raise OSError("the WebSocket is closed")
                write(data)
        except OSError:
            self._pending = []
            self._sock.closed = True  # the writer's next send fails and ends the connection
        finally:
            self._flusher = None

    def close(self) -> Any:
        if self._flusher is not None:
            self._flusher.join()  # what was sent goes out before the close frame
        return super().close()


def gather_websocket_writes(socketio: Any) -> None:
    """Make the Socket.IO server's connections write their queued frames together."""
    engine = socketio.server.eio
    engine._async = {**engine._async, "websocket": GatheredWritesWebSocket}
