"""Reading the chat: a member's channels with unread counts, history pages, reactions."""

import contextlib
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload

from network.chat.models import (
    Channel,
    ChannelKind,
    ChannelMember,
    Mention,
    Message,
    MessageEdit,
    Reaction,
)
from network.core.errors import Invalid
from network.core.pagination import parse_limit
from network.core.text import fold
from network.extensions import db
from network.members.models import Member

PAGE = 50


@dataclass
class ChannelSummary:
    channel: Channel
    membership: ChannelMember | None
    title: str
    unread: int = 0
    mentions: int = 0


UNREAD_COUNTED = 100  # unread counts stop there (shown "99+"): never a scan of a long history


def unread_counts(
    member_id: int, channel_ids: list[int] | None = None
) -> dict[int, tuple[int, int, int]]:
    """channel id → (unread messages by others, counted up to UNREAD_COUNTED; unread
    mentions; last read id), in one statement."""
    unread = (
        select(Message.id)
        .where(
            Message.channel_id == ChannelMember.channel_id,
            Message.id > ChannelMember.last_read_id,
            Message.author_id != member_id,
            Message.deleted_at.is_(None),
        )
        .limit(UNREAD_COUNTED)
        .correlate(ChannelMember)
        .subquery()
    )
    mentions = (
        select(func.count())
        .where(
            Mention.channel_id == ChannelMember.channel_id,
            Mention.member_id == member_id,
            Mention.message_id > ChannelMember.last_read_id,
        )
        .correlate(ChannelMember)
        .scalar_subquery()
    )
    mine = select(
        ChannelMember.channel_id,
        select(func.count()).select_from(unread).scalar_subquery(),
        mentions,
        ChannelMember.last_read_id,
    ).where(ChannelMember.member_id == member_id)
    if channel_ids is not None:
        mine = mine.where(ChannelMember.channel_id.in_(channel_ids))
    rows = db.session.execute(mine)
    return {cid: (count, mentioned, last) for cid, count, mentioned, last in rows}


def unread_conversations(member_id: int) -> int:
    """How many of the member's direct and group conversations have unread messages (the
    header's badge), in one statement."""
    return db.session.scalar(select(unread_conversations_count(member_id))) or 0


def unread_conversations_count(member_id: int) -> Any:
    """`unread_conversations` as a scalar subquery (the header reads its counts together)."""
    unread = (
        select(Message.id)
        .where(
            Message.channel_id == ChannelMember.channel_id,
            Message.id > ChannelMember.last_read_id,
            Message.author_id != member_id,
            Message.deleted_at.is_(None),
        )
        .correlate(ChannelMember)
        .exists()
    )
    return (
        select(func.count())
        .select_from(ChannelMember)
        .join(Channel, Channel.id == ChannelMember.channel_id)
        .where(
            ChannelMember.member_id == member_id,
            Channel.kind == ChannelKind.DIRECT,
            unread,
        )
        .scalar_subquery()
    )


def direct_titles(channel_ids: list[int], viewer_id: int) -> dict[int, str]:
    """A direct conversation is named after the other people in it."""
    if not channel_ids:
        return {}
    rows = db.session.execute(
        select(ChannelMember.channel_id, Member.display_name)
        .join(Member, Member.id == ChannelMember.member_id)
        .where(ChannelMember.channel_id.in_(channel_ids), Member.id != viewer_id)
        .order_by(Member.name_key)
    )
    names: dict[int, list[str]] = {}
    for channel_id, name in rows:
        names.setdefault(channel_id, []).append(name)
    return {cid: ", ".join(names.get(cid, [])) or str(_l("Only you")) for cid in channel_ids}


def my_channels(viewer: Any) -> list[ChannelSummary]:
    """The viewer's channels and conversations, most recently active first."""
    rows = db.session.execute(
        select(Channel, ChannelMember)
        .join(ChannelMember, ChannelMember.channel_id == Channel.id)
        .where(ChannelMember.member_id == viewer.id)
        .order_by(Channel.archived_at.is_not(None), Channel.last_message_id.desc(), Channel.id)
    ).all()
    counts = unread_counts(viewer.id)
    titles = direct_titles([c.id for c, _ in rows if c.is_direct], viewer.id)
    return [
        ChannelSummary(
            channel,
            membership,
            titles.get(channel.id, channel.name),
            *counts.get(channel.id, (0, 0, 0))[:2],
        )
        for channel, membership in rows
    ]


