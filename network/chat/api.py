"""/api/v1 routes of the chat: channels, members, direct conversations, messages."""

from typing import Any

from flask import request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from network.api.core import (
    BOOLEAN,
    DATE_TIME,
    FLAG,
    INTEGER,
    STRING,
    bp,
    doc,
    items_of,
    json_body,
    limit_param,
    obj,
    query_param,
)
from network.chat import live, operations, queries
from network.chat.models import Channel, ChannelMember
from network.chat.permissions import may_manage, may_post
from network.chat.views import uploads
from network.core.errors import NotFound
from network.core.ids import ID_SCHEMA, parse_id
from network.core.images import send_image
from network.extensions import db

CHANNEL_SCHEMA = {
    "type": "object",
    "properties": {
        "id": INTEGER,
        "kind": {"type": "string", "enum": ["public", "private", "direct"]},
        "name": STRING,
        "title": STRING,
        "topic": STRING,
        "description": STRING,
        "announcement": {"type": "boolean"},
        "auto_join": {"type": "boolean", "description": "every new member joins it"},
        "archived": BOOLEAN,
        "member": {"type": "boolean"},
        "role": {"type": ["string", "null"]},
        "can_post": {"type": "boolean"},
        "can_manage": {"type": "boolean"},
        "unread": {"type": "integer", "description": "unread messages by others, up to 100"},
        "mentions": INTEGER,
        "last_read_id": INTEGER,
        "last_message_id": INTEGER,
        "url": STRING,
    },
}
MESSAGE_SCHEMA = {
    "type": "object",
    "properties": {
        "id": INTEGER,
        "channel_id": INTEGER,
        "author": {"type": "object", "properties": {"id": INTEGER, "name": STRING}},
        "body": STRING,
        "body_html": STRING,
        "created_at": DATE_TIME,
        "edited_at": {"type": ["string", "null"], "format": "date-time"},
        "deleted": {"type": "boolean"},
        "client_id": STRING,
        "thread_id": {"type": ["integer", "null"]},
        "images": {"type": "array", "items": STRING, "description": "the images' addresses"},
        "reply_count": INTEGER,
        "reactions": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"emoji": STRING, "count": INTEGER, "mine": {"type": "boolean"}},
            },
        },
    },
}
ITEMS_OF_CHANNELS = items_of(CHANNEL_SCHEMA)
EMOJI_PATH = {"emoji": {"type": "string", "enum": list(operations.EMOJI)}}


def channel_json(
    channel: Channel, membership: ChannelMember | None, title: str | None = None
) -> dict[str, Any]:
    counts = (
        queries.unread_counts(current_user.id, [channel.id]).get(channel.id, (0, 0, 0))
        if membership
        else (0, 0, 0)
    )
    if title is None:
        title = (
            queries.direct_titles([channel.id], current_user.id)[channel.id]
            if channel.is_direct
            else channel.name
        )
    return {
        "id": channel.id,
        "kind": channel.kind.value,
        "name": channel.name,
        "title": title,
        "topic": channel.topic,
        "description": channel.description,
        "announcement": channel.announcement,
        "auto_join": channel.auto_join,
        "archived": channel.is_archived,
        "member": membership is not None,
        "role": membership.role.value if membership else None,
        "can_post": may_post(current_user, channel, membership),
        "can_manage": may_manage(current_user, channel, membership),
        "unread": counts[0],
        "mentions": counts[1],
        "last_read_id": counts[2],
        "last_message_id": channel.last_message_id,
        "url": url_for("chat.channel", channel_id=channel.id),
    }


def _summary_json(summary: queries.ChannelSummary) -> dict[str, Any]:
    data = channel_json(summary.channel, summary.membership, summary.title)
    return data


