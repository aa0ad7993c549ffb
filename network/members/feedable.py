"""What members bring to the feed: a new member joined; a member is open to collaborate."""

from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import load_only

from network.core import signals
from network.core.registries import FeedKind, publish, register_feed_kind, withdraw
from network.extensions import db
from network.members.models import OPEN_TO_LABELS, Member, Visibility

#: What the members' items show and their visibility needs (not the whole profile).
_SHOWN = (Member.id, Member.display_name, Member.is_active, Member.open_to, Member.vis_open_to)


def _load(ids: list[int], _viewer: Any) -> dict[int, Member]:
    query = select(Member).options(load_only(*_SHOWN)).where(Member.id.in_(ids))
    return {m.id: m for m in db.session.scalars(query)}


def _member_json(member: Member) -> dict[str, Any]:
    return {
        "id": member.id,
        "name": member.display_name,
        "url": url_for("members.profile", member_id=member.id),
    }


def _open_to_visible(_viewer: Any, member: Member) -> bool:
    return member.is_active and member.vis_open_to == Visibility.MEMBERS and bool(member.open_to)


register_feed_kind(
    FeedKind(
        "member_joined",
        _l("New members"),
        "members/_feed_joined.html",
        _load,
        lambda _viewer, member: member.is_active,
        lambda member, _viewer: {"member": _member_json(member)},
    )
)
register_feed_kind(
    FeedKind(
        "open_to",
        _l("Open to collaborate"),
        "members/_feed_open_to.html",
        _load,
        _open_to_visible,
        lambda member, _viewer: {
            "member": _member_json(member),
            "open_to": [str(OPEN_TO_LABELS[v]) for v in member.open_to if v in OPEN_TO_LABELS],
        },
    )
)


def _joined(member: Member, **_: Any) -> None:
    publish("member_joined", member.id, member.id)


def _profile_updated(member: Member, fields: set[str] | None = None, **_: Any) -> None:
    if fields and "open_to" in fields and member.open_to:
        publish("open_to", member.id, member.id, once_a_day=True)


def _deactivated(member: Member, **_: Any) -> None:
    withdraw("member_joined", [member.id])
    withdraw("open_to", [member.id])


signals.member_joined.connect(_joined)
signals.profile_updated.connect(_profile_updated)
signals.member_deactivated.connect(_deactivated)
