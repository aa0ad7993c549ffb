"""Live channels: public, private and direct conversations, delivered through Socket.IO."""

from flask import Flask
from flask_babel import lazy_gettext as _l

from network.chat.models import Channel, ChannelKind, ChannelMember, ChannelRole, Message
from network.core.registries import (
    NavItem,
    SettingSpec,
    register_header_count,
    register_nav_item,
    register_setting,
    register_warm_up,
)

register_setting(
    SettingSpec(
        "chat_messages_per_minute",
        30,
        _l("Chat messages a member may send per minute"),
        minimum=1,
        maximum=600,
    )
)


def init_app(app: Flask) -> None:
    """Channels: pages, API, Socket.IO events, presence, and their feed and search kinds."""
    from network.chat import member_data

    member_data.register()
    from network.chat import api, feedable, groups, searchable, welcome  # noqa: F401
    from network.chat.events import register_chat_handlers
    from network.chat.presence import init_presence
    from network.chat.queries import unread_conversations_count, warm_up
    from network.chat.views import bp

    init_presence(app)
    register_chat_handlers()
    app.register_blueprint(bp)
    register_nav_item(NavItem("chat.index", _l("Channels"), 40, ("chat.",)))
    register_warm_up("chat", warm_up)
    register_header_count("conversations", unread_conversations_count)


__all__ = ["Channel", "ChannelKind", "ChannelMember", "ChannelRole", "Message", "init_app"]
