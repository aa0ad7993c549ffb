"""Frames gathered for a WebSocket: written together at once, the rest by a waiting write
when the socket's buffer is full, dropped when it closed before they are written (seen
under load)."""

import errno
from types import SimpleNamespace

import gevent

from network.core.websocket import GatheredWritesWebSocket


class Socket:
    """A connection's socket that takes `room` bytes without waiting, then everything."""

    def __init__(self, room: int | None = None) -> None:
        self.room, self.sent = room, []

    def send(self, data: bytes, flags: int = 0, timeout: float | None = None) -> int:
        assert timeout == 0.0, "the write in gevent's loop must never wait"
        if self.room == 0:
            raise BlockingIOError(errno.EAGAIN, "full")
        taken = data if self.room is None else data[: self.room]
        self.sent.append(bytes(taken))
        return len(taken)

    def sendall(self, data: bytes) -> None:  # a greenlet's write, which may wait
        self.sent.append(bytes(data))


def gathered(raw_write, handler_socket=None) -> GatheredWritesWebSocket:
    socket = GatheredWritesWebSocket.__new__(GatheredWritesWebSocket)
    handler = SimpleNamespace(socket=handler_socket)
    socket._sock = SimpleNamespace(raw_write=raw_write, closed=False, handler=handler)
    socket._pending = []
    socket._flusher = None
    socket._planned = False
    return socket


def sent_by_the_loop(socket: GatheredWritesWebSocket, *messages: str) -> None:
    for message in messages:
        socket.send(message)
    gevent.sleep(0)  # the writer waits: gevent's loop runs the write
    if socket._flusher is not None:
        socket._flusher.join()


def test_frames_sent_together_go_out_in_one_system_call_without_a_greenlet():
    connection = Socket()
    socket = gathered(connection.sendall, connection)
    sent_by_the_loop(socket, "a", "b", "c")
    assert connection.sent == [b"\x81\x01a\x81\x01b\x81\x01c"]
    assert socket._pending == [] and not socket._planned


def test_what_a_full_socket_does_not_take_is_written_by_a_waiting_greenlet_in_order():
    connection = Socket(room=3)
    socket = gathered(connection.sendall, connection)
    sent_by_the_loop(socket, "a", "b", "c")
    assert connection.sent == [b"\x81\x01a", b"\x81\x01b\x81\x01c"]
    assert socket._flusher is None


def test_a_socket_full_at_once_leaves_everything_to_the_greenlet():
    connection = Socket(room=0)
    socket = gathered(connection.sendall, connection)
    sent_by_the_loop(socket, "a", "b")
    assert connection.sent == [b"\x81\x01a\x81\x01b"]


def test_a_socket_closed_before_the_loop_writes_drops_its_frames_and_is_marked_closed():
    socket = gathered(None, Socket())  # what gevent-websocket leaves once the connection closed
    sent_by_the_loop(socket, "a")
    assert socket._pending == []
    assert socket._sock.closed


def test_frames_go_out_in_one_write():
    written = []
    socket = gathered(written.append)
    socket._pending = [b"a", b"b"]
    socket._flush()
    assert written == [b"ab"]
    assert socket._flusher is None


def test_a_socket_closed_meanwhile_drops_its_frames_and_is_marked_closed():
    socket = gathered(None)  # what gevent-websocket leaves once the connection closed
    socket._pending = [b"a"]
    socket._flush()
    assert socket._pending == []
    assert socket._sock.closed
