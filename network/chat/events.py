"""Socket.IO events of the chat: join, leave, send, typing, read, presence.

Every client event is answered by an acknowledgement `{ok: true, ...}` or
`{ok: false, error, status}`. Membership is checked on every join and every send.
"""

import logging
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_socketio import emit, join_room, leave_room

from network.chat import live, operations, presence, queries
from network.chat.models import ChannelKind
from network.chat.permissions import may_post
from network.core import signals
from network.core.errors import DomainError, Invalid
from network.core.ids import is_id
from network.core.realtime import (
    acknowledged,
    acknowledged_together,
    channel_room,
    current_sid,
    user_room,
)
from network.extensions import socketio
from network.members.models import Member

log = logging.getLogger(__name__)
CATCH_UP = 200  # messages returned on a rejoin; the client pages for more


def register_chat_handlers() -> None:
    @acknowledged("join")
    def _join(member: Member, data: dict) -> dict:
        channel, membership = operations.readable_channel(member, data.get("channel_id"))
        join_room(channel_room(channel.id))
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
        leave_room(channel_room(channel.id))
        return {"channel_id": channel.id}

    def _send(member: Member, data: dict) -> dict:
        channel, membership = operations.readable_channel(member, data.get("channel_id"))
        message, created = operations.post_message(
            member,
            channel,
            data.get("body"),
            data.get("client_id"),
            data.get("thread_id"),
            membership=membership,
        )
        return {"message": live.message_payload(message), "duplicate": not created}

    def _send_together(sends: list[tuple[Member, dict]]) -> list[dict | DomainError]:
        return [
            outcome
            if isinstance(outcome, DomainError)
            else {"message": live.message_payload(outcome[0]), "duplicate": not outcome[1]}
            for outcome in operations.post_messages(sends)
        ]

    # The sends of many connections at once are written in one transaction (group commit).
    acknowledged_together("send", _send, _send_together)

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
        emit("typing", payload, to=channel_room(channel.id), include_self=False)
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
        presence.set_away(member.id, current_sid(), status == presence.AWAY)
        _announce_if_changed(member.id, before)
        return {"status": presence.status_of(member.id)}


def _announce_if_changed(
    member_id: int, before: str | None, leaving_sid: str | None = None
) -> None:
    """Tell the member's channels their new status (always when `before` is None).

    A connection that is closing (`leaving_sid`) is still in its rooms: it is skipped, since a
    frame queued to it could reach the browser after the WebSocket's close frame.
    """
    now = presence.status_of(member_id)
    if now == before:
        return
    payload = {"member_id": member_id, "status": now}
    for channel_id in queries.member_channel_ids(member_id):
        socketio.emit("presence", payload, to=channel_room(channel_id), skip_sid=leaving_sid)
    socketio.emit("presence", payload, to=user_room(member_id), skip_sid=leaving_sid)


def _on_connected(member_id: int, sid: str, **_: Any) -> None:
    _announce_if_changed(member_id, None)  # a new tab is in use: online


def _on_disconnected(member_id: int, sid: str, **_: Any) -> None:
    presence.forget(member_id, sid)
    _announce_if_changed(member_id, presence.ONLINE, leaving_sid=sid)


signals.socket_connected.connect(_on_connected)
signals.socket_disconnected.connect(_on_disconnected)
