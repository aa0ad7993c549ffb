"""Socket.IO events of the workspaces: watch a space's availability.

`watch_space {space_id}` joins the room `space:<id>` and is acknowledged `{ok: true,
space_id}` or `{ok: false, error, status}`; `unwatch_space` leaves it. Every member may
watch any active space: the events say only which time range changed.
"""

from flask_socketio import join_room, leave_room

from network.core.realtime import acknowledged
from network.members.models import Member
from network.workspaces import live, operations


def register_workspaces_handlers() -> None:
    @acknowledged("watch_space")
    def _watch(member: Member, data: dict) -> dict:
        space = operations.get_space(data.get("space_id"))
        join_room(live.space_room(space.id))
        return {"space_id": space.id}

    @acknowledged("unwatch_space")
    def _unwatch(member: Member, data: dict) -> dict:
        space = operations.get_space(data.get("space_id"))
        leave_room(live.space_room(space.id))
        return {"space_id": space.id}
