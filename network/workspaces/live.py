"""What the workspaces tell connected clients, sent only once the change is committed.

Room `space:<id>`: everyone looking at a space's availability (joined with `watch_space`).
The payload says which range changed; clients fetch the new availability themselves, so a
member never learns from the event who booked.
"""

from datetime import datetime

from network.cooperative.times import iso
from network.core.events import after_commit
from network.extensions import db, socketio


def space_room(space_id: int) -> str:
    return f"space:{space_id}"


def availability_changed(space_id: int, start: datetime, end: datetime) -> None:
    payload = {"space_id": space_id, "start": iso(start), "end": iso(end)}
    after_commit(
        db.session, socketio.emit, "availability_changed", payload, to=space_room(space_id)
    )
