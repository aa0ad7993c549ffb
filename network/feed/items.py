"""Feed items: stored when a module publishes one, announced live in the `feed` room."""

from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from network.core import signals
from network.core.events import after_commit
from network.core.models import utcnow
from network.core.realtime import FEED_ROOM
from network.extensions import db, socketio
from network.feed.models import FeedItem
from network.members.models import Member


def add_item(kind: str, object_id: int, actor_id: int | None, once_a_day: bool = False) -> None:
    if once_a_day and _published_lately(kind, object_id):
        return
    item = FeedItem(kind=kind, object_id=object_id, actor_id=actor_id)
    db.session.add(item)
    db.session.flush()
    actor = db.session.get(Member, actor_id) if actor_id else None
    payload = {
        "id": item.id,
        "kind": kind,
        "created_at": item.created_at.isoformat(),
        "actor": {"id": actor.id, "name": actor.display_name} if actor else None,
    }
    after_commit(db.session, socketio.emit, "feed_item", payload, to=FEED_ROOM)


def _published_lately(kind: str, object_id: int) -> bool:
    since = utcnow() - timedelta(days=1)
    return (
        db.session.scalar(
            select(FeedItem.id)
            .where(
                FeedItem.kind == kind,
                FeedItem.object_id == object_id,
                FeedItem.created_at >= since,
            )
            .limit(1)
        )
        is not None
    )


def set_hidden(kind: str, object_ids: list[int], hidden: bool = True) -> None:
    if object_ids:
        db.session.execute(
            update(FeedItem)
            .where(FeedItem.kind == kind, FeedItem.object_id.in_(object_ids))
            .values(hidden=hidden)
        )


def _on_published(
    kind: str, object_id: int, actor_id: int | None, once_a_day: bool = False, **_: Any
) -> None:
    add_item(kind, object_id, actor_id, once_a_day)


def _on_withdrawn(kind: str, object_ids: list[int], **_: Any) -> None:
    set_hidden(kind, object_ids)


signals.feed_item_published.connect(_on_published)
signals.feed_item_withdrawn.connect(_on_withdrawn)
