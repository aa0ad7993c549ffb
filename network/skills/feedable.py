"""What skills bring to the feed: a member added skills (once a day at most)."""

from typing import Any

from flask import url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, select

from network.core import signals
from network.core.registries import FeedKind, publish, register_feed_kind
from network.extensions import db
from network.members.models import Member
from network.skills.models import Level, MemberSkill, Skill
from network.skills.queries import LIVE

SHOWN = 6
_STRONGEST_FIRST = case(
    (MemberSkill.level == Level.EXPERT, 0), (MemberSkill.level == Level.PRACTISED, 1), else_=2
)


class SkilledMember:
    def __init__(self, member: Member) -> None:
        self.member = member
        self.skills: list[str] = []


def _load(ids: list[int], _viewer: Any) -> dict[int, SkilledMember]:
    found = {
        m.id: SkilledMember(m) for m in db.session.scalars(select(Member).where(Member.id.in_(ids)))
    }
    english = str(get_locale() or "fr") == "en"
    rows = db.session.execute(
        select(MemberSkill.member_id, Skill.name_fr, Skill.name_en)
        .join(Skill, Skill.id == MemberSkill.skill_id)
        .where(MemberSkill.member_id.in_(ids), Skill.status.in_(LIVE))
        .order_by(MemberSkill.member_id, _STRONGEST_FIRST, Skill.name_fr)
    )
    for member_id, name_fr, name_en in rows:
        shown = found[member_id].skills
        if len(shown) < SHOWN:
            shown.append(name_en if english and name_en else name_fr)
    return found


def _data(entry: SkilledMember, _viewer: Any) -> dict[str, Any]:
    member = entry.member
    return {
        "member": {
            "id": member.id,
            "name": member.display_name,
            "url": url_for("members.profile", member_id=member.id),
        },
        "skills": entry.skills,
    }


register_feed_kind(
    FeedKind(
        "skills_added",
        _l("New skills"),
        "skills/_feed_skills.html",
        _load,
        lambda _viewer, entry: entry.member.is_active and bool(entry.skills),
        _data,
    )
)


def _skills_updated(member: Member, skill_ids: list[int], actor: Any = None, **_: Any) -> None:
    if skill_ids and getattr(actor, "id", None) == member.id:
        publish("skills_added", member.id, member.id, once_a_day=True)


signals.skills_updated.connect(_skills_updated)
