"""Every connected tab listens to the `feed` room (the live banner's "new items")."""

from typing import Any

from network.core import signals
from network.core.realtime import FEED_ROOM
from network.extensions import socketio


def _listen_to_feed(member_id: int, sid: str, **_: Any) -> None:
    socketio.server.enter_room(sid, FEED_ROOM, namespace="/")


signals.socket_connected.connect(_listen_to_feed)
