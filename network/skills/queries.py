"""Reads: the taxonomy, skill pages, members' skills, and the members list's skill filter."""

import time
from collections import defaultdict
from typing import Any

from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, bindparam, case, func, select
from sqlalchemy.orm import joinedload

from network.core.errors import Invalid
from network.core.ids import ID_SCHEMA, parse_id
from network.core.registries import (
    FacetValue,
    MemberFilter,
    SkillCatalogue,
    register_member_filter,
    register_profile_section,
    register_skill_catalogue,
    skill_endorsements,
)
from network.extensions import db
from network.members.models import Member
from network.skills.models import Level, MemberSkill, Skill, SkillStatus

LIVE = (SkillStatus.ACCEPTED, SkillStatus.PROPOSED)
LEVEL_RANK = case(
    (MemberSkill.level == Level.EXPERT, 3), (MemberSkill.level == Level.PRACTISED, 2), else_=1
)


def taxonomy(status: SkillStatus | None = None) -> list[tuple[Skill, int]]:
    """Skills (live ones, or of one status) with their active holders, by category and name."""
    holders = (
        select(func.count())
        .select_from(MemberSkill)
        .join(Member)
        .where(MemberSkill.skill_id == Skill.id, Member.is_active.is_(True))
        .scalar_subquery()
    )
    query = select(Skill, holders).where(Skill.status.in_([status] if status else LIVE))
    return [(s, n) for s, n in db.session.execute(query.order_by(Skill.category, Skill.name_fr))]


def skill_holders(skill: Skill) -> list[MemberSkill]:
    """Who has the skill, best level first, teachers first within a level."""
    return list(
        db.session.scalars(
            select(MemberSkill)
            .join(Member)
            .options(joinedload(MemberSkill.member))
            .where(MemberSkill.skill_id == skill.id, Member.is_active.is_(True))
            .order_by(LEVEL_RANK.desc(), MemberSkill.can_teach.desc(), Member.name_key, Member.id)
        )
    )


def skills_of(member_ids: list[int]) -> dict[int, list[MemberSkill]]:
    """Batch: each member's skills with the skill loaded, best level first (one query)."""
    found: dict[int, list[MemberSkill]] = defaultdict(list)
    if member_ids:
        rows = db.session.scalars(
            select(MemberSkill)
            .options(joinedload(MemberSkill.skill))
            .where(MemberSkill.member_id.in_(member_ids))
            .order_by(MemberSkill.member_id, LEVEL_RANK.desc(), MemberSkill.skill_id)
        )
        for row in rows:
            found[row.member_id].append(row)
    return found


def skill_choices() -> list[Skill]:
    return list(
        db.session.scalars(select(Skill).where(Skill.status.in_(LIVE)).order_by(Skill.name_fr))
    )


# --- the members list's `skill` filter, facet and reasons -------------------------------------


def _parse_skill_ids(values: list[str]) -> list[int]:
    ids = [parse_id(v) for v in values]
    if None in ids or len(ids) > 10:
        raise Invalid(fields={"skill": _l("Unknown skill.")})
    return list(dict.fromkeys(i for i in ids if i))


#: Below this many holders a skill is "rare": the list starts from its holders.
RARE_SKILL_HOLDERS = 200
_holders_cache: dict[int, tuple[float, int]] = {}


def holder_counts(skill_ids: list[int]) -> dict[int, int]:
    """How many members hold each skill (all accounts), kept as long as the facet counts:
    a plan hint only."""
    ttl = current_app.config["FACETS_CACHE_SECONDS"]
    now = time.monotonic()
    missing = [i for i in skill_ids if _holders_cache.get(i, (0.0, 0))[0] <= now]
    if missing:
        found = dict(
            db.session.execute(
                select(MemberSkill.skill_id, func.count())
                .where(MemberSkill.skill_id.in_(missing))
                .group_by(MemberSkill.skill_id)
            ).all()
        )
        if len(_holders_cache) > 5000:
            _holders_cache.clear()
        for skill_id in missing:
            _holders_cache[skill_id] = (now + ttl, found.get(skill_id, 0))
    return {i: _holders_cache[i][1] for i in skill_ids}


def _holds_all(_viewer: Member, skill_ids: list[int]):
    """Members holding every skill. The list walks members in name order and stops after a
    page: one index probe per member (EXISTS) finds a page of a common skill's holders in
    ~0.2 ms where collecting all its holders first took 1–4 ms at 20,000 members. A rare
    skill's holders are collected first instead (a walk would read every member for them)."""
    counts = holder_counts(skill_ids)
    rarest = min(skill_ids, key=lambda i: (counts[i], i))

    def holds(skill_id: int):
        return (
            select(MemberSkill.member_id)
            .where(MemberSkill.member_id == Member.id, MemberSkill.skill_id == skill_id)
            .exists()
        )

    if counts[rarest] >= RARE_SKILL_HOLDERS:
        return and_(*(holds(i) for i in skill_ids))
    return _holders_of_all(_viewer, skill_ids)


