"""Socket.IO connection: authenticated from the login session or an API token.

Every tab joins its member's `user:<id>` room; when the member's sessions end (logout,
password change, deactivation) the room is told and its connections are dropped.
"""

from typing import Any

from flask_login import current_user
from flask_socketio import join_room

from network.core import signals
from network.core.events import after_commit
from network.extensions import db, socketio


def _member_from_auth(auth: Any):
    from network.members.operations import member_for_token

    if getattr(current_user, "is_authenticated", False):
        return current_user
    if isinstance(auth, dict) and isinstance(auth.get("token"), str):
        found = member_for_token(auth["token"])
        return found[0] if found else None
    return None


def user_room(member_id: int) -> str:
    return f"user:{member_id}"


def end_member_connections(member_id: int) -> None:
    """Tell every tab of the member that its session ended, then close the room."""
    room = user_room(member_id)
    socketio.emit("session_ended", {}, to=room)
    socketio.close_room(room)


def register_socket_handlers() -> None:
    @socketio.on("connect")
    def _connect(auth: Any = None):
        member = _member_from_auth(auth)
        if member is None:
            raise ConnectionRefusedError("unauthorized")
        join_room(user_room(member.id))
        return True


def _on_sessions_revoked(member, **_: Any) -> None:
    after_commit(db.session, end_member_connections, member.id)


signals.sessions_revoked.connect(_on_sessions_revoked)