@bp.get("/channels")
@doc(
    "My channels and conversations with unread counts; with public=1, the public channels",
    params=[
        query_param(
            "public",
            "1: browse the public channels instead",
            FLAG,
        )
    ],
    response=ITEMS_OF_CHANNELS,
)
def list_channels():
    if request.args.get("public") == "1":
        rows = queries.public_channels(current_user)
        items = []
        for channel, members, joined in rows:
            membership = operations.membership_of(channel.id, current_user.id) if joined else None
            items.append(channel_json(channel, membership) | {"members": members})
        return {"items": items}
    return {"items": [_summary_json(s) for s in queries.my_channels(current_user)]}


@bp.post("/channels")
@doc(
    "Create a public or private channel (announcement channels: staff only)",
    status=201,
    request_schema={
        "type": "object",
        "required": ["name"],
        "properties": {
            "name": {"type": "string", "maxLength": 80},
            "kind": {"type": "string", "enum": ["public", "private"]},
            "topic": {"type": "string", "maxLength": 250},
            "description": {"type": "string", "maxLength": 2000},
            "announcement": {"type": "boolean"},
            "member_ids": {"type": "array", "items": INTEGER},
        },
    },
    response=CHANNEL_SCHEMA,
    errors=(403, 409, 422),
)
def create_channel():
    channel = operations.create_channel(current_user, json_body())
    db.session.commit()
    return channel_json(channel, operations.membership_of(channel.id, current_user.id)), 201


@bp.get("/channels/<int:channel_id>")
@doc(
    "A channel, with its members and their roles",
    response={
        "allOf": [
            CHANNEL_SCHEMA,
            {
                "type": "object",
                "properties": {
                    "members": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {"id": INTEGER, "name": STRING, "role": STRING},
                        },
                    }
                },
            },
        ]
    },
    errors=(404,),
)
def get_channel(channel_id: int):
    channel, membership = operations.readable_channel(current_user, channel_id)
    members = [
        {"id": m.id, "name": m.display_name, "role": cm.role.value}
        for m, cm in queries.channel_members(channel)
    ]
    return channel_json(channel, membership) | {"members": members}


@bp.get("/channels/<int:channel_id>/mentions")
@doc(
    "Members of the channel to mention: those whose name or one of its words starts with q "
    "(at most 8, by name; the composer's @ suggestions)",
    params=[query_param("q", "the start of a name, with or without the @", STRING)],
    response=items_of(obj(id=INTEGER, name=STRING, mention=STRING)),
    errors=(404, 422),
)
def mention_choices(channel_id: int):
    channel, _membership = operations.readable_channel(current_user, channel_id)
    found = queries.mention_choices(channel, request.args.get("q", ""))
    return {
        "items": [
            {"id": m.id, "name": m.display_name, "mention": f"@{m.display_name}"} for m in found
        ]
    }


@bp.patch("/channels/<int:channel_id>")
@doc(
    "Rename, describe, archive or unarchive a channel (owners and staff); staff mark a "
    "public channel as joined by every new member (auto_join)",
    request_schema={
        "type": "object",
        "properties": {
            "name": STRING,
            "topic": STRING,
            "description": STRING,
            "archived": BOOLEAN,
            "auto_join": BOOLEAN,
        },
    },
    response=CHANNEL_SCHEMA,
    errors=(403, 404, 409, 422),
)
def update_channel(channel_id: int):
    channel, membership = operations.readable_channel(current_user, channel_id)
    operations.update_channel(current_user, channel, json_body())
    db.session.commit()
    return channel_json(channel, membership)


@bp.post("/channels/<int:channel_id>/members")
@doc(
    "Join a public channel (your own id), or invite a member (owners and staff)",
    status=201,
    request_schema={
        "type": "object",
        "required": ["member_id"],
        "properties": {"member_id": INTEGER},
    },
    response=obj(member_id=INTEGER, role=STRING),
    errors=(403, 404, 409, 422),
)
def add_channel_member(channel_id: int):
    channel, _membership = operations.readable_channel(current_user, channel_id)
    membership = operations.add_member(current_user, channel, json_body().get("member_id"))
    db.session.commit()
    return {"member_id": membership.member_id, "role": membership.role.value}, 201


