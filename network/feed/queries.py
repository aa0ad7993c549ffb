"""Reading the feed: a page of items of any mix of kinds in a bounded number of queries,
posts with their reactions, topics and acknowledgements, comments, topics, reports."""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, String, bindparam, case, func, literal, null, select, union_all
from sqlalchemy.orm import joinedload

from network.core.database import by_id
from network.core.errors import Invalid
from network.core.pagination import decode_cursor, encode_cursor, parse_limit
from network.core.permissions import is_staff
from network.core.registries import FEED_KINDS, FeedKind
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
from network.members.models import Member

POST_KINDS = ("post", "notice")
PINNED_SHOWN = 3


@dataclass(frozen=True)
class TopicName:
    """A topic as cards and the side panel show it (not a database row)."""

    key: str
    name: str


@dataclass
class PostView:
    """A post with what its card shows."""

    post: Post
    reactions: list[dict] = field(default_factory=list)
    topics: list[TopicName] = field(default_factory=list)
    acknowledged: bool = False
    acknowledgements: int = 0

    def __getattr__(self, name: str) -> Any:  # the view reads like its post
        return getattr(self.post, name)


@dataclass
class Entry:
    item: Any  # the feed item's row: id, kind, object_id, actor_id, created_at
    kind: FeedKind
    obj: Any
    actor: Member | None


# Statements a feed page runs every time, built once (bound to the page's ids and viewer).
_IDS: Any = bindparam("ids", expanding=True)
_VIEWER: Any = bindparam("viewer")
_POSTS = (
    select(Post)
    .where(Post.id.in_(_IDS))
    .options(joinedload(Post.author).load_only(Member.id, Member.display_name))
)


def _mine(member_id: Any) -> Any:
    return func.max(case((member_id == _VIEWER, 1), else_=0))


# A batch's reactions (r), topics (t) and acknowledgements (a) in one statement:
# (what, post id, emoji or topic key, topic name, count, mine, first reaction).
_CARD_PARTS = union_all(
    select(
        literal("r", String),
        PostReaction.post_id,
        PostReaction.emoji,
        literal("", String),
        func.count(),
        _mine(PostReaction.member_id),
        func.min(PostReaction.created_at),
    )
    .where(PostReaction.post_id.in_(_IDS))
    .group_by(PostReaction.post_id, PostReaction.emoji),
    select(
        literal("t", String),
        PostTopic.post_id,
        Topic.key,
        Topic.name,
        literal(0),
        literal(0),
        null(),
    )
    .join(Topic, Topic.id == PostTopic.topic_id)
    .where(PostTopic.post_id.in_(_IDS)),
    select(
        literal("a", String),
        NoticeAck.post_id,
        literal("", String),
        literal("", String),
        func.count(),
        _mine(NoticeAck.member_id),
        null(),
    )
    .where(NoticeAck.post_id.in_(_IDS))
    .group_by(NoticeAck.post_id),
)


def load_posts(ids: list[int], viewer: Any) -> dict[int, PostView]:
    """Posts by id with authors (one query), and their reactions, topics and
    acknowledgements (one more)."""
    if not ids:
        return {}
    posts = db.session.scalars(_POSTS, {"ids": ids}).all()
    views = {p.id: PostView(p) for p in posts}
    reactions = []
    for what, post_id, key, name, count, mine, first in db.session.execute(
        _CARD_PARTS, {"ids": ids, "viewer": viewer.id}
    ):
        view = views.get(post_id)
        if view is None:
            continue
        if what == "r":
            reactions.append((first, key, view, count, mine))
        elif what == "t":
            view.topics.append(TopicName(key, name))
        else:
            view.acknowledgements, view.acknowledged = count, bool(mine)
    for _first, emoji, view, count, mine in sorted(reactions, key=lambda r: (r[0], r[1])):
        view.reactions.append({"emoji": emoji, "count": count, "mine": bool(mine)})
    for view in views.values():
        view.topics.sort(key=lambda topic: topic.key)
    return views


