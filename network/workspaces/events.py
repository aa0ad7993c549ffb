"""Socket.IO events of the workspaces: watch a space's availability.

`watch_space {space_id}` joins the room `space:<id>` and is acknowledged `{ok: true,
space_id}` or `{ok: false, error, status}`; `unwatch_space` leaves it. Every member may
watch any active space: the events say only which time range changed.
"""

from typing import Any

from flask import request
from flask_babel import gettext as _
from flask_socketio import join_room, leave_room

from network.core.database import set_write_intent
from network.core.errors import DomainError
from network.extensions import db, socketio
from network.members.events import connected_member_id
from network.members.models import Member
from network.workspaces import live, operations


def _answer(data: Any, join: bool) -> dict[str, Any]:
    set_write_intent(False)
    try:
        member_id = connected_member_id(request.sid)  # type: ignore[attr-defined]
        member = db.session.get(Member, member_id) if member_id else None
        if member is None or not member.is_active:
            return {"ok": False, "error": _("Please sign in"), "status": 401}
        if not isinstance(data, dict):
            return {"ok": False, "error": _("Send an object with the event."), "status": 422}
        try:
            space = operations.get_space(data.get("space_id"))
        except DomainError as error:
            return {"ok": False, "error": str(error.message), "status": error.status}
        (join_room if join else leave_room)(live.space_room(space.id))
        return {"ok": True, "space_id": space.id}
    finally:
        db.session.rollback()


def register_workspaces_handlers() -> None:
    socketio.on_event("watch_space", lambda data=None: _answer(data, True))
    socketio.on_event("unwatch_space", lambda data=None: _answer(data, False))