def public_channels(viewer: Any) -> list[tuple[Channel, int, bool]]:
    """Public channels to browse: (channel, members, whether the viewer is in it)."""
    counts = (
        select(ChannelMember.channel_id, func.count().label("members"))
        .group_by(ChannelMember.channel_id)
        .subquery()
    )
    mine = set(
        db.session.scalars(
            select(ChannelMember.channel_id).where(ChannelMember.member_id == viewer.id)
        )
    )
    rows = db.session.execute(
        select(Channel, func.coalesce(counts.c.members, 0))
        .outerjoin(counts, counts.c.channel_id == Channel.id)
        .where(Channel.kind == ChannelKind.PUBLIC)
        .order_by(Channel.archived_at.is_not(None), Channel.name_key)
    ).all()
    return [(channel, members, channel.id in mine) for channel, members in rows]


def channel_members(
    channel: Channel, limit: int | None = None
) -> list[tuple[Member, ChannelMember]]:
    """The channel's members with their membership, by name (the first `limit`)."""
    query = (
        select(Member, ChannelMember)
        .join(ChannelMember, ChannelMember.member_id == Member.id)
        .where(ChannelMember.channel_id == channel.id)
        .order_by(Member.name_key, Member.id)
        .limit(limit)
    )
    return [(member, membership) for member, membership in db.session.execute(query)]


def member_names(channel: Channel, limit: int | None = None) -> list[Any]:
    """The first `limit` members of the channel by name, as rows of (id, display_name,
    role): what the channel's page lists beside the history."""
    query = (
        select(Member.id, Member.display_name, ChannelMember.role)
        .join(ChannelMember, ChannelMember.member_id == Member.id)
        .where(ChannelMember.channel_id == channel.id)
        .order_by(Member.name_key, Member.id)
        .limit(limit)
    )
    return list(db.session.execute(query))


MENTION_CHOICES = 8


def mention_choices(channel: Channel, start: Any) -> list[Member]:
    """The channel's active members whose name (or one of its words) starts with `start`,
    by name: the composer's @mention suggestions."""
    if not isinstance(start, str) or len(start) > 80:
        raise Invalid(fields={"q": _l("Give the start of a name (at most 80 characters).")})
    key = fold(start.strip().lstrip("@"))
    query = (
        select(Member)
        .join(ChannelMember, ChannelMember.member_id == Member.id)
        .where(ChannelMember.channel_id == channel.id, Member.is_active.is_(True))
        .order_by(Member.name_key, Member.id)
        .limit(MENTION_CHOICES)
    )
    if key:
        query = query.where(
            Member.name_key.startswith(key, autoescape=True)
            | Member.name_key.contains(" " + key, autoescape=True)
        )
    return list(db.session.scalars(query))


def member_ids(channel: Channel) -> list[int]:
    return list(
        db.session.scalars(
            select(ChannelMember.member_id).where(ChannelMember.channel_id == channel.id)
        )
    )


def member_count(channel: Channel) -> int:
    return (
        db.session.scalar(select(func.count()).where(ChannelMember.channel_id == channel.id)) or 0
    )


@dataclass
class HistoryPage:
    messages: list[Message]
    older: int | None  # the `before` of the previous page, if any
    newer: int | None  # the `after` of the next page, if any


def _cursor(raw: Any, name: str) -> int | None:
    if raw in (None, ""):
        return None
    try:
        value = int(raw)
    except (TypeError, ValueError):
        value = -1
    if not 0 <= value < 2**63:
        raise Invalid(fields={name: _l("Give a message id.")})
    return value


