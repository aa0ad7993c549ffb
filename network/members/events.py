"""Socket.IO connection: authenticated from the login session or an API token.

Every tab joins its member's `user:<id>` room. When the member's sessions end (logout,
password change, deactivation) or the connection's token is revoked, the server tells the
tab (`session_ended`) and disconnects it.
"""

from typing import Any

from flask import current_app
from flask_login import current_user
from flask_socketio import join_room

from network.core import realtime, signals
from network.core.database import set_write_intent, write_intent
from network.core.events import after_commit
from network.extensions import db, socketio
from network.members.kept import forget_member


def _authenticate(auth: Any) -> tuple[Any, int | None]:
    from network.members.operations import member_for_token

    if getattr(current_user, "is_authenticated", False):
        return current_user, None
    if isinstance(auth, dict) and isinstance(auth.get("token"), str):
        found = member_for_token(auth["token"])
        if found:
            return found[0], found[1].id
    return None, None


def register_socket_handlers() -> None:
    @socketio.on("connect")
    def _connect(auth: Any = None):
        set_write_intent(False)  # reads only: never hold SQLite's write lock across Redis calls
        member, token_id = _authenticate(auth)
        if member is None:
            raise ConnectionRefusedError("unauthorized")
        join_room(realtime.user_room(member.id))
        realtime.remember_connection(realtime.current_sid(), member.id, token_id)
        signals.socket_connected.send(member.id, sid=realtime.current_sid())
        return True

    @socketio.on("disconnect")
    def _disconnect(*_: Any) -> None:
        sid = realtime.current_sid()
        member_id = realtime.forget_connection(sid)
        if member_id is None:
            return
        # On a session of its own: the server may close a connection from inside another
        # event's work or commit (`end_connections` after a revocation, an emit to a
        # connection whose pings stopped), whose session must not be read or ended here.
        with current_app.app_context(), write_intent(False):
            forget_member(member_id)
            signals.socket_disconnected.send(member_id, sid=sid)


def _on_sessions_revoked(member, tokens_too: bool, **_: Any) -> None:
    after_commit(db.session, realtime.end_connections, member.id, sessions_only=not tokens_too)


def _on_token_revoked(member, token_id: int, **_: Any) -> None:
    after_commit(db.session, realtime.end_connections, member.id, token_id)


signals.sessions_revoked.connect(_on_sessions_revoked)
signals.token_revoked.connect(_on_token_revoked)
