"""What the chat keeps about a member: messages, reactions, memberships; and how long former
members' direct messages are kept (see `network.core.member_data`)."""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update

from network.chat.models import (
    Channel,
    ChannelKind,
    ChannelMember,
    Mention,
    Message,
    MessageEdit,
    Reaction,
)
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
from network.members.models import Member, Status


def _blank(where) -> int:
    """Blank the messages matching `where` (their earlier versions go too)."""
    db.session.execute(
        delete(MessageEdit).where(MessageEdit.message_id.in_(select(Message.id).where(where)))
    )
    statement = (
        update(Message)
        .where(where, Message.deleted_at.is_(None))
        .values(body="", body_html="", images=[], deleted_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return changed_rows(statement)


def _erase_messages(member_id: int, delete_writings: bool) -> int:
    return _blank(Message.author_id == member_id) if delete_writings else 0


def _direct_messages_of_former_members(cutoff: datetime) -> int:
    former = select(Member.id).where(
        Member.status == Status.ALUMNUS, Member.deactivated_at < cutoff
    )
    direct = select(Channel.id).where(Channel.kind == ChannelKind.DIRECT)
    return _blank(Message.author_id.in_(former) & Message.channel_id.in_(direct))


def register() -> None:
    register_member_data(
        MemberData(
            "messages",
            Message,
            "author_id",
            _l("The messages you wrote in channels and conversations."),
            erase=Erase.WRITINGS,
            eraser=_erase_messages,
            files=lambda m: image_files("messages", keys_of(Message, "images", "author_id", m)),
            search_kind="message",
        )
    )
    register_member_data(
        MemberData("message_reactions", Reaction, "member_id", _l("Your reactions to messages."))
    )
    register_member_data(
        MemberData(
            "channel_memberships",
            ChannelMember,
            "member_id",
            _l("The channels and conversations you belong to."),
            erase=Erase.DELETE,
        )
    )
    register_member_reference(Mention, "member_id")
    register_member_reference(Channel, "created_by_id")
    register_setting(
        SettingSpec(
            "retention_direct_messages_months",
            12,
            _l("Keep former members' direct messages (months after they left)"),
            minimum=1,
            maximum=120,
        )
    )
    register_retention(
        Retention(
            "direct_messages_of_former_members",
            _l("Direct messages written by former members"),
            _l("So that the people they talked with keep the thread of their conversations."),
            _l("Only the members of each conversation."),
            "retention_direct_messages_months",
            "months",
            _direct_messages_of_former_members,
        )
    )
