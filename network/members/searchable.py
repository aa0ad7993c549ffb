"""What of members the search finds: their profiles and their activities (enseignes).

Each member gives one document readable by all members (the fields they show to everyone)
and one for the support team (every field). Other modules add text to members' documents
through `MEMBER_TEXT` (the skills module adds skill names).
"""

from collections.abc import Callable, Iterator
from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from network.core import signals
from network.core.permissions import is_staff
from network.core.registries import (
    MEMBERS,
    STAFF,
    Document,
    SearchKind,
    index_later,
    register_search_kind,
)
from network.extensions import db
from network.members.models import Member, Visibility

#: Functions member ids → {member id: extra text} (e.g. skill names).
MEMBER_TEXT: list[Callable[[list[int]], dict[int, str]]] = []

GROUP_TEXT: dict[str, Callable[[Member], str]] = {
    "headline": lambda m: m.headline,
    "bio": lambda m: m.bio,
    "activity": lambda m: f"{m.trading_name} {m.trade} {m.sector}",
    "location": lambda m: f"{m.city} {m.postcode}",
    "languages": lambda m: " ".join(m.languages),
}


def _load(ids: list[int]) -> dict[int, Member]:
    return {m.id: m for m in db.session.scalars(select(Member).where(Member.id.in_(ids)))}


def _member_documents(ids: list[int]) -> Iterator[Document]:
    members = [m for m in _load(ids).values() if m.is_active]
    extra: dict[int, list[str]] = {}
    for provider in MEMBER_TEXT:
        for member_id, text in provider([m.id for m in members]).items():
            extra.setdefault(member_id, []).append(text)
    for member in members:
        skills = " ".join(extra.get(member.id, []))
        for audience, replaced_for in ((MEMBERS, (STAFF,)), (STAFF, ())):
            shown = [
                group
                for group in GROUP_TEXT
                if audience == STAFF or member.visibility(group) == Visibility.MEMBERS
            ]
            body = "\n".join(t for t in (GROUP_TEXT[g](member) for g in shown) if t.strip())
            activity = f"{member.trade} {member.trading_name}" if "activity" in shown else ""
            yield Document(
                "member",
                member.id,
                audience,
                member.display_name,
                body=body,
                keywords=f"{skills} {activity}".strip(),
                replaced_for=replaced_for,
            )


def _activity_documents(ids: list[int]) -> Iterator[Document]:
    for member in _load(ids).values():
        if member.is_active and member.trading_name:
            audience = MEMBERS if member.vis_activity == Visibility.MEMBERS else STAFF
            yield Document(
                "activity",
                member.id,
                audience,
                member.trading_name,
                body=f"{member.trade} · {member.sector} · {member.display_name}",
                keywords=member.trade,
            )


def _active_ids() -> list[int]:
    return list(db.session.scalars(select(Member.id).where(Member.is_active.is_(True))))


def _visible(viewer: Any, member: Member) -> bool:
    return member.is_active or is_staff(viewer)


def _url(member: Member) -> str:
    return url_for("members.profile", member_id=member.id)


register_search_kind(
    SearchKind("member", _l("Members"), _member_documents, _active_ids, _load, _visible, _url)
)
register_search_kind(
    SearchKind(
        "activity", _l("Activities"), _activity_documents, _active_ids, _load, _visible, _url
    )
)


def reindex_member(member: Member, **_: Any) -> None:
    index_later("member", member.id)
    index_later("activity", member.id)


for _signal in (
    signals.member_joined,
    signals.profile_updated,
    signals.status_changed,
    signals.member_deactivated,
    signals.member_reactivated,
    signals.skills_updated,
):
    _signal.connect(reindex_member)
