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
from network.members.models import Member


def channel_audience(channel: Channel) -> str:
    return _audience(channel.kind, channel.id)


def _audience(kind: ChannelKind, channel_id: int) -> str:
    return MEMBERS if kind == ChannelKind.PUBLIC else f"channel:{channel_id}"


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


def _document(
    message_id: int, audience: str, author: str, place: str, body_html: str, body: str
) -> Document:
    return Document(
        "message",
        message_id,
        audience,
        f"{author} · {place}",
        body=html_text(body_html) or markdown_text(body),
    )


def _documents(ids: list[int]) -> Iterator[Document]:
    for message in _load(ids).values():
        if message.is_deleted:
            continue
        channel = message.channel
        yield _document(
            message.id,
            channel_audience(channel),
            message.author.display_name,
            channel.name or str(_l("Direct conversation")),  # translated only when used
            message.body_html,
            message.body,
        )


BULK_BATCH = 2_000


def _all_documents() -> Iterator[Document]:
    """Every live message's document (as `_documents` of `_all_ids`), read as plain columns
    in one pass: a rebuild reads every message, and loading each with its author and channel
    as objects costs more than indexing it. Channels are read once, not with each message."""
    direct = str(_l("Direct conversation"))
    places = {
        channel_id: (_audience(kind, channel_id), name or direct)
        for channel_id, kind, name in db.session.execute(
            select(Channel.id, Channel.kind, Channel.name)
        )
    }
    rows = db.session.execute(
        select(
            Message.id,
            Message.channel_id,
            Member.display_name,
            Message.body_html,
            Message.body,
        )
        .join(Member, Member.id == Message.author_id)
        .where(Message.deleted_at.is_(None))
        .order_by(Message.id)
        .execution_options(yield_per=BULK_BATCH)
    )
    for message_id, channel_id, author, body_html, body in rows:
        audience, place = places[channel_id]
        yield _document(message_id, audience, author, place, body_html, body)


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
        bulk_documents=_all_documents,
    )
)
register_audience_provider(_channels_of)
