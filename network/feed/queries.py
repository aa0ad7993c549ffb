"""Reading the feed: a page of items of any mix of kinds in a bounded number of queries,
posts with their reactions, topics and acknowledgements, comments, topics, reports."""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload

from network.core.errors import Invalid
from network.core.pagination import decode_cursor, encode_cursor, parse_limit
from network.core.permissions import is_staff
from network.extensions import db
from network.feed.models import (
    Comment,
    FeedItem,
    NoticeAck,
    Post,
    PostEdit,
    PostReaction,
    PostTopic,
    Report,
    ReportStatus,
    Topic,
)
from network.feed.registry import KINDS, FeedKind
from network.members.models import Member

POST_KINDS = ("post", "notice")
PINNED_SHOWN = 3


@dataclass
class PostView:
    """A post with what its card shows."""

    post: Post
    reactions: list[dict] = field(default_factory=list)
    topics: list[Topic] = field(default_factory=list)
    acknowledged: bool = False
    acknowledgements: int = 0

    def __getattr__(self, name: str) -> Any:  # the view reads like its post
        return getattr(self.post, name)


@dataclass
class Entry:
    item: FeedItem
    kind: FeedKind
    obj: Any
    actor: Member | None


def load_posts(ids: list[int], viewer: Any) -> dict[int, PostView]:
    """Posts by id with authors, reactions, topics and acknowledgements: four queries."""
    if not ids:
        return {}
    posts = db.session.scalars(
        select(Post)
        .where(Post.id.in_(ids))
        .options(joinedload(Post.author).load_only(Member.id, Member.display_name))
    ).all()
    views = {p.id: PostView(p) for p in posts}
    for post_id, emoji, count, mine in db.session.execute(
        select(
            PostReaction.post_id,
            PostReaction.emoji,
            func.count(),
            func.max(case((PostReaction.member_id == viewer.id, 1), else_=0)),
        )
        .where(PostReaction.post_id.in_(ids))
        .group_by(PostReaction.post_id, PostReaction.emoji)
        .order_by(PostReaction.post_id, func.min(PostReaction.created_at))
    ):
        views[post_id].reactions.append({"emoji": emoji, "count": count, "mine": bool(mine)})
    for post_id, topic in db.session.execute(
        select(PostTopic.post_id, Topic)
        .join(Topic, Topic.id == PostTopic.topic_id)
        .where(PostTopic.post_id.in_(ids))
        .order_by(Topic.key)
    ):
        views[post_id].topics.append(topic)
    notices = [p.id for p in posts if p.is_notice]
    if notices:
        for post_id, count, mine in db.session.execute(
            select(
                NoticeAck.post_id,
                func.count(),
                func.max(case((NoticeAck.member_id == viewer.id, 1), else_=0)),
            )
            .where(NoticeAck.post_id.in_(notices))
            .group_by(NoticeAck.post_id)
        ):
            views[post_id].acknowledgements, views[post_id].acknowledged = count, bool(mine)
    return views


def _kind(raw: Any) -> str | None:
    if raw in (None, ""):
        return None
    if raw not in KINDS:
        raise Invalid(fields={"kind": _l("Unknown kind of item.")})
    return raw


def topic_by_key(key: Any) -> Topic | None:
    if not isinstance(key, str) or not key or len(key) > 40:
        return None
    from network.core.text import fold

    return db.session.scalar(select(Topic).where(Topic.key == fold(key)))


@dataclass
class FeedPage:
    entries: list[Entry]
    next_cursor: str | None
    pinned: list[PostView] = field(default_factory=list)


def feed_page(
    viewer: Any,
    *,
    before: Any = None,
    kind: Any = None,
    topic: Any = None,
    limit: Any = None,
    with_pinned: bool = False,
) -> FeedPage:
    """A page of the feed, newest first, the cursor of the next page, and (`with_pinned`)
    the pinned posts, loaded with the page's own posts."""
    size = parse_limit(limit, 20, maximum=50)
    kind = _kind(kind)
    cursor = decode_cursor(before, (int,))
    query = select(FeedItem).where(FeedItem.hidden.is_(False), FeedItem.kind.in_(list(KINDS)))
    if cursor:
        query = query.where(FeedItem.id < cursor[0])
    if kind:
        query = query.where(FeedItem.kind == kind)
    if topic is not None:
        found = topic_by_key(topic)
        if found is None:
            return FeedPage([], None)
        tagged = select(PostTopic.post_id).where(PostTopic.topic_id == found.id)
        query = query.where(FeedItem.kind.in_(POST_KINDS), FeedItem.object_id.in_(tagged))
    rows = list(db.session.scalars(query.order_by(FeedItem.id.desc()).limit(size + 1)))
    more = len(rows) > size
    rows = rows[:size]
    pinned_ids = _pinned_ids() if with_pinned else []
    entries, loaded = entries_for(rows, viewer, {load_posts: pinned_ids})
    posts = loaded.get(load_posts, {})
    pinned = [posts[i] for i in pinned_ids if i in posts]
    return FeedPage(entries, encode_cursor([rows[-1].id]) if more and rows else None, pinned)


Loader = Callable[[list[int], Any], dict[int, Any]]