def history(
    channel: Channel,
    *,
    before: Any = None,
    after: Any = None,
    around: Any = None,
    thread_id: int | None = None,
    limit: Any = None,
    everything: bool = False,
) -> HistoryPage:
    """A page of messages, oldest first: the latest, those before or after an id, or those
    around one. Top-level messages unless `thread_id` (its replies) or `everything`."""
    size = parse_limit(limit, PAGE, maximum=200)
    before, after, around = (
        _cursor(before, "before"),
        _cursor(after, "after"),
        _cursor(around, "around"),
    )
    base = select(Message).where(Message.channel_id == channel.id)
    if thread_id is not None:
        base = base.where(Message.thread_id == thread_id)
    elif not everything:
        base = base.where(Message.thread_id.is_(None))
    base = base.options(joinedload(Message.author).load_only(Member.id, Member.display_name))
    if around is not None:
        older = _fetch(base.where(Message.id < around), size // 2, newest=True)
        newer = _fetch(base.where(Message.id >= around), size - size // 2, newest=False)
        messages = older[0] + newer[0]
        return HistoryPage(messages, _first(messages, older[1]), _last(messages, newer[1]))
    if after is not None:
        messages, more = _fetch(base.where(Message.id > after), size, newest=False)
        return HistoryPage(messages, _first(messages, True), _last(messages, more))
    if before is not None:
        base = base.where(Message.id < before)
    messages, more = _fetch(base, size, newest=True)
    return HistoryPage(messages, _first(messages, more), _last(messages, before is not None))


def _fetch(query: Any, size: int, *, newest: bool) -> tuple[list[Message], bool]:
    order = Message.id.desc() if newest else Message.id.asc()
    found = list(db.session.scalars(query.order_by(order).limit(size + 1)).unique())
    more = len(found) > size
    found = found[:size]
    return (found[::-1] if newest else found), more


def _first(messages: list[Message], more: bool) -> int | None:
    return messages[0].id if messages and more else None


def _last(messages: list[Message], more: bool) -> int | None:
    return messages[-1].id if messages and more else None


def reactions_for(message_ids: list[int], viewer_id: int) -> dict[int, list[dict]]:
    """message id → [{emoji, count, mine}] in the order the emoji were first used."""
    if not message_ids:
        return {}
    rows = db.session.execute(
        select(
            Reaction.message_id,
            Reaction.emoji,
            func.count(),
            func.max(case((Reaction.member_id == viewer_id, 1), else_=0)),
            func.min(Reaction.created_at),
        )
        .where(Reaction.message_id.in_(message_ids))
        .group_by(Reaction.message_id, Reaction.emoji)
        .order_by(Reaction.message_id, func.min(Reaction.created_at))
    )
    found: dict[int, list[dict]] = {}
    for message_id, emoji, count, mine, _first_at in rows:
        found.setdefault(message_id, []).append(
            {"emoji": emoji, "count": count, "mine": bool(mine)}
        )
    return found


def edits_of(message: Message) -> list[MessageEdit]:
    return list(
        db.session.scalars(
            select(MessageEdit)
            .where(MessageEdit.message_id == message.id)
            .order_by(MessageEdit.id.desc())
        )
    )


def member_channel_ids(member_id: int) -> list[int]:
    return list(
        db.session.scalars(
            select(ChannelMember.channel_id).where(ChannelMember.member_id == member_id)
        )
    )


def warm_up() -> None:
    """At start-up: the statements of a channel's page and of the API's history, run once
    for a channel and a member that do not exist, so that SQLAlchemy compiles them before the
    first reader (a fresh server's first channel page spent ~25 of its ~45 ms of CPU on it)."""
    from types import SimpleNamespace

    from network.chat.operations import readable_channel
    from network.core.errors import NotFound
    from network.core.ids import MAX_ID

    nobody, nowhere = SimpleNamespace(id=0), Channel(id=0)
    with contextlib.suppress(NotFound):
        readable_channel(nobody, MAX_ID)
    history(nowhere)
    history(nowhere, before=1)
    history(nowhere, after=1)
    reactions_for([0], 0)
    my_channels(nobody)
    member_names(nowhere, limit=100)
    member_count(nowhere)
    unread_conversations(0)