def _holders_of_all(_viewer: Member, skill_ids: list[int]):
    """Members holding every skill, their ids collected first: to count them all (facets),
    where walking every member with a probe each is twice as slow."""
    holders = select(MemberSkill.member_id).where(MemberSkill.skill_id.in_(skill_ids))
    if len(skill_ids) > 1:
        holders = holders.group_by(MemberSkill.member_id).having(
            func.count(MemberSkill.skill_id) == len(skill_ids)
        )
    return Member.id.in_(holders)


def _skill_facet(_viewer: Member, ids: Select) -> list[FacetValue]:
    locale = str(get_locale() or "fr")
    rows = db.session.execute(
        select(Skill, func.count())
        .join(MemberSkill, MemberSkill.skill_id == Skill.id)
        .where(MemberSkill.member_id.in_(ids))
        .group_by(Skill.id)
        .order_by(func.count().desc(), Skill.name_fr)
        .limit(12)
    )
    return [FacetValue(str(skill.id), skill.name(locale), count) for skill, count in rows]


#: The filtered skills some members hold: built once (it runs for every page of the list).
_HELD = (
    select(
        MemberSkill.member_id,
        MemberSkill.skill_id,
        Skill.name_fr,
        Skill.name_en,
        MemberSkill.level,
        MemberSkill.can_teach,
    )
    .join(Skill, Skill.id == MemberSkill.skill_id)
    .where(
        MemberSkill.member_id.in_(bindparam("members", expanding=True)),
        MemberSkill.skill_id.in_(bindparam("skills", expanding=True)),
    )
    .order_by(MemberSkill.member_id, MemberSkill.skill_id)
)


def _skill_reasons(
    _viewer: Member, members: list[Member], skill_ids: list[int]
) -> dict[int, list[Any]]:
    """For each card: the filtered skills the member holds, with level, teaching and who
    endorsed them (one query, and one per endorsement provider; texts translated here,
    once, rather than lazily on every card)."""
    english = str(get_locale() or "fr") == "en"
    levels = {level: str(level.label) for level in Level}
    held, teaches = _("%(skill)s: %(level)s"), _("%(reason)s, can teach it")
    endorsed = _("%(reason)s, endorsed by %(names)s")
    reasons: dict[int, list[Any]] = defaultdict(list)
    ids = [m.id for m in members]
    rows = db.session.execute(_HELD, {"members": ids, "skills": skill_ids})
    endorsements = skill_endorsements(ids)
    for member_id, skill_id, name_fr, name_en, level, can_teach in rows:
        name = name_en if english and name_en else name_fr
        text = held % {"skill": name, "level": levels[level]}
        text = teaches % {"reason": text} if can_teach else text
        vouched = endorsements.get(member_id, {}).get(skill_id)
        if vouched:
            names = ", ".join(e.endorser_name for e in vouched)
            text = endorsed % {"reason": text, "names": f"{names} ({len(vouched)})"}
        reasons[member_id].append(text)
    return reasons


def _profile_skills(member: Member, _viewer: Member) -> dict[str, Any]:
    return {
        "skills": skills_of([member.id]).get(member.id, []),
        "endorsements": skill_endorsements([member.id]).get(member.id, {}),
        "viewer_id": getattr(_viewer, "id", None),
        "locale": str(get_locale() or "fr"),
        "member": member,
    }


register_profile_section("skills/_profile_section.html", _profile_skills)
register_member_filter(
    "skill",
    MemberFilter(
        label=_l("Skills"),
        parse=_parse_skill_ids,
        clause=_holds_all,
        count_clause=_holders_of_all,
        facet=_skill_facet,
        reasons=_skill_reasons,
        schema={"type": "array", "items": ID_SCHEMA, "maxItems": 10},
    ),
)


def _catalogue_names(ids) -> dict[int, str]:
    wanted = {i for i in ids if isinstance(i, int)}
    if not wanted:
        return {}
    locale = str(get_locale() or "fr")
    rows = db.session.scalars(
        select(Skill).where(Skill.id.in_(wanted), Skill.status != SkillStatus.MERGED)
    )
    return {s.id: s.name(locale) for s in rows}


def _catalogue_choices() -> list[tuple[int, str]]:
    locale = str(get_locale() or "fr")
    return sorted(((s.id, s.name(locale)) for s in skill_choices()), key=lambda c: c[1].lower())


def _held_by(member_id: int) -> list[int]:
    return list(
        db.session.scalars(
            select(MemberSkill.skill_id)
            .where(MemberSkill.member_id == member_id)
            .order_by(MemberSkill.skill_id)
        )
    )


register_skill_catalogue(SkillCatalogue(_catalogue_names, _catalogue_choices, _held_by))
