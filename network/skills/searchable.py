"""What of skills the search finds: the taxonomy, and skill names in members' documents."""

from collections.abc import Iterator
from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from network.core import signals
from network.core.registries import (
    MEMBERS,
    Document,
    SearchKind,
    index_later,
    register_search_kind,
)
from network.extensions import db
from network.members.searchable import MEMBER_TEXT
from network.skills.models import MemberSkill, Skill
from network.skills.queries import LIVE


def _load(ids: list[int]) -> dict[int, Skill]:
    return {s.id: s for s in db.session.scalars(select(Skill).where(Skill.id.in_(ids)))}


def _documents(ids: list[int]) -> Iterator[Document]:
    for skill in _load(ids).values():
        if skill.status in LIVE:
            yield Document(
                "skill",
                skill.id,
                MEMBERS,
                skill.name_fr,
                body=skill.category,
                keywords=" ".join([skill.name_en, *skill.synonyms]),
            )


def _skill_names(member_ids: list[int]) -> dict[int, str]:
    names: dict[int, list[str]] = {}
    rows = db.session.execute(
        select(MemberSkill.member_id, Skill.name_fr, Skill.name_en)
        .join(Skill)
        .where(MemberSkill.member_id.in_(member_ids))
    )
    for member_id, name_fr, name_en in rows:
        names.setdefault(member_id, []).extend(dict.fromkeys([name_fr, name_en]))
    return {member_id: " ".join(found) for member_id, found in names.items()}


def _all_ids() -> list[int]:
    return list(db.session.scalars(select(Skill.id).where(Skill.status.in_(LIVE))))


def _visible(_viewer: Any, skill: Skill) -> bool:
    return skill.status in LIVE


register_search_kind(
    SearchKind(
        "skill",
        _l("Skills"),
        _documents,
        _all_ids,
        _load,
        _visible,
        lambda skill: url_for("skills.show", skill_id=skill.id),
    )
)
MEMBER_TEXT.append(_skill_names)


def _reindex_skill(skill: Skill, **_: Any) -> None:
    index_later("skill", skill.id)


signals.skill_changed.connect(_reindex_skill)