@bp.delete("/channels/<int:channel_id>/members/<int:member_id>")
@doc(
    "Leave a channel (your own id), or remove a member (owners and staff)",
    status=204,
    errors=(403, 404),
)
def remove_channel_member(channel_id: int, member_id: int):
    channel, _membership = operations.readable_channel(current_user, channel_id)
    operations.remove_member(current_user, channel, member_id)
    db.session.commit()
    return "", 204


@bp.patch("/channels/<int:channel_id>/members/<int:member_id>")
@doc(
    "Change a member's role in the channel: owner, poster (may post in an announcement "
    "channel) or member (owners and staff)",
    request_schema={
        "type": "object",
        "required": ["role"],
        "properties": {"role": {"type": "string", "enum": ["owner", "poster", "member"]}},
    },
    response=obj(member_id=INTEGER, role=STRING),
    errors=(403, 404, 422),
)
def set_channel_member_role(channel_id: int, member_id: int):
    channel, _membership = operations.readable_channel(current_user, channel_id)
    membership = operations.set_role(current_user, channel, member_id, json_body().get("role"))
    db.session.commit()
    return {"member_id": membership.member_id, "role": membership.role.value}


@bp.post("/direct")
@doc(
    "Open the direct conversation with these members (created when new)",
    request_schema={
        "type": "object",
        "required": ["member_ids"],
        "properties": {"member_ids": {"type": "array", "items": INTEGER, "maxItems": 9}},
    },
    response=CHANNEL_SCHEMA,
    status=201,
    also={200: "The conversation already existed"},
    errors=(422,),
)
def open_direct():
    channel, created = operations.open_direct(current_user, json_body().get("member_ids"))
    db.session.commit()
    membership = operations.membership_of(channel.id, current_user.id)
    return channel_json(channel, membership), 201 if created else 200


def messages_json(messages: list, viewer_id: int) -> list[dict[str, Any]]:
    reactions = queries.reactions_for([m.id for m in messages], viewer_id)
    return [live.message_payload(m, reactions.get(m.id)) for m in messages]


@bp.get("/channels/<int:channel_id>/messages")
@doc(
    "A page of a channel's messages, oldest first: the latest, or before/after a message id",
    params=[
        query_param("before", "messages older than this id", ID_SCHEMA),
        query_param("after", "messages newer than this id", ID_SCHEMA),
        query_param("around", "messages around this id (a link to a message)", ID_SCHEMA),
        query_param("thread", "the replies of this thread instead", ID_SCHEMA),
        limit_param(queries.PAGE, 200),
    ],
    response={
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": MESSAGE_SCHEMA},
            "before": {"type": ["integer", "null"]},
            "after": {"type": ["integer", "null"]},
        },
    },
    errors=(404, 422),
)
def list_messages(channel_id: int):
    channel, _membership = operations.readable_channel(current_user, channel_id)
    thread_id = None
    if request.args.get("thread"):
        root, _c, _m = operations.readable_message(
            current_user, parse_id(request.args.get("thread", ""))
        )
        thread_id = root.id
    page = queries.history(
        channel,
        before=request.args.get("before"),
        after=request.args.get("after"),
        around=request.args.get("around"),
        thread_id=thread_id,
        limit=request.args.get("limit"),
    )
    return {
        "items": messages_json(page.messages, current_user.id),
        "before": page.older,
        "after": page.newer,
    }


