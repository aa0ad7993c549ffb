"""The feed: items of every kind, posts with their edits, comments, reactions, topics,
official notices and their acknowledgements, reports; and the members' notifications."""

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from network.core.models import Base, db_enum, utcnow
from network.core.registries import Delivery
from network.members.models import Member


class FeedItem(Base):
    """One line of the feed: a kind registered by a module, and the object it shows."""

    __tablename__ = "feed_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    hidden: Mapped[bool] = mapped_column(default=False)  # deleted or hidden by moderation

    __table_args__ = (
        Index("ix_feed_items_hidden_id", "hidden", "id"),
        Index("ix_feed_items_kind_object", "kind", "object_id"),
        Index("ix_feed_items_kind_hidden_id", "kind", "hidden", "id"),  # the feed of one kind
    )


class PostKind(enum.StrEnum):
    POST = "post"
    NOTICE = "notice"  # an official notice members acknowledge


class Post(Base):
    __tablename__ = "posts"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[PostKind] = mapped_column(db_enum(PostKind), default=PostKind.POST)
    author_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    images: Mapped[list[str]] = mapped_column(default=list)  # image keys
    comment_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]
    pinned_at: Mapped[datetime | None] = mapped_column(index=True)
    hidden_at: Mapped[datetime | None]  # hidden by moderation: kept, not shown
    hidden_reason: Mapped[str] = mapped_column(String(500), default="")
    reminded_at: Mapped[datetime | None]  # a notice's latest reminder to those who had not read
    client_id: Mapped[str | None] = mapped_column(String(64))  # the author's submit id

    author: Mapped[Member] = relationship()

    __table_args__ = (
        Index("uq_posts_author_client", "author_id", "client_id", unique=True),  # one per submit
    )

    @property
    def is_notice(self) -> bool:
        return self.kind == PostKind.NOTICE

    @property
    def is_live(self) -> bool:
        return self.deleted_at is None and self.hidden_at is None


class PostEdit(Base):
    __tablename__ = "post_edits"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    body: Mapped[str] = mapped_column(Text)
    written_at: Mapped[datetime]
    replaced_at: Mapped[datetime] = mapped_column(default=utcnow)


class Comment(Base):
    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id"))  # one level
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]
    hidden_at: Mapped[datetime | None]
    hidden_reason: Mapped[str] = mapped_column(String(500), default="")
    client_id: Mapped[str | None] = mapped_column(String(64))  # the author's submit id

    author: Mapped[Member] = relationship()

    __table_args__ = (
        Index("ix_comments_post_id_id", "post_id", "id"),
        Index("uq_comments_author_client", "author_id", "client_id", unique=True),
    )

    @property
    def is_live(self) -> bool:
        return self.deleted_at is None and self.hidden_at is None


class PostReaction(Base):
    __tablename__ = "post_reactions"

    post_id: Mapped[int] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    emoji: Mapped[str] = mapped_column(String(16), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Topic(Base):
    """A `#topic`: its name as first written, and its folded key."""

    __tablename__ = "topics"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(40))


class PostTopic(Base):
    __tablename__ = "post_topics"

    post_id: Mapped[int] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    topic_id: Mapped[int] = mapped_column(
        ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class NoticeAck(Base):
    """A member's « j'ai lu » on an official notice."""

    __tablename__ = "notice_acks"

    post_id: Mapped[int] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    acknowledged_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReportStatus(enum.StrEnum):
    OPEN = "open"
    HIDDEN = "hidden"  # the content was hidden
    DISMISSED = "dismissed"


class Report(Base):
    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"))
    reporter_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    reason: Mapped[str] = mapped_column(String(500))
    status: Mapped[ReportStatus] = mapped_column(
        db_enum(ReportStatus), default=ReportStatus.OPEN, index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))

    reporter: Mapped[Member] = relationship(foreign_keys=[reporter_id])
    comment: Mapped[Comment | None] = relationship()

    __table_args__ = (UniqueConstraint("reporter_id", "post_id", "comment_id"),)


class EmailState(enum.StrEnum):
    NONE = "none"
    PENDING = "pending"  # waits for the daily digest
    SENT = "sent"


class Notification(Base):
    """Something a member should know; its text is kept as a message id and its values, so
    it is shown in the reader's language."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    msgid: Mapped[str] = mapped_column(Text)
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    url: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
    email_state: Mapped[EmailState] = mapped_column(db_enum(EmailState), default=EmailState.NONE)

    __table_args__ = (
        Index("ix_notifications_member_id_id", "member_id", "id"),
        Index("ix_notifications_member_read", "member_id", "read_at"),
        Index("ix_notifications_email_state", "email_state"),
    )


class NotificationPreference(Base):
    __tablename__ = "notification_preferences"

    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    delivery: Mapped[Delivery] = mapped_column(db_enum(Delivery))
