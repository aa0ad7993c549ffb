"""Every connected tab listens to the `feed` room (the live banner's "new items")."""

from typing import Any

from network.core import signals
from network.extensions import socketio
from network.feed.items import FEED_ROOM


def _listen_to_feed(member_id: int, sid: str, **_: Any) -> None:
    socketio.server.enter_room(sid, FEED_ROOM, namespace="/")


signals.socket_connected.connect(_listen_to_feed)