def entries_for(
    rows: list[FeedItem], viewer: Any, extra: dict[Loader, list[int]] | None = None
) -> tuple[list[Entry], dict[Loader, dict[int, Any]]]:
    """Load the objects of every kind sharing a loader in one batch (posts and notices
    together, with `extra` ids), and the actors in one query."""
    wanted: dict[Loader, set[int]] = {loader: set(ids) for loader, ids in (extra or {}).items()}
    for row in rows:
        wanted.setdefault(KINDS[row.kind].load, set()).add(row.object_id)
    loaded = {loader: loader(sorted(ids), viewer) for loader, ids in wanted.items() if ids}
    actors = _members({row.actor_id for row in rows if row.actor_id})
    entries = []
    for row in rows:
        kind = KINDS[row.kind]
        obj = loaded.get(kind.load, {}).get(row.object_id)
        if obj is not None and kind.visible(viewer, obj):
            entries.append(Entry(row, kind, obj, actors.get(row.actor_id or 0)))
    return entries, loaded


def _members(ids: set[int]) -> dict[int, Member]:
    """Members by id: those the loaders already brought (authors, members shown) without
    asking the database again, the others in one query."""
    known: dict[int, Member] = {}
    for member_id in ids:
        found = db.session.identity_map.get(db.session.identity_key(Member, member_id))
        if found is not None:
            known[member_id] = found  # type: ignore[assignment]
    missing = ids - set(known)
    if missing:
        known.update(
            (m.id, m) for m in db.session.scalars(select(Member).where(Member.id.in_(missing)))
        )
    return known


def _pinned_ids() -> list[int]:
    return list(
        db.session.scalars(
            select(Post.id)
            .where(Post.pinned_at.is_not(None), Post.deleted_at.is_(None), Post.hidden_at.is_(None))
            .order_by(Post.pinned_at.desc())
            .limit(PINNED_SHOWN)
        )
    )


def comments_of(post: Post, viewer: Any) -> list[tuple[Comment, list[Comment]]]:
    """Top-level comments, each with its replies, oldest first; hidden ones only for staff
    and their authors."""
    shown = [
        c
        for c in db.session.scalars(
            select(Comment)
            .where(Comment.post_id == post.id, Comment.deleted_at.is_(None))
            .options(joinedload(Comment.author))
            .order_by(Comment.id)
        )
        if c.hidden_at is None or is_staff(viewer) or c.author_id == viewer.id
    ]
    replies: dict[int, list[Comment]] = {}
    for comment in shown:
        if comment.parent_id:
            replies.setdefault(comment.parent_id, []).append(comment)
    return [(c, replies.get(c.id, [])) for c in shown if c.parent_id is None]


def acknowledgements(post: Post) -> tuple[list[tuple[Member, Any]], int]:
    """Who acknowledged a notice (with when), and how many active members there are."""
    rows = db.session.execute(
        select(Member, NoticeAck.acknowledged_at)
        .join(NoticeAck, NoticeAck.member_id == Member.id)
        .where(NoticeAck.post_id == post.id)
        .order_by(NoticeAck.acknowledged_at)
    ).all()
    active = db.session.scalar(select(func.count()).where(Member.is_active.is_(True))) or 0
    return [(member, when) for member, when in rows], active


def open_reports() -> list[Report]:
    return list(
        db.session.scalars(
            select(Report)
            .where(Report.status == ReportStatus.OPEN)
            .options(joinedload(Report.reporter), joinedload(Report.comment))
            .order_by(Report.id)
        )
    )


@dataclass(frozen=True)
class TopicName:
    """A topic as the feed's side panel shows it (not a database row)."""

    key: str
    name: str


_topics_cache: dict[tuple, tuple[float, tuple, list[tuple[TopicName, int]]]] = {}


def popular_topics(limit: int = 12) -> list[tuple[TopicName, int]]:
    """The most used topics and their number of posts.

    Counting every tag takes a scan of `post_topics` (70 ms at 130,000 tags), so the counts
    are kept as long as the directory's facets (`FACETS_CACHE_SECONDS`) and only while the
    tags are unchanged: each page checks how many tags there are, the newest tagged post and
    the newest edit (a new post, an edit or a deletion changes one of them), in one cheap
    statement."""
    ttl = current_app.config.get("FACETS_CACHE_SECONDS", 0)
    if ttl <= 0:
        return _count_topics(limit)
    version = tuple(
        db.session.execute(
            select(
                select(func.count()).select_from(PostTopic).scalar_subquery(),
                select(func.max(PostTopic.post_id)).scalar_subquery(),
                select(func.max(PostEdit.id)).scalar_subquery(),
            )
        ).one()
    )
    key = (str(db.engine.url), limit)
    now = time.monotonic()
    cached = _topics_cache.get(key)
    if cached is None or cached[0] <= now or cached[1] != version:
        cached = _topics_cache[key] = (now + ttl, version, _count_topics(limit))
    return cached[2]


def _count_topics(limit: int) -> list[tuple[TopicName, int]]:
    rows = db.session.execute(
        select(Topic.key, Topic.name, func.count(PostTopic.post_id))
        .join(PostTopic, PostTopic.topic_id == Topic.id)
        .group_by(Topic.id)
        .order_by(func.count(PostTopic.post_id).desc(), Topic.key)
        .limit(limit)
    ).all()
    return [(TopicName(key, name), count) for key, name, count in rows]
