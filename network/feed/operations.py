"""Feed operations: posts, official notices, comments, reactions, topics, mentions,
acknowledgements and moderation. The boundary commits once."""

import re
from datetime import timedelta
from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l
from limits import RateLimitItemPerHour
from sqlalchemy import delete, event, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from network.cooperative import current_settings
from network.core import audit, images, ratelimit, signals
from network.core.client_ids import optional_client_id
from network.core.errors import Conflict, Forbidden, Invalid, NotFound, TooManyRequests
from network.core.events import after_commit
from network.core.ids import is_id
from network.core.markup import markdown_to_text, render_markdown
from network.core.mentions import link_mentions, resolve
from network.core.models import utcnow
from network.core.permissions import is_staff, require_staff
from network.core.registries import index_later
from network.core.text import fold
from network.extensions import db
from network.feed import items, notifications
from network.feed.models import (
    Comment,
    NoticeAck,
    Post,
    PostEdit,
    PostKind,
    PostReaction,
    PostTopic,
    Report,
    ReportStatus,
    Topic,
)
from network.members.models import Member

MAX_POST = 10_000
MAX_COMMENT = 3_000
MAX_IMAGES = 4
IMAGE_SIZES = {"full": 1600, "thumb": 400}
#: The reactions members can add: a small set, not only "like".
EMOJI = ("👍", "❤️", "😄", "🎉", "🙏", "💡")
TOPIC = re.compile(r"(?<![\w&#/])#([^\W_][\w-]{1,39})")

POST_NOT_FOUND = _l("This post does not exist or you cannot see it.")
COMMENT_NOT_FOUND = _l("This comment does not exist or you cannot see it.")


# --- reading what one may act on ----------------------------------------------------------


def visible_post(viewer: Any, post: Post | None) -> bool:
    if post is None or post.deleted_at is not None:
        return False
    return post.hidden_at is None or is_staff(viewer) or post.author_id == viewer.id


def get_post(viewer: Any, post_id: Any) -> Post:
    post = db.session.get(Post, post_id) if is_id(post_id) else None
    if not visible_post(viewer, post):
        raise NotFound(POST_NOT_FOUND)
    return post  # type: ignore[return-value]


def get_comment(viewer: Any, comment_id: Any) -> Comment:
    comment = db.session.get(Comment, comment_id) if is_id(comment_id) else None
    if comment is None or comment.deleted_at is not None:
        raise NotFound(COMMENT_NOT_FOUND)
    post = db.session.get(Post, comment.post_id)
    hidden = comment.hidden_at is not None and not is_staff(viewer)
    if not visible_post(viewer, post) or (hidden and comment.author_id != viewer.id):
        raise NotFound(COMMENT_NOT_FOUND)
    return comment


# --- text: mentions, topics, Markdown -----------------------------------------------------


def _text(raw: Any, maximum: int, field: str = "body") -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise Invalid(fields={field: _l("Write something first.")})
    text = raw.strip()
    if len(text) > maximum:
        raise Invalid(fields={field: _l("At most %(max)s characters.", max=maximum)})
    return text


def mentioned_members(text: str) -> dict[str, Member]:
    """`@Name` → the active member of that name (up to four words, the longest wins).

    A name that matches nobody stays plain text."""

    def lookup(keys: list[str]) -> dict[str, Member]:
        found: dict[str, Member] = {}
        for member in db.session.scalars(
            select(Member)
            .where(Member.name_key.in_(keys), Member.is_active.is_(True))
            .order_by(Member.id)
        ):
            found.setdefault(member.name_key, member)  # homonyms: the first account
        return found

    return resolve(text, lookup)


def _linked(text: str, mentions: dict[str, Member]) -> str:
    """The Markdown with mentions and topics turned into links."""
    urls = {name: url_for("members.profile", member_id=m.id) for name, m in mentions.items()}

    def topic(match: re.Match) -> str:
        return f"[#{match.group(1)}]({url_for('feed.topic', key=fold(match.group(1)))})"

    return TOPIC.sub(topic, link_mentions(text, urls))


def _render(text: str, mentions: dict[str, Member]) -> str:
    return render_markdown(_linked(text, mentions))


def _topics_of(text: str) -> list[Topic]:
    names = {fold(m.group(1)): m.group(1) for m in TOPIC.finditer(text)}
    if not names:
        return []
    known = {t.key: t for t in db.session.scalars(select(Topic).where(Topic.key.in_(names)))}
    for key, name in names.items():
        if key not in known:
            known[key] = Topic(key=key, name=name.lower())
            db.session.add(known[key])
    db.session.flush()
    return list(known.values())


