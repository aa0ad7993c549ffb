"""Live channels: public, private and direct conversations, delivered through Socket.IO."""

from flask_babel import lazy_gettext as _l

from network.chat.models import Channel, ChannelKind, ChannelMember, ChannelRole, Message
from network.cooperative import SettingSpec, register_setting

register_setting(
    SettingSpec(
        "chat_messages_per_minute",
        30,
        _l("Chat messages a member may send per minute"),
        minimum=1,
        maximum=600,
    )
)

__all__ = ["Channel", "ChannelKind", "ChannelMember", "ChannelRole", "Message"]
