"""What of the feed the search finds: live posts (and official notices) and their comments.

Every member reads the feed, so their documents are for every member; a deleted or hidden
post or comment has none (and every hit is re-checked with the feed's own rules, so a hit
on a post hidden since it was indexed is not shown). Texts are indexed as plain text, as
read on the page: snippets show no Markdown.
"""

from collections.abc import Iterator
from typing import Any, NamedTuple

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from network.core.database import by_id
from network.core.markup import html_text
from network.core.permissions import is_staff
from network.core.registries import MEMBERS, Document, SearchKind, register_search_kind
from network.extensions import db
from network.feed.models import Comment, Post
from network.feed.operations import visible_post
from network.members.models import Member

TITLE_SIZE = 80


def _opening(text: str, size: int = TITLE_SIZE) -> str:
    return text if len(text) <= size else text[:size].rsplit(" ", 1)[0] + "…"


def _load_posts(ids: list[int]) -> dict[int, Post]:
    return by_id(db.session, Post, ids, select(Post).options(joinedload(Post.author)))


class FoundComment(NamedTuple):
    comment: Comment
    post: Post | None


def _load_comments(ids: list[int]) -> dict[int, FoundComment]:
    """Comments by id, each with its post (whose state decides whether it may be found)."""
    query = select(Comment).options(joinedload(Comment.author))
    comments = by_id(db.session, Comment, ids, query)
    posts = _load_posts(sorted({c.post_id for c in comments.values()}))
    return {i: FoundComment(c, posts.get(c.post_id)) for i, c in comments.items()}


BULK_BATCH = 2_000


def _post_documents(ids: list[int] | None) -> Iterator[Document]:
    """Documents of the live posts among `ids` (None: every post, for a rebuild, in one
    pass): plain columns, not whole objects (a rebuild reads every post; loading each one and
    its author costs more than indexing it)."""
    query = (
        select(Post.id, Post.body_html, Member.display_name)
        .join(Member, Member.id == Post.author_id)
        .where(Post.deleted_at.is_(None), Post.hidden_at.is_(None))
    )
    if ids is None:
        query = query.order_by(Post.id).execution_options(yield_per=BULK_BATCH)
    else:
        query = query.where(Post.id.in_(ids))
    for post_id, body_html, author in db.session.execute(query):
        text = html_text(body_html)
        yield Document("post", post_id, MEMBERS, _opening(text) or author, text, author)


def _comment_documents(ids: list[int] | None) -> Iterator[Document]:
    """Documents of the live comments of live posts among `ids` (None: every one, in one
    pass), as plain columns."""
    query = (
        select(Comment.id, Comment.body_html, Member.display_name, Post.body_html)
        .join(Member, Member.id == Comment.author_id)
        .join(Post, Post.id == Comment.post_id)
        .where(
            Comment.deleted_at.is_(None),
            Comment.hidden_at.is_(None),
            Post.deleted_at.is_(None),
            Post.hidden_at.is_(None),
        )
    )
    if ids is None:
        query = query.order_by(Comment.id).execution_options(yield_per=BULK_BATCH)
    else:
        query = query.where(Comment.id.in_(ids))
    for comment_id, body_html, author, post_html in db.session.execute(query):
        title = f"{author} · {_opening(html_text(post_html))}"
        yield Document("comment", comment_id, MEMBERS, title, html_text(body_html), author)


def _live_post_ids() -> list[int]:
    live = Post.deleted_at.is_(None) & Post.hidden_at.is_(None)
    return list(db.session.scalars(select(Post.id).where(live)))


def _live_comment_ids() -> list[int]:
    live = Comment.deleted_at.is_(None) & Comment.hidden_at.is_(None)
    return list(db.session.scalars(select(Comment.id).where(live)))


def _post_visible(viewer: Any, post: Post) -> bool:
    """As on the feed: a hidden post is not listed (its author and staff still open it)."""
    return visible_post(viewer, post) and post.hidden_at is None


def _comment_visible(viewer: Any, found: FoundComment) -> bool:
    comment, post = found
    if comment.deleted_at is not None or post is None or not _post_visible(viewer, post):
        return False
    return comment.hidden_at is None or is_staff(viewer) or comment.author_id == viewer.id


register_search_kind(
    SearchKind(
        "post",
        _l("Posts"),
        _post_documents,
        _live_post_ids,
        _load_posts,
        _post_visible,
        lambda post: url_for("feed.post", post_id=post.id),
        bulk_documents=lambda: _post_documents(None),
    )
)
register_search_kind(
    SearchKind(
        "comment",
        _l("Comments"),
        _comment_documents,
        _live_comment_ids,
        _load_comments,
        _comment_visible,
        lambda found: url_for("feed.post", post_id=found.post.id, _anchor=f"c{found.comment.id}"),
        bulk_documents=lambda: _comment_documents(None),
    )
)
