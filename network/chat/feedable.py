"""What the chat brings to the feed (a public channel was created) and to the notification
centre (mentions)."""

from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from network.chat.models import Channel, ChannelKind
from network.core import signals
from network.core.registries import FeedKind, publish, register_feed_kind
from network.extensions import db


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
    message: Any, channel: Channel, mentioned: list[int], everyone: bool, actor: Any, **_: Any
) -> None:
    """Mentioned members (everyone with @channel) are notified."""
    from network.chat.queries import member_ids

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
