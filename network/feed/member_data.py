"""What the feed keeps about a member: posts, comments, reactions, reports, notifications
(see `network.core.member_data`)."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update

from network.core.member_data import (
    Erase,
    MemberData,
    Retention,
    changed_rows,
    image_files,
    keys_of,
    register_member_data,
    register_member_reference,
    register_retention,
)
from network.core.models import utcnow
from network.core.registries import SettingSpec, register_setting
from network.extensions import db
from network.feed.models import (
    Comment,
    FeedItem,
    NoticeAck,
    Notification,
    NotificationPreference,
    Post,
    PostEdit,
    PostReaction,
    Report,
)


def _erase_posts(member_id: int, delete_writings: bool) -> int:
    """Posts stay as written by the former member, or are blanked (their edits too)."""
    if not delete_writings:
        return 0
    mine = select(Post.id).where(Post.author_id == member_id)
    db.session.execute(delete(PostEdit).where(PostEdit.post_id.in_(mine)))
    statement = (
        update(Post)
        .where(Post.author_id == member_id)
        .values(body="", body_html="", images=[], deleted_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return changed_rows(statement)


def _erase_notifications_about(member_id: int, _delete_writings: bool) -> int:
    """Others' notifications about what the member did hold their name in their text: they
    go (they are a passing message, not a record)."""
    statement = delete(Notification).where(Notification.actor_id == member_id)
    return changed_rows(statement)


def _old_notifications(cutoff) -> int:
    statement = delete(Notification).where(Notification.created_at < cutoff)
    return changed_rows(statement)


def register() -> None:
    register_setting(
        SettingSpec(
            "retention_notifications_months",
            6,
            _l("Keep notifications (months)"),
            minimum=1,
            maximum=120,
        )
    )
    register_retention(
        Retention(
            "notifications",
            _l("Your notifications"),
            _l("To tell you what happened while you were away."),
            _l("Only you."),
            "retention_notifications_months",
            "months",
            _old_notifications,
        )
    )
    register_member_data(
        MemberData(
            "posts",
            Post,
            "author_id",
            _l("The posts and official notices you published in the feed."),
            erase=Erase.WRITINGS,
            eraser=_erase_posts,
            files=lambda m: image_files("posts", keys_of(Post, "images", "author_id", m)),
            search_kind="post",
        )
    )
    register_member_data(
        MemberData(
            "comments",
            Comment,
            "author_id",
            _l("Your comments on posts."),
            erase=Erase.WRITINGS,
            blank={"body": "", "body_html": "", "deleted_at": utcnow},
            search_kind="comment",
        )
    )
    register_member_data(
        MemberData("post_reactions", PostReaction, "member_id", _l("Your reactions to posts."))
    )
    register_member_data(
        MemberData("notices_read", NoticeAck, "member_id", _l("The official notices you read."))
    )
    register_member_data(
        MemberData(
            "reports",
            Report,
            "reporter_id",
            _l("What you reported to the moderators."),
            exclude=("resolved_by_id",),
        )
    )
    register_member_reference(Report, "resolved_by_id")
    register_member_data(
        MemberData(
            "notifications",
            Notification,
            "member_id",
            _l("The notifications you received."),
            erase=Erase.DELETE,
        )
    )
    register_member_reference(Notification, "actor_id", _erase_notifications_about)
    register_member_reference(FeedItem, "actor_id")
    register_member_data(
        MemberData(
            "notification_preferences",
            NotificationPreference,
            "member_id",
            _l("How you chose to be e-mailed about each kind of notification."),
            erase=Erase.DELETE,
        )
    )
