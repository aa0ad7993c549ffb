"""Who may read, post in and manage a channel."""

from typing import Any

from network.chat.models import Channel, ChannelKind, ChannelMember, ChannelRole
from network.core.permissions import is_staff


def may_read(viewer: Any, channel: Channel, membership: ChannelMember | bool | None) -> bool:
    """Public channels are open to every member; the others to their members only
    (`membership`: the viewer's, or whether they have one)."""
    return bool(membership) or channel.kind == ChannelKind.PUBLIC


def may_post(viewer: Any, channel: Channel, membership: ChannelMember | None) -> bool:
    if membership is None or channel.is_archived:
        return False
    if channel.announcement:
        return membership.role in (ChannelRole.OWNER, ChannelRole.POSTER) or is_staff(viewer)
    return True


def may_manage(viewer: Any, channel: Channel, membership: ChannelMember | None) -> bool:
    """Owners and staff rename, invite, remove and archive (never a direct conversation)."""
    if channel.is_direct:
        return False
    owner = membership is not None and membership.role == ChannelRole.OWNER
    return owner or (is_staff(viewer) and may_read(viewer, channel, membership))