def _set_topics(post: Post, text: str) -> None:
    db.session.execute(delete(PostTopic).where(PostTopic.post_id == post.id))
    for topic in _topics_of(text):
        db.session.add(PostTopic(post_id=post.id, topic_id=topic.id))


def _notify_mentions(mentions: dict[str, Member], actor: Member, url: str, where: Any) -> None:
    for member in {m.id: m for m in mentions.values()}.values():
        notifications.notify(
            member.id,
            "mention",
            _l("%(name)s mentioned you in %(where)s", name=actor.display_name, where=where),
            url,
            actor.id,
        )


# --- posts ---------------------------------------------------------------------------------


def _check_rate(actor: Member) -> None:
    per_hour = current_settings()["feed_posts_per_hour"]
    if not ratelimit.allow(RateLimitItemPerHour(per_hour), "feed-post", actor.id):
        raise TooManyRequests(_l("You are posting too fast: wait a moment and try again."))


def _store_images(uploads: list[bytes]) -> list[str]:
    if len(uploads) > MAX_IMAGES:
        raise Invalid(fields={"images": _l("At most %(max)s images per post.", max=MAX_IMAGES)})
    keys: list[str] = []
    try:
        for data in uploads:
            keys.append(images.store_image(data, "posts", IMAGE_SIZES))
    except Invalid as error:
        for key in keys:
            images.delete_image(key, IMAGE_SIZES)
        raise Invalid(fields={"images": error.message}) from None
    db.session.info.setdefault(_UPLOADED, []).extend(keys)
    after_commit(db.session, db.session.info.pop, _UPLOADED, None)  # saved: keep the files
    return keys


_UPLOADED = "terreau_feed_uploads"


@event.listens_for(Session, "after_soft_rollback")
def _remove_unsaved_images(session: Any, previous: Any) -> None:
    """The files of a post that was not saved after all are removed."""
    if previous.parent is None:
        for key in session.info.pop(_UPLOADED, []):
            images.delete_image(key, IMAGE_SIZES)


def _index_post(post: Post, *, comments: bool = False, new: bool = False) -> None:
    """Index the post again once the transaction commits; and its comments, when the post's
    state decides whether they may be found."""
    index_later("post", post.id, new=new, obj=post)
    if comments:
        for comment_id in db.session.scalars(select(Comment.id).where(Comment.post_id == post.id)):
            index_later("comment", comment_id)


def create_post(
    actor: Member, body: Any, uploads: list[bytes] | None = None, notice: bool = False
) -> Post:
    return submit_post(actor, body, uploads, notice=notice)[0]


def submit_post(
    actor: Member,
    body: Any,
    uploads: list[bytes] | None = None,
    notice: bool = False,
    client_id: Any = None,
) -> tuple[Post, bool]:
    """Publish a post (or, for staff, a notice); or return the one the actor already sent
    with this `client_id`, so that a retry publishes nothing more. (post, created?)"""
    client_id = optional_client_id(client_id)
    previous = _previous_post(actor, client_id)
    if previous is not None:
        return previous, False
    text = _text(body, MAX_POST)
    if notice:
        require_staff(actor)
    _check_rate(actor)
    mentions = mentioned_members(text)
    post = Post(
        kind=PostKind.NOTICE if notice else PostKind.POST,
        author_id=actor.id,
        author=actor,
        body=text,
        body_html=_render(text, mentions),
        images=_store_images(uploads or []),
        client_id=client_id,
    )
    try:
        with db.session.begin_nested():
            db.session.add(post)
            db.session.flush()
    except IntegrityError:  # the same submit at the same moment: the first one stands
        _forget_images(post.images)
        previous = _previous_post(actor, client_id)
        if previous is None:
            raise
        return previous, False
    _set_topics(post, text)
    items.add_item(post.kind.value, post.id, actor.id)
    url = url_for("feed.post", post_id=post.id)
    _notify_mentions(mentions, actor, url, _l("a post"))
    if notice:
        _notify_everyone_of_notice(post, actor, url)
    signals.post_published.send(post, actor=actor)
    _index_post(post, new=True)
    return post, True


def _previous_post(actor: Member, client_id: str | None) -> Post | None:
    """The actor's post sent with `client_id`, if any (`NotFound` once deleted or hidden)."""
    if client_id is None:
        return None
    found = db.session.scalar(
        select(Post).where(Post.author_id == actor.id, Post.client_id == client_id)
    )
    if found is not None and not visible_post(actor, found):
        raise NotFound(POST_NOT_FOUND)
    return found


