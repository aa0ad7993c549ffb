"""Frames gathered for a WebSocket that closes before they are written (seen under load)."""

from types import SimpleNamespace

from network.core.websocket import GatheredWritesWebSocket


def gathered(raw_write) -> GatheredWritesWebSocket:
    socket = GatheredWritesWebSocket.__new__(GatheredWritesWebSocket)
    socket._sock = SimpleNamespace(raw_write=raw_write, closed=False)
    socket._pending = []
    socket._flusher = None
    return socket


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
