"""The first run's channels step: the public channels, to join in one go (through the same
operation as the channel page's "Join" button)."""

from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l

from network.chat import operations, queries
from network.core.errors import Invalid
from network.core.ids import parse_id
from network.core.welcome import WelcomeStep, register_welcome_step


def _context(member: Any) -> dict[str, Any]:
    return {
        "channels": [
            (channel, members, joined)
            for channel, members, joined in queries.public_channels(member)
            if channel.archived_at is None
        ]
    }


def _save(member: Any, form: Mapping[str, Any]) -> None:
    getlist = getattr(form, "getlist", None)
    raw = getlist("channel_ids") if getlist else form.get("channel_ids") or []
    ids = [parse_id(value) for value in raw]
    if None in ids or len(ids) > 100:
        raise Invalid(fields={"channel_ids": _l("Choose channels from the list.")})
    for channel_id in ids:
        channel, _membership = operations.readable_channel(member, channel_id)
        operations.add_member(member, channel, member.id)


register_welcome_step(
    WelcomeStep(
        "channels",
        _l("Channels to join"),
        "chat/_welcome_channels.html",
        _context,
        _save,
        position=30,
    )
)