@bp.post("/channels/<int:channel_id>/messages")
@doc(
    "Post a message (delivered live); sending again with the same client_id returns it. "
    "JSON, or multipart with up to 4 `images` (PNG, JPEG, WebP; the text may then be empty)",
    status=201,
    request_schema={
        "type": "object",
        "required": ["body", "client_id"],
        "properties": {
            "body": {"type": "string", "maxLength": operations.MAX_BODY},
            "client_id": {"type": "string", "maxLength": 64},
            "thread_id": {"type": "integer"},
        },
    },
    response=MESSAGE_SCHEMA,
    also={200: "Already posted with this client_id: the message as it is"},
    errors=(403, 404, 409, 422, 429),
)
def post_message(channel_id: int):
    files: list[bytes] = []
    if request.mimetype == "multipart/form-data":
        body: dict[str, Any] = dict(request.form)
        if body.get("thread_id"):
            body["thread_id"] = parse_id(body["thread_id"]) or body["thread_id"]
        files = uploads()
    else:
        body = json_body()
    channel, _membership = operations.readable_channel(current_user, channel_id)
    message, created = operations.post_message(
        current_user,
        channel,
        body.get("body"),
        body.get("client_id"),
        body.get("thread_id"),
        files,
    )
    db.session.commit()
    return messages_json([message], current_user.id)[0], 201 if created else 200


@bp.get("/messages/<int:message_id>/images/<int:number>")
@doc(
    "One of a message's images (WebP), for those who may read its channel",
    response={"type": "string", "format": "binary"},
    errors=(404,),
)
def message_image(message_id: int, number: int):
    message, _channel, _membership = operations.readable_message(current_user, message_id)
    if number >= len(message.images or []):
        raise NotFound(_l("This image does not exist."))
    return send_image(f"{message.images[number]}-full.webp")


@bp.patch("/messages/<int:message_id>")
@doc(
    "Edit your message (the earlier version is kept)",
    request_schema={"type": "object", "required": ["body"], "properties": {"body": STRING}},
    response=MESSAGE_SCHEMA,
    errors=(403, 404, 409, 410, 422),
)
def edit_message(message_id: int):
    message = operations.edit_message(current_user, message_id, json_body().get("body"))
    db.session.commit()
    return messages_json([message], current_user.id)[0]


@bp.delete("/messages/<int:message_id>")
@doc("Delete a message (a tombstone stays)", status=204, errors=(403, 404, 409, 410))
def delete_message(message_id: int):
    operations.delete_message(current_user, message_id)
    db.session.commit()
    return "", 204


@bp.get("/messages/<int:message_id>/edits")
@doc(
    "The earlier versions of a message, newest first",
    response=items_of(obj(body=STRING, written_at=DATE_TIME)),
    errors=(404,),
)
def message_edits(message_id: int):
    message, _channel, _membership = operations.readable_message(current_user, message_id)
    return {
        "items": [
            {"body": e.body, "written_at": e.written_at.isoformat()}
            for e in queries.edits_of(message)
        ]
    }


@bp.put("/messages/<int:message_id>/reactions/<emoji>")
@doc(
    "React to a message (idempotent)",
    path=EMOJI_PATH,
    response=obj(emoji=STRING, count=INTEGER),
    errors=(403, 404, 409, 410, 422),
)
def add_reaction(message_id: int, emoji: str):
    count = operations.set_reaction(current_user, message_id, emoji, True)
    db.session.commit()
    return {"emoji": emoji, "count": count}


@bp.delete("/messages/<int:message_id>/reactions/<emoji>")
@doc(
    "Take your reaction back (idempotent)",
    path=EMOJI_PATH,
    response=obj(emoji=STRING, count=INTEGER),
    errors=(403, 404, 409, 410, 422),
)
def remove_reaction(message_id: int, emoji: str):
    count = operations.set_reaction(current_user, message_id, emoji, False)
    db.session.commit()
    return {"emoji": emoji, "count": count}


@bp.post("/channels/<int:channel_id>/read")
@doc(
    "Move your last-read marker forward to a message",
    request_schema={
        "type": "object",
        "required": ["message_id"],
        "properties": {"message_id": INTEGER},
    },
    response=CHANNEL_SCHEMA,
    errors=(404, 422),
)
def mark_read(channel_id: int):
    channel, _membership = operations.readable_channel(current_user, channel_id)
    membership = operations.mark_read(current_user, channel, json_body().get("message_id"))
    db.session.commit()
    return channel_json(channel, membership)
