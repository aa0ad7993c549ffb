"""What of the chat the search finds: messages, readable by the channel's audience.

A public channel's messages are for every member; a private channel's or a direct
conversation's only for its members (audience "channel:<id>"), and every hit is re-checked.
"""

from collections.abc import Iterator
from typing import Any

from flask import g, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from network.chat.models import Channel, ChannelKind, ChannelMember, Message
from network.chat.permissions import may_read
from network.chat.queries import member_channel_ids
from network.core.database import by_id
from network.core.markup import html_text, markdown_text
from network.core.registries import (
    MEMBERS,
    Document,
    SearchKind,
    held_for_index,
    register_audience_provider,
    register_search_kind,
)
from network.extensions import db


def channel_audience(channel: Channel) -> str:
    return MEMBERS if channel.kind == ChannelKind.PUBLIC else f"channel:{channel.id}"


def _load(ids: list[int]) -> dict[int, Message]:
    """Messages by id, with their authors and channels (a message just posted or edited is
    already at hand: no query)."""
    held = held_for_index(Message)
    found = {i: held[i] for i in ids if i in held}
    missing = [i for i in ids if i not in held]
    if missing:
        query = select(Message).options(joinedload(Message.author), joinedload(Message.channel))
        found.update(by_id(db.session, Message, missing, query))
    return found


def _documents(ids: list[int]) -> Iterator[Document]:
    for message in _load(ids).values():
        if message.is_deleted:
            continue
        channel = message.channel
        place = channel.name or str(_l("Direct conversation"))
        yield Document(
            "message",
            message.id,
            channel_audience(channel),
            f"{message.author.display_name} · {place}",
            body=html_text(message.body_html) or markdown_text(message.body),
        )


def _all_ids() -> list[int]:
    return list(db.session.scalars(select(Message.id).where(Message.deleted_at.is_(None))))


def _my_channel_ids(viewer: Any) -> set[int]:
    """The viewer's channels, asked once per request (every hit is re-checked)."""
    key = f"terreau_chat_channels_{viewer.id}"
    if key not in g:
        setattr(g, key, set(member_channel_ids(viewer.id)))
    return getattr(g, key)


def _visible(viewer: Any, message: Message) -> bool:
    if message.is_deleted:
        return False
    member = message.channel_id in _my_channel_ids(viewer)
    return may_read(viewer, message.channel, member)


def _channels_of(viewer: Any) -> set[str]:
    rows = db.session.scalars(
        select(ChannelMember.channel_id)
        .join(Channel, Channel.id == ChannelMember.channel_id)
        .where(ChannelMember.member_id == viewer.id, Channel.kind != ChannelKind.PUBLIC)
    )
    return {f"channel:{channel_id}" for channel_id in rows}


register_search_kind(
    SearchKind(
        "message",
        _l("Messages"),
        _documents,
        _all_ids,
        _load,
        _visible,
        lambda message: url_for("chat.permalink", message_id=message.id),
    )
)
register_audience_provider(_channels_of)
