"""What the chat brings to the feed (a public channel was created) and to the notification
centre (mentions, direct and group messages), and the channels a new member joins."""

from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from network.chat.models import Channel, ChannelKind, ChannelMember
from network.core import realtime, signals
from network.core.registries import (
    Delivery,
    FeedKind,
    publish,
    register_feed_kind,
    register_notification_kind,
)
from network.extensions import db

DIRECT_KIND = "direct_message"
register_notification_kind(
    DIRECT_KIND, _l("Direct and group messages sent to you"), Delivery.IMMEDIATELY
)


def _load(ids: list[int], _viewer: Any) -> dict[int, Channel]:
    return {c.id: c for c in db.session.scalars(select(Channel).where(Channel.id.in_(ids)))}


register_feed_kind(
    FeedKind(
        "channel_created",
        _l("New channels"),
        "chat/_feed_channel.html",
        _load,
        lambda _viewer, channel: channel.kind == ChannelKind.PUBLIC and not channel.is_archived,
        lambda channel, _viewer: {
            "channel": {
                "id": channel.id,
                "name": channel.name,
                "topic": channel.topic,
                "url": url_for("chat.channel", channel_id=channel.id),
            }
        },
    )
)


def _channel_created(channel: Channel, actor: Any = None, **_: Any) -> None:
    publish("channel_created", channel.id, getattr(actor, "id", None))


signals.channel_created.connect(_channel_created)


def _message_posted(
    message: Any,
    channel: Channel,
    mentioned: list[int],
    everyone: bool,
    actor: Any,
    previous_id: int = 0,
    **_: Any,
) -> None:
    """Mentioned members (everyone with @channel) are notified; in a direct or group
    conversation, the others too."""
    from network.chat.queries import member_ids

    if channel.is_direct:
        _direct_message(message, channel, set(mentioned), actor, previous_id)
    if not mentioned and not everyone:  # most messages: no one to notify
        return
    where = f"#{channel.name}" if channel.name else _l("a conversation")
    text = _l("%(name)s mentioned you in %(where)s", name=actor.display_name, where=where)
    targets = member_ids(channel) if everyone else mentioned
    url = url_for("chat.permalink", message_id=message.id)
    for member_id in targets:
        if member_id != actor.id:
            signals.notification_requested.send(
                member_id, kind="mention", text=text, url=url, actor=actor
            )


signals.message_posted.connect(_message_posted)


def _direct_message(
    message: Any, channel: Channel, mentioned: set[int], actor: Any, previous_id: int
) -> None:
    """One notification per conversation until it is read: only the members who had read
    everything before this message, and whose last notification of it is read, are told
    (two queries for them all, one registry look-up); those connected see it live, the
    others also get the e-mail (per their choice)."""
    caught_up = list(
        db.session.scalars(
            select(ChannelMember.member_id).where(
                ChannelMember.channel_id == channel.id,
                ChannelMember.member_id != actor.id,
                ChannelMember.last_read_id >= previous_id,
            )
        )
    )
    url = url_for("chat.channel", channel_id=channel.id)
    targets = [member_id for member_id in caught_up if member_id not in mentioned]
    if not targets:
        return
    online = realtime.registry().online(targets)
    text = _l("%(name)s sent you a message", name=actor.display_name)
    for member_id in targets:
        signals.notification_requested.send(
            member_id,
            kind=DIRECT_KIND,
            text=text,
            url=url,
            actor=actor,
            mail=member_id not in online,
            once_until_read=True,  # not again while its notification is unread (a lively talk)
        )


def _member_joined(member: Any, **_: Any) -> None:
    """A new member (account created, invitation accepted) joins the auto-join channels."""
    from network.chat.operations import join_arrival_channels

    join_arrival_channels(member)


signals.member_joined.connect(_member_joined)