def _forget_images(keys: list[str]) -> None:
    """The files of a post that lost a race to its twin."""
    uploaded = db.session.info.get(_UPLOADED, [])
    for key in keys:
        images.delete_image(key, IMAGE_SIZES)
        if key in uploaded:
            uploaded.remove(key)


def _notify_everyone_of_notice(post: Post, actor: Member, url: str) -> None:
    active = db.session.scalars(select(Member.id).where(Member.is_active.is_(True)))
    notifications.notify_many(
        active,
        "notice",
        _l("Official notice from %(name)s: please read it", name=actor.display_name),
        url,
        actor.id,
        details=markdown_to_text(post.body),
    )


REMINDER_EVERY = timedelta(days=1)


def unread_by(post: Post) -> Any:
    """Active members (the author aside) who have not acknowledged the notice `post`."""
    return select(Member.id).where(
        Member.is_active.is_(True),
        Member.id != post.author_id,
        ~select(NoticeAck.member_id)
        .where(NoticeAck.post_id == post.id, NoticeAck.member_id == Member.id)
        .exists(),
    )


def remind_notice(actor: Member, post_id: Any) -> int:
    """Staff remind the members who have not read an official notice (notified like the
    notice itself, its text in the e-mail), at most once every 24 hours per notice.

    Returns how many members are reminded; `Conflict` when a reminder went out less than
    a day ago (two staff clicking at once send one). Audited."""
    require_staff(actor)
    post = get_post(actor, post_id)
    if not post.is_notice or post.hidden_at is not None:
        raise NotFound(_l("This official notice does not exist."))
    now = utcnow()
    claimed = db.session.execute(
        update(Post)
        .where(
            Post.id == post.id,
            or_(Post.reminded_at.is_(None), Post.reminded_at <= now - REMINDER_EVERY),
        )
        .values(reminded_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    if not claimed:
        raise Conflict(_l("A reminder of this notice was already sent in the last 24 hours."))
    db.session.refresh(post, ["reminded_at"])
    member_ids = [i for i in db.session.scalars(unread_by(post)) if i != actor.id]
    notifications.notify_many(
        member_ids,
        "notice",
        _l(
            "Reminder: please read the official notice from %(name)s",
            name=post.author.display_name,
        ),
        url_for("feed.post", post_id=post.id),
        actor.id,
        details=markdown_to_text(post.body),
    )
    audit.record(
        db.session,
        "notice_reminder_sent",
        actor_id=actor.id,
        post_id=post.id,
        recipients=len(member_ids),
    )
    return len(member_ids)


def _own(actor: Member, author_id: int, message: Any) -> None:
    if author_id != actor.id:
        raise Forbidden(message)


def edit_post(actor: Member, post_id: Any, body: Any) -> Post:
    post = get_post(actor, post_id)
    _own(actor, post.author_id, _l("Only its author can edit a post."))
    text = _text(body, MAX_POST)
    if text == post.body:
        return post
    before = set(m.id for m in mentioned_members(post.body).values())
    mentions = mentioned_members(text)
    db.session.add(
        PostEdit(post_id=post.id, body=post.body, written_at=post.edited_at or post.created_at)
    )
    post.body, post.body_html, post.edited_at = text, _render(text, mentions), utcnow()
    _set_topics(post, text)
    fresh = {name: m for name, m in mentions.items() if m.id not in before}
    _notify_mentions(fresh, actor, url_for("feed.post", post_id=post.id), _l("a post"))
    _index_post(post)
    return post


def delete_post(actor: Member, post_id: Any) -> None:
    post = get_post(actor, post_id)
    if post.author_id != actor.id and not is_staff(actor):
        raise Forbidden(_l("Only its author or the support team can delete a post."))
    post.deleted_at = utcnow()
    post.pinned_at = None
    items.set_hidden(post.kind.value, [post.id])
    _index_post(post, comments=True)
    for key in post.images:
        after_commit(db.session, images.delete_image, key, IMAGE_SIZES)


def set_pinned(actor: Member, post_id: Any, pinned: Any) -> Post:
    require_staff(actor)
    post = get_post(actor, post_id)
    if not isinstance(pinned, bool):
        raise Invalid(fields={"pinned": _l("Must be true or false.")})
    post.pinned_at = (post.pinned_at or utcnow()) if pinned else None
    return post


def set_reaction(actor: Member, post_id: Any, emoji: Any, present: bool) -> int:
    post = get_post(actor, post_id)
    if emoji not in EMOJI:
        raise Invalid(fields={"emoji": _l("Choose one of: %(emoji)s", emoji=" ".join(EMOJI))})
    existing = db.session.get(PostReaction, (post.id, actor.id, emoji))
    if present and existing is None:
        db.session.add(PostReaction(post_id=post.id, member_id=actor.id, emoji=emoji))
        notifications.notify(
            post.author_id,
            "reaction",
            _l("%(name)s reacted %(emoji)s to your post", name=actor.display_name, emoji=emoji),
            url_for("feed.post", post_id=post.id),
            actor.id,
        )
    elif not present and existing is not None:
        db.session.delete(existing)
    db.session.flush()
    return (
        db.session.scalar(
            select(func.count()).where(PostReaction.post_id == post.id, PostReaction.emoji == emoji)
        )
        or 0
    )


def acknowledge(actor: Member, post_id: Any) -> NoticeAck:
    post = get_post(actor, post_id)
    if not post.is_notice:
        raise NotFound(_l("This official notice does not exist."))
    ack = db.session.get(NoticeAck, (post.id, actor.id))
    if ack is None:
        ack = NoticeAck(post_id=post.id, member_id=actor.id)
        db.session.add(ack)
        db.session.flush()
    return ack


# --- comments ------------------------------------------------------------------------------


def add_comment(actor: Member, post_id: Any, body: Any, parent_id: Any = None) -> Comment:
    return submit_comment(actor, post_id, body, parent_id)[0]


def submit_comment(
    actor: Member, post_id: Any, body: Any, parent_id: Any = None, client_id: Any = None
) -> tuple[Comment, bool]:
    """Comment on a post (or reply to a comment); or return the comment the actor already
    sent with this `client_id`. (comment, created?)"""
    client_id = optional_client_id(client_id)
    previous = _previous_comment(actor, client_id)
    if previous is not None:
        return previous, False
    post = get_post(actor, post_id)
    if not post.is_live:
        raise Conflict(_l("This post was hidden: it takes no more comments."))
    text = _text(body, MAX_COMMENT)
    parent = None
    if parent_id not in (None, ""):
        parent = db.session.get(Comment, parent_id) if is_id(parent_id) else None
        if parent is None or parent.post_id != post.id or not parent.is_live:
            raise Invalid(fields={"parent_id": _l("This comment is not on the post.")})
        if parent.parent_id is not None:  # one level of replies
            parent = db.session.get(Comment, parent.parent_id)
    _check_rate(actor)
    mentions = mentioned_members(text)
    comment = Comment(
        post_id=post.id,
        author_id=actor.id,
        author=actor,
        parent_id=parent.id if parent else None,
        body=text,
        body_html=_render(text, mentions),
        client_id=client_id,
    )
    try:
        with db.session.begin_nested():
            db.session.add(comment)
            db.session.flush()
    except IntegrityError:  # the same submit at the same moment: the first one stands
        previous = _previous_comment(actor, client_id)
        if previous is None:
            raise
        return previous, False
    post.comment_count += 1
    url = url_for("feed.post", post_id=post.id, _anchor=f"c{comment.id}")
    told = {actor.id}
    if parent and parent.author_id not in told:
        notifications.notify(
            parent.author_id,
            "reply",
            _l("%(name)s replied to your comment", name=actor.display_name),
            url,
            actor.id,
        )
        told.add(parent.author_id)
    if post.author_id not in told:
        notifications.notify(
            post.author_id,
            "reply",
            _l("%(name)s commented on your post", name=actor.display_name),
            url,
            actor.id,
        )
        told.add(post.author_id)
    _notify_mentions(
        {n: m for n, m in mentions.items() if m.id not in told}, actor, url, _l("a comment")
    )
    index_later("comment", comment.id, new=True, obj=comment)
    return comment, True


def _previous_comment(actor: Member, client_id: str | None) -> Comment | None:
    """The actor's comment sent with `client_id`, if any (`NotFound` once deleted or hidden)."""
    if client_id is None:
        return None
    found = db.session.scalar(
        select(Comment).where(Comment.author_id == actor.id, Comment.client_id == client_id)
    )
    if found is not None and found.deleted_at is not None:
        raise NotFound(COMMENT_NOT_FOUND)
    return found


def edit_comment(actor: Member, comment_id: Any, body: Any) -> Comment:
    comment = get_comment(actor, comment_id)
    _own(actor, comment.author_id, _l("Only its author can edit a comment."))
    text = _text(body, MAX_COMMENT)
    comment.body = text
    comment.body_html = _render(text, mentioned_members(text))
    comment.edited_at = utcnow()
    index_later("comment", comment.id, obj=comment)
    return comment


def delete_comment(actor: Member, comment_id: Any) -> None:
    comment = get_comment(actor, comment_id)
    if comment.author_id != actor.id and not is_staff(actor):
        raise Forbidden(_l("Only its author or the support team can delete a comment."))
    comment.deleted_at = utcnow()
    index_later("comment", comment.id)
    post = db.session.get(Post, comment.post_id)
    post.comment_count = max(0, post.comment_count - 1)  # type: ignore[union-attr]


# --- moderation ----------------------------------------------------------------------------


def report(actor: Member, reason: Any, post_id: Any = None, comment_id: Any = None) -> Report:
    """Report a post or a comment to the support team (once per member and content)."""
    text = _text(reason, 500, "reason")
    if comment_id not in (None, ""):
        target = get_comment(actor, comment_id)
        post_id, comment_id = None, target.id
    else:
        post_id, comment_id = get_post(actor, post_id).id, None
    existing = db.session.scalar(
        select(Report).where(
            Report.reporter_id == actor.id,
            Report.post_id.is_(None) if post_id is None else Report.post_id == post_id,
            Report.comment_id.is_(None) if comment_id is None else Report.comment_id == comment_id,
        )
    )
    if existing:
        return existing
    found = Report(post_id=post_id, comment_id=comment_id, reporter_id=actor.id, reason=text)
    db.session.add(found)
    db.session.flush()
    return found


def _target(post_id: Any, comment_id: Any) -> Post | Comment:
    if comment_id not in (None, ""):
        found: Post | Comment | None = (
            db.session.get(Comment, comment_id) if is_id(comment_id) else None
        )
    else:
        found = db.session.get(Post, post_id) if is_id(post_id) else None
    if found is None or found.deleted_at is not None:
        raise NotFound(POST_NOT_FOUND)
    return found


def hide(actor: Member, reason: Any, post_id: Any = None, comment_id: Any = None) -> None:
    """Staff hide a post or comment: kept, no longer shown; the author is told why."""
    require_staff(actor)
    text = _text(reason, 500, "reason")
    target = _target(post_id, comment_id)
    target.hidden_at, target.hidden_reason = utcnow(), text
    is_post = isinstance(target, Post)
    if is_post:
        items.set_hidden(target.kind.value, [target.id])  # type: ignore[union-attr]
        target.pinned_at = None  # type: ignore[union-attr]
    _resolve_reports(actor, target, ReportStatus.HIDDEN)
    _index_target(target)
    post_id = target.id if is_post else target.post_id  # type: ignore[union-attr]
    text_for = (
        _l("The support team hid your post: %(reason)s", reason=text)
        if is_post
        else _l("The support team hid your comment: %(reason)s", reason=text)
    )
    notifications.notify(
        target.author_id, "moderation", text_for, url_for("feed.post", post_id=post_id), actor.id
    )


def restore(actor: Member, post_id: Any = None, comment_id: Any = None) -> None:
    require_staff(actor)
    target = _target(post_id, comment_id)
    target.hidden_at, target.hidden_reason = None, ""
    if isinstance(target, Post):
        items.set_hidden(target.kind.value, [target.id], hidden=False)
    _index_target(target)


def _index_target(target: Post | Comment) -> None:
    if isinstance(target, Post):
        _index_post(target, comments=True)
    else:
        index_later("comment", target.id)


def dismiss(actor: Member, report_id: Any) -> Report:
    require_staff(actor)
    found = db.session.get(Report, report_id) if is_id(report_id) else None
    if found is None:
        raise NotFound(_l("This report does not exist."))
    found.status, found.resolved_at, found.resolved_by_id = (
        ReportStatus.DISMISSED,
        utcnow(),
        actor.id,
    )
    return found


def _resolve_reports(actor: Member, target: Post | Comment, status: ReportStatus) -> None:
    column = Report.post_id if isinstance(target, Post) else Report.comment_id
    for found in db.session.scalars(
        select(Report).where(column == target.id, Report.status == ReportStatus.OPEN)
    ):
        found.status, found.resolved_at, found.resolved_by_id = status, utcnow(), actor.id