def _kind(raw: Any) -> str | None:
    if raw in (None, ""):
        return None
    if raw not in FEED_KINDS:
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
    query = select(*_ITEM_COLUMNS).where(
        FeedItem.hidden.is_(False), FeedItem.kind.in_(list(FEED_KINDS))
    )
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
    page: Any = query.order_by(FeedItem.id.desc()).limit(size + 1)
    if with_pinned:  # the pinned posts come with the page's items, in the same statement
        page = union_all(select(page.subquery()), select(_PINNED.subquery()))
    rows = db.session.execute(page).all()
    pinned_ids = [r.object_id for r in sorted(rows, key=_pinned_first) if r.id == PINNED_ROW]
    rows = sorted((r for r in rows if r.id != PINNED_ROW), key=lambda r: -r.id)
    more = len(rows) > size
    rows = rows[:size]
    entries, loaded = entries_for(rows, viewer, {load_posts: pinned_ids})
    posts = loaded.get(load_posts, {})
    pinned = [posts[i] for i in pinned_ids if i in posts]
    return FeedPage(entries, encode_cursor([rows[-1].id]) if more and rows else None, pinned)


_ITEM_COLUMNS = (
    FeedItem.id,
    FeedItem.kind,
    FeedItem.object_id,
    FeedItem.actor_id,
    FeedItem.created_at,
)
PINNED_ROW = 0  # the `id` of the rows that are pinned posts (feed items start at 1)
_PINNED = (
    select(
        literal(PINNED_ROW).label("id"),
        literal("pinned", String).label("kind"),
        Post.id.label("object_id"),
        literal(None, Integer).label("actor_id"),
        Post.pinned_at.label("created_at"),
    )
    .where(Post.pinned_at.is_not(None), Post.deleted_at.is_(None), Post.hidden_at.is_(None))
    .order_by(Post.pinned_at.desc())
    .limit(PINNED_SHOWN)
)


def _pinned_first(row: Any) -> Any:
    return -row.created_at.timestamp() if row.id == PINNED_ROW else 0


Loader = Callable[[list[int], Any], dict[int, Any]]


def entries_for(
    rows: list[Any], viewer: Any, extra: dict[Loader, list[int]] | None = None
) -> tuple[list[Entry], dict[Loader, dict[int, Any]]]:
    """Load the objects of every kind sharing a loader in one batch (posts and notices
    together, with `extra` ids), and the actors in one query."""
    wanted: dict[Loader, set[int]] = {loader: set(ids) for loader, ids in (extra or {}).items()}
    for row in rows:
        wanted.setdefault(FEED_KINDS[row.kind].load, set()).add(row.object_id)
    loaded = {loader: loader(sorted(ids), viewer) for loader, ids in wanted.items() if ids}
    actors = by_id(db.session, Member, {row.actor_id for row in rows if row.actor_id})
    entries = []
    for row in rows:
        kind = FEED_KINDS[row.kind]
        obj = loaded.get(kind.load, {}).get(row.object_id)
        if obj is not None and kind.visible(viewer, obj):
            entries.append(Entry(row, kind, obj, actors.get(row.actor_id or 0)))
    return entries, loaded


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


# (url, limit) → (expires, tags version, counts, last checked)
_topics_cache: dict[tuple, tuple[float, tuple, list[tuple[TopicName, int]], float]] = {}


#: What changes when tags do: their number, the newest tagged post, the newest edit.
_TAGS_VERSION = select(
    select(func.count()).select_from(PostTopic).scalar_subquery(),
    select(func.max(PostTopic.post_id)).scalar_subquery(),
    select(func.max(PostEdit.id)).scalar_subquery(),
)
TAGS_CHECKED_EVERY = 1.0  # seconds: a new topic shows in the side panel at most this late


def popular_topics(limit: int = 12) -> list[tuple[TopicName, int]]:
    """The most used topics and their number of posts.

    Counting every tag takes a scan of `post_topics` (70 ms at 130,000 tags), so the counts
    are kept as long as the directory's facets (`FACETS_CACHE_SECONDS`) and only while the
    tags are unchanged: at most once a second, a page checks how many tags there are, the
    newest tagged post and the newest edit (a new post, an edit or a deletion changes one of
    them), in one cheap statement."""
    ttl = current_app.config.get("FACETS_CACHE_SECONDS", 0)
    if ttl <= 0:
        return _count_topics(limit)
    key = (str(db.engine.url), limit)
    now = time.monotonic()
    cached = _topics_cache.get(key)
    if cached is not None and now < cached[0] and now - cached[3] < TAGS_CHECKED_EVERY:
        return cached[2]
    version = tuple(db.session.execute(_TAGS_VERSION).one())
    if cached is None or cached[0] <= now or cached[1] != version:
        cached = (now + ttl, version, _count_topics(limit), now)
    _topics_cache[key] = (cached[0], cached[1], cached[2], now)
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
