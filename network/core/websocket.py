"""WebSocket frames written together under gevent.

Engine.IO's writer takes every packet queued for a connection at once, then sends them one
frame, one system call each: a burst of 15 live events to 500 connections was 7,500 writes,
each waking its receiver. Here the frames a writer sends without yielding are gathered and
written in one system call as soon as the writer waits again: by a callback of gevent's
loop, which writes what the socket takes at once without waiting (no greenlet: spawning one
per connection and per event cost a message alone sent to 500 connections about 14 ms more
than the stock writer, docs/benchmarks.md); only when the socket's buffer is full does a
greenlet wait to write the rest. The frames and their order are unchanged; only the writes
are fewer.
"""

import errno
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
        self._planned = False  # a callback will write what is pending

    def send(self, message: str | bytes) -> None:
        if self._sock.closed:
            raise WebSocketError("Socket is dead")
        self._pending.append(frame(message))
        if not self._planned and self._flusher is None:
            self._planned = True
            gevent.get_hub().loop.run_callback(self._write_pending)

    def _write_pending(self) -> None:
        """In gevent's loop, once the writer waits: what is pending in one system call that
        never waits; a greenlet writes what the socket did not take (its buffer was full)."""
        self._planned = False
        if self._flusher is not None or not self._pending:
            return  # a waiting write takes what is pending after it
        data, self._pending = b"".join(self._pending), []
        try:
            sent = _send_now(self._sock, data)
        except Exception:  # noqa: BLE001 - in gevent's loop: nothing may escape
            self._sock.closed = True  # the writer's next send fails and ends the connection
            return
        if sent < len(data):
            self._pending.insert(0, data[sent:])
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
        elif self._pending:
            self._flush()
        return super().close()


def _send_now(websocket: Any, data: bytes) -> int:
    """Write what the connection's socket takes without waiting; how many bytes."""
    if websocket.raw_write is None:  # gevent-websocket closed it while the frames waited
        raise OSError("the WebSocket is closed")
    try:
        return int(websocket.handler.socket.send(data, 0, timeout=0.0))
    except OSError as error:
        if error.errno in (errno.EAGAIN, errno.EWOULDBLOCK):
            return 0
        raise


def gather_websocket_writes(socketio: Any) -> None:
    """Make the Socket.IO server's connections write their queued frames together."""
    engine = socketio.server.eio
    engine._async = {**engine._async, "websocket": GatheredWritesWebSocket}
