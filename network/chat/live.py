"""What the chat tells connected clients, sent only once the change is committed.

Payloads are built when the change is made (the objects are fresh then); the emit waits for
the commit, and goes out in bursts when events come fast (`core.bursts`). Rooms:
`channel:<id>` for everyone listening to a channel, `user:<id>` for one member's tabs.
"""

from typing import Any

from flask import url_for

from network.core import realtime
from network.core.bursts import emit_in_burst
from network.core.events import after_commit
from network.core.realtime import channel_room, user_room
from network.extensions import db, socketio


def _emit_later(event: str, payload: dict[str, Any], room: str) -> None:
    after_commit(db.session, _emit_now, event, payload, room)


def _emit_now(event: str, payload: dict[str, Any], room: str) -> None:
    emit_in_burst(event, payload, room)


def _shown(message: Any) -> dict[str, Any]:
    """What a client shows of a message: the `message` event's fields."""
    return {
        "id": message.id,
        "channel_id": message.channel_id,
        "author": {"id": message.author_id, "name": message.author.display_name},
        "body_html": message.body_html,
        "created_at": message.created_at.isoformat(),
        "client_id": message.client_id,
        "thread_id": message.thread_id,
        "images": image_urls(message),
    }


def image_urls(message: Any) -> list[str]:
    """Where a message's images are served (to the channel's readers only)."""
    if not message.images:
        return []
    start = url_for("api.message_image", message_id=message.id, number=0)[:-1]
    return [f"{start}{n}" for n in range(len(message.images))]


def message_payload(message: Any, reactions: list[dict] | None = None) -> dict[str, Any]:
    """The whole message (API, acknowledgements, catch-up, edits)."""
    return _shown(message) | {
        "body": message.body,
        "edited_at": message.edited_at.isoformat() if message.edited_at else None,
        "deleted": message.deleted_at is not None,
        "reply_count": message.reply_count or 0,
        "reactions": reactions or [],
    }


def message_posted(
    message: Any, mentioned: list[int], everyone: bool, reply_count: int | None = None
) -> None:
    """The `message` event, to every listener: what a client shows of a new message (it has
    no edit, reply or reaction yet; the sender's acknowledgement and the API give the
    whole), with `mentions` and `everyone` only when there are some, and for a reply in a
    thread its root's new `root_reply_count`."""
    payload = _shown(message)
    if reply_count is not None:
        payload["root_reply_count"] = reply_count
    if mentioned:
        payload["mentions"] = mentioned
    if everyone:
        payload["everyone"] = True
    _emit_later("message", payload, channel_room(message.channel_id))


def message_edited(message: Any) -> None:
    _emit_later("message_edited", message_payload(message), channel_room(message.channel_id))


def message_deleted(message: Any, reply_count: int | None = None) -> None:
    """A tombstone; a deleted reply carries its thread root's new `root_reply_count`."""
    payload = {"id": message.id, "channel_id": message.channel_id, "thread_id": message.thread_id}
    if reply_count is not None:
        payload["root_reply_count"] = reply_count
    _emit_later("message_deleted", payload, channel_room(message.channel_id))


def reaction_changed(message: Any, member_id: int, emoji: str, added: bool, count: int) -> None:
    payload = {
        "message_id": message.id,
        "channel_id": message.channel_id,
        "member_id": member_id,
        "emoji": emoji,
        "added": added,
        "count": count,
    }
    _emit_later("reaction", payload, channel_room(message.channel_id))


def read_moved(member_id: int, channel_id: int) -> None:
    """Tell the member's tabs their unread counts for the channel (and their number of
    unread conversations) changed."""
    from network.chat.queries import unread_conversations, unread_counts

    unread, mentions, last_read = unread_counts(member_id, [channel_id]).get(channel_id, (0, 0, 0))
    payload = {
        "channel_id": channel_id,
        "unread": unread,
        "mentions": mentions,
        "last_read_id": last_read,
        "conversations": unread_conversations(member_id),  # the header's badge
    }
    _emit_later("unread", payload, user_room(member_id))


def channel_added(member_id: int, channel_id: int) -> None:
    _emit_later("channel_added", {"channel_id": channel_id}, user_room(member_id))


def member_joined(channel_id: int, member: Any) -> None:
    """The channel's listeners add the member to its list."""
    payload = {
        "channel_id": channel_id,
        "member": {"id": member.id, "name": member.display_name},
        "joined": True,
    }
    _emit_later("members_changed", payload, channel_room(channel_id))


def member_left(channel_id: int, member_id: int) -> None:
    payload = {"channel_id": channel_id, "member": {"id": member_id}, "joined": False}
    _emit_later("members_changed", payload, channel_room(channel_id))


def channel_changed(channel: Any) -> None:
    payload = {
        "channel_id": channel.id,
        "name": channel.name,
        "topic": channel.topic,
        "archived": channel.archived_at is not None,
    }
    _emit_later("channel_changed", payload, channel_room(channel.id))


def channel_removed(member_id: int, channel_id: int) -> None:
    """The member stops hearing the channel at once, on every process, then is told."""
    after_commit(db.session, _leave_everywhere, member_id, channel_id)


def _leave_everywhere(member_id: int, channel_id: int) -> None:
    for sid in realtime.registry().sids(member_id):
        socketio.server.leave_room(sid, channel_room(channel_id), namespace="/")
    socketio.emit("channel_removed", {"channel_id": channel_id}, to=user_room(member_id))
