"""Socket.IO events of the chat: join, leave, send, typing, read, presence.

Every client event is answered by an acknowledgement `{ok: true, ...}` or
`{ok: false, error, status}`. Membership is checked on every join and every send.
"""

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_socketio import emit, join_room, leave_room

from network.chat import live, operations, presence, queries
from network.chat.models import ChannelKind
from network.chat.permissions import may_post
from network.core import signals
from network.core.database import set_write_intent, writer_turn
from network.core.errors import DomainError, Invalid
from network.core.ids import is_id
from network.extensions import db, socketio
from network.members.events import connected_member_id
from network.members.models import Member

log = logging.getLogger(__name__)
CATCH_UP = 200  # messages returned on a rejoin; the client pages for more


def _sid() -> str:
    return request.sid  # type: ignore[attr-defined]  # set by Flask-SocketIO


def _failure(error: DomainError) -> dict[str, Any]:
    answer = {"ok": False, "error": str(error.message), "status": error.status}
    if error.fields:
        answer["fields"] = {key: str(value) for key, value in error.fields.items()}
    return answer


def acknowledged(name: str, *, writes: bool = False) -> Callable:
    """Register a handler(member, data) → dict answered as an acknowledgement."""

    def decorate(handler: Callable[[Member, dict], dict | None]) -> Callable:
        @wraps(handler)
        def run(data: Any = None) -> dict[str, Any]:
            set_write_intent(writes)  # before the first query: it opens the transaction
            with writer_turn(db.engine, db.session, writes):
                return answer(data)

        def answer(data: Any) -> dict[str, Any]:
            member_id = connected_member_id(_sid())
            member = db.session.get(Member, member_id) if member_id else None
            if member is None or not member.is_active:
                return {"ok": False, "error": _("Please sign in"), "status": 401}
            if not isinstance(data, dict):
                return {"ok": False, "error": _("Send an object with the event."), "status": 422}
            try:
                result = handler(member, data) or {}
                db.session.commit()
            except DomainError as error:
                db.session.rollback()
                return _failure(error)
            except Exception:  # never a stack trace to the client
                db.session.rollback()
                log.exception("chat event %s failed", name)
                return {"ok": False, "error": _("Something went wrong on our side."), "status": 500}
            return {"ok": True, **result}

        socketio.on_event(name, run)
        return run

    return decorate


def register_chat_handlers() -> None:
    @acknowledged("join")
    def _join(member: Member, data: dict) -> dict:
        channel, membership = operations.readable_channel(member, data.get("channel_id"))
        join_room(live.channel_room(channel.id))
        answer: dict[str, Any] = {"channel_id": channel.id, "member": membership is not None}
        if "after" in data:  # catching up after a reconnection
            page = queries.history(channel, after=data["after"], everything=True, limit=CATCH_UP)
            reactions = queries.reactions_for([m.id for m in page.messages], member.id)
            answer["messages"] = [
                live.message_payload(m, reactions.get(m.id)) for m in page.messages
            ]
            answer["more"] = page.newer is not None
        if channel.kind != ChannelKind.PUBLIC or membership is not None:
            ids = queries.member_ids(channel)
            answer["presence"] = {str(k): v for k, v in presence.statuses(ids).items()}
        return answer

    @acknowledged("leave")
    def _leave(member: Member, data: dict) -> dict:
        channel, _membership = operations.readable_channel(member, data.get("channel_id"))
        leave_room(live.channel_room(channel.id))
        return {"channel_id": channel.id}

    @acknowledged("send", writes=True)
    def _send(member: Member, data: dict) -> dict:
        channel, _membership = operations.readable_channel(member, data.get("channel_id"))
        message, created = operations.post_message(
            member, channel, data.get("body"), data.get("client_id"), data.get("thread_id")
        )
        return {"message": live.message_payload(message), "duplicate": not created}

    @acknowledged("typing")
    def _typing(member: Member, data: dict) -> dict:
        channel, membership = operations.readable_channel(member, data.get("channel_id"))
        if not may_post(member, channel, membership):
            return {"shown": False}
        payload = {
            "channel_id": channel.id,
            "member": {"id": member.id, "name": member.display_name},
            "thread_id": data.get("thread_id") if is_id(data.get("thread_id")) else None,
        }
        emit("typing", payload, to=live.channel_room(channel.id), include_self=False)
        return {"shown": True}

    @acknowledged("read", writes=True)
    def _read(member: Member, data: dict) -> dict:
        channel, _membership = operations.readable_channel(member, data.get("channel_id"))
        membership = operations.mark_read(member, channel, data.get("message_id"))
        return {"channel_id": channel.id, "last_read_id": membership.last_read_id}

    @acknowledged("presence")
    def _presence(member: Member, data: dict) -> dict:
        status = data.get("status")
        if status not in (presence.ONLINE, presence.AWAY):
            raise Invalid(fields={"status": _l("Choose online or away.")})
        before = presence.status_of(member.id)
        presence.set_away(member.id, _sid(), status == presence.AWAY)
        _announce_if_changed(member.id, before)
        return {"status": presence.status_of(member.id)}


def _announce_if_changed(member_id: int, before: str | None) -> None:
    """Tell the member's channels their new status (always when `before` is None)."""
    now = presence.status_of(member_id)
    if now == before:
        return
    payload = {"member_id": member_id, "status": now}
    for channel_id in queries.member_channel_ids(member_id):
        socketio.emit("presence", payload, to=live.channel_room(channel_id))
    socketio.emit("presence", payload, to=live.user_room(member_id))


def _on_connected(member_id: int, sid: str, **_: Any) -> None:
    _announce_if_changed(member_id, None)  # a new tab is in use: online


def _on_disconnected(member_id: int, sid: str, **_: Any) -> None:
    presence.forget(member_id, sid)
    _announce_if_changed(member_id, presence.ONLINE)


signals.socket_connected.connect(_on_connected)
signals.socket_disconnected.connect(_on_disconnected)
