"""Channels, their members, messages with edits, reactions and mentions."""

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from network.core.models import Base, db_enum, utcnow
from network.members.models import Member


class ChannelKind(enum.StrEnum):
    PUBLIC = "public"  # anyone can browse and join
    PRIVATE = "private"  # by invitation
    DIRECT = "direct"  # a conversation between a few members, without a name


KIND_LABELS = {
    ChannelKind.PUBLIC: _l("Public channel"),
    ChannelKind.PRIVATE: _l("Private channel"),
    ChannelKind.DIRECT: _l("Direct conversation"),
}


class ChannelRole(enum.StrEnum):
    OWNER = "owner"
    POSTER = "poster"  # may post in an announcement channel
    MEMBER = "member"


class Channel(Base):
    __tablename__ = "channels"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ChannelKind] = mapped_column(db_enum(ChannelKind), index=True)
    name: Mapped[str] = mapped_column(String(80), default="")
    name_key: Mapped[str] = mapped_column(String(80), default="", index=True)
    topic: Mapped[str] = mapped_column(String(250), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    announcement: Mapped[bool] = mapped_column(default=False)  # only owners and posters post
    auto_join: Mapped[bool] = mapped_column(default=False)  # every new member joins it
    direct_key: Mapped[str | None] = mapped_column(String(200), unique=True)  # "3,8,12"
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    archived_at: Mapped[datetime | None]
    last_message_id: Mapped[int] = mapped_column(default=0)
    last_message_at: Mapped[datetime | None]

    memberships: Mapped[list["ChannelMember"]] = relationship(
        back_populates="channel", cascade="all, delete-orphan"
    )

    @property
    def is_direct(self) -> bool:
        return self.kind == ChannelKind.DIRECT

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class ChannelMember(Base):
    __tablename__ = "channel_members"

    channel_id: Mapped[int] = mapped_column(
        ForeignKey("channels.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[ChannelRole] = mapped_column(db_enum(ChannelRole), default=ChannelRole.MEMBER)
    last_read_id: Mapped[int] = mapped_column(default=0)
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)

    channel: Mapped[Channel] = relationship(back_populates="memberships")
    member: Mapped[Member] = relationship()


class Message(Base):
    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    client_id: Mapped[str] = mapped_column(String(64))
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))  # the thread's root
    body: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    images: Mapped[list[str]] = mapped_column(default=list)  # image keys (core.images)
    reply_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]

    author: Mapped[Member] = relationship()
    channel: Mapped[Channel] = relationship()

    __table_args__ = (
        Index("ix_messages_channel_id_id", "channel_id", "id"),
        UniqueConstraint("author_id", "client_id"),  # sending is idempotent per client id
        Index("ix_messages_channel_thread_id", "channel_id", "thread_id", "id"),
        Index("ix_messages_thread_id", "thread_id", "id"),
    )

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class MessageEdit(Base):
    """A message's earlier version, kept when it is edited."""

    __tablename__ = "message_edits"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), index=True
    )
    body: Mapped[str] = mapped_column(Text)
    written_at: Mapped[datetime]  # when this version was written
    replaced_at: Mapped[datetime] = mapped_column(default=utcnow)


class Reaction(Base):
    __tablename__ = "message_reactions"

    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    emoji: Mapped[str] = mapped_column(String(16), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Mention(Base):
    """A member named in a message (`@name`), or everyone for `@channel`."""

    __tablename__ = "message_mentions"

    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))

    __table_args__ = (Index("ix_message_mentions_member_channel", "member_id", "channel_id"),)
