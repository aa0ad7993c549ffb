"""A channel's members as a group other modules may address (e.g. a decision's electorate),
and the direct conversations other modules may open (e.g. mutual aid's accepted help)."""

from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from network.chat.models import Channel, ChannelKind, ChannelMember
from network.core.registries import (
    MemberGroup,
    register_conversation_opener,
    register_member_group,
)
from network.extensions import db
from network.members.models import Member


def _channels_of(viewer: Any) -> list[tuple[int, str]]:
    """The named, live channels the viewer belongs to."""
    rows = db.session.execute(
        select(Channel.id, Channel.name)
        .join(ChannelMember, ChannelMember.channel_id == Channel.id)
        .where(
            ChannelMember.member_id == viewer.id,
            Channel.kind != ChannelKind.DIRECT,
            Channel.archived_at.is_(None),
        )
        .order_by(Channel.name_key)
    )
    return [(channel_id, f"#{name}") for channel_id, name in rows]


def _members_of(channel_id: int) -> list[int]:
    return list(
        db.session.scalars(
            select(ChannelMember.member_id)
            .join(Member, Member.id == ChannelMember.member_id)
            .where(ChannelMember.channel_id == channel_id, Member.is_active.is_(True))
            .order_by(ChannelMember.member_id)
        )
    )


def _describe(channel_id: int) -> str | None:
    channel = db.session.get(Channel, channel_id)
    if channel is None or channel.is_direct:
        return None
    return f"#{channel.name}"


register_member_group(
    MemberGroup("channel", _l("The members of a channel"), _channels_of, _members_of, _describe)
)


def _open_conversation(actor: Any, member_ids: list[int]) -> str | None:
    """The direct conversation of the actor with these members (created when new)."""
    from network.chat.operations import open_direct

    channel, _created = open_direct(actor, member_ids)
    return url_for("chat.channel", channel_id=channel.id)


register_conversation_opener(_open_conversation)
