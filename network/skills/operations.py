"""Every state change of the taxonomy and of members' skills. The boundary commits."""

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from network.cooperative import current_settings
from network.core import audit, signals
from network.core.errors import Conflict, Forbidden, Invalid, NotFound
from network.core.ids import parse_id
from network.core.permissions import is_self_or_staff, require_staff
from network.core.text import fold
from network.extensions import db
from network.members.models import Member
from network.skills.models import Level, MemberSkill, Skill, SkillAlias, SkillStatus

MAX_NAME = 80
MAX_SYNONYMS = 20


def get_skill(skill_id: Any, *, live: bool = True) -> Skill:
    """The skill, or `NotFound`; with `live`, a merged skill counts as missing."""
    key = parse_id(skill_id)
    skill = db.session.get(Skill, key) if key else None
    if skill is None or (live and skill.status == SkillStatus.MERGED):
        raise NotFound(_l("This skill does not exist."))
    return skill


def find_skill(name: str) -> Skill | None:
    """The skill spelled `name` in any language or synonym, case and accents ignored."""
    alias = db.session.get(SkillAlias, fold(name)[:MAX_NAME])
    return alias.skill if alias else None


def _clean_name(raw: Any, field: str) -> str:
    name = " ".join(raw.split()) if isinstance(raw, str) else ""
    if not 2 <= len(name) <= MAX_NAME or not any(c.isalnum() for c in name):
        raise Invalid(fields={field: _l("Give a name of 2 to %(max)s characters.", max=MAX_NAME)})
    return name


def _clean_synonyms(raw: Any) -> list[str]:
    items = raw.replace(",", "\n").splitlines() if isinstance(raw, str) else raw or []
    if not isinstance(items, list) or len(items) > MAX_SYNONYMS:
        raise Invalid(fields={"synonyms": _l("At most %(n)s synonyms.", n=MAX_SYNONYMS)})
    return list(dict.fromkeys(_clean_name(item, "synonyms") for item in items if str(item).strip()))


def _claim_aliases(skill: Skill, spellings: list[tuple[str, str]]) -> None:
    """Point every (field, spelling) at `skill`; one owned by another skill is a `Conflict`
    on that field."""
    keys = dict.fromkeys(fold(spelling) for _field, spelling in spellings)
    for field, spelling in spellings:
        owner = db.session.get(SkillAlias, fold(spelling))
        if owner is not None and owner.skill_id != skill.id:
            message = _l(
                "“%(name)s” is already the skill “%(skill)s”.",
                name=spelling,
                skill=owner.skill.name_fr,
            )
            raise Conflict(message, fields={field: message})
    for alias in list(skill.aliases):
        if alias.key not in keys:
            skill.aliases.remove(alias)
    present = {alias.key for alias in skill.aliases}
    for key in keys:
        if key not in present:
            skill.aliases.append(SkillAlias(key=key, skill_id=skill.id))


def _spellings(skill: Skill) -> list[tuple[str, str]]:
    return [
        ("name_fr", skill.name_fr),
        ("name_en", skill.name_en),
        *(("synonyms", synonym) for synonym in skill.synonyms),
    ]


def create_skill(
    actor: Member, *, name_fr: Any, name_en: Any = "", category: Any = "", synonyms: Any = ()
) -> Skill:
    """Staff add an accepted skill to the taxonomy."""
    require_staff(actor)
    skill = Skill(status=SkillStatus.ACCEPTED)
    _fill(skill, name_fr=name_fr, name_en=name_en, category=category, synonyms=synonyms)
    audit.record(db.session, "skill_created", actor_id=actor.id, skill=skill.name_fr)
    signals.skill_changed.send(skill)
    return skill


def _fill(skill: Skill, *, name_fr: Any, name_en: Any, category: Any, synonyms: Any) -> None:
    skill.name_fr = _clean_name(name_fr, "name_fr")
    skill.name_en = _clean_name(name_en, "name_en") if name_en else skill.name_fr
    skill.category = " ".join(category.split())[:MAX_NAME] if isinstance(category, str) else ""
    skill.synonyms = _clean_synonyms(synonyms)
    if skill.id is None:
        db.session.add(skill)
        db.session.flush()
    _claim_aliases(skill, _spellings(skill))
    db.session.flush()


def update_skill(
    actor: Member, skill: Skill, *, name_fr: Any, name_en: Any, category: Any, synonyms: Any
) -> Skill:
    require_staff(actor)
    _fill(skill, name_fr=name_fr, name_en=name_en, category=category, synonyms=synonyms)
    signals.skill_changed.send(skill)
    return skill


def propose_skill(actor: Member, *, name: Any, category: Any = "") -> tuple[Skill, bool]:
    """A member proposes a skill; an existing spelling returns that skill instead.

    Returns (skill, created). Staff then accept the proposal or merge it into another.
    """
    clean = _clean_name(name, "name")
    existing = find_skill(clean)
    if existing is not None:
        return _live(existing), False
    skill = Skill(status=SkillStatus.PROPOSED, proposed_by_id=actor.id)
    _fill(skill, name_fr=clean, name_en=clean, category=category, synonyms=[])
    audit.record(db.session, "skill_proposed", actor_id=actor.id, skill=clean)
    signals.skill_changed.send(skill)
    return skill, True


def _live(skill: Skill) -> Skill:
    while skill.status == SkillStatus.MERGED and skill.merged_into_id:
        skill = db.session.get(Skill, skill.merged_into_id) or skill
    return skill


def accept_skill(actor: Member, skill: Skill) -> None:
    require_staff(actor)
    if skill.status != SkillStatus.PROPOSED:
        raise Conflict(_l("Only a proposed skill can be accepted."))
    skill.status = SkillStatus.ACCEPTED
    audit.record(db.session, "skill_accepted", actor_id=actor.id, skill=skill.name_fr)
    signals.skill_changed.send(skill)


def merge_skill(actor: Member, source: Skill, target: Skill) -> None:
    """Fold `source` into `target`: its holders and spellings move; the best level stays."""
    require_staff(actor)
    if source.id == target.id or target.status == SkillStatus.MERGED:
        raise Invalid(fields={"target_id": _l("Choose another skill to merge into.")})
    holdings = db.session.scalars(
        select(MemberSkill).where(MemberSkill.skill_id.in_([source.id, target.id]))
    ).all()
    best: dict[int, tuple[Level, int, bool]] = {}
    for holding in holdings:  # a member who had both keeps the best of each
        level, years, teach = best.get(holding.member_id, (Level.NOTIONS, 0, False))
        best[holding.member_id] = (
            max(level, holding.level, key=lambda lv: lv.weight),
            max(years, holding.years),
            teach or holding.can_teach,
        )
    kept_rows = [(member_id, *kept) for member_id, kept in best.items()]
    db.session.execute(delete(MemberSkill).where(MemberSkill.skill_id.in_([source.id, target.id])))
    db.session.add_all(
        MemberSkill(member_id=m, skill_id=target.id, level=lv, years=y, can_teach=t)
        for m, lv, y, t in kept_rows
    )
    moved = [alias.key for alias in source.aliases]
    source.aliases.clear()
    db.session.flush()
    target.synonyms = list(
        dict.fromkeys([*target.synonyms, source.name_fr, source.name_en, *source.synonyms])
    )
    for key in moved:
        target.aliases.append(SkillAlias(key=key, skill_id=target.id))
    source.status = SkillStatus.MERGED
    source.merged_into_id = target.id
    db.session.flush()
    signals.skill_changed.send(source)
    signals.skill_changed.send(target)
    for member_id, *_held in kept_rows:
        holder = db.session.get(Member, member_id)
        signals.skills_updated.send(holder, skill_ids=[target.id], actor=actor)
    audit.record(
        db.session, "skill_merged", actor_id=actor.id, source=source.name_fr, target=target.name_fr
    )


def set_member_skills(actor: Member, member: Member, items: Any) -> list[MemberSkill]:
    """Replace the member's skills with `items`: [{skill_id | name, level, years, can_teach}].

    A `name` that is not in the taxonomy yet is proposed. Unknown ids, bad levels, duplicates
    and lists over the cooperative's limit are `Invalid`; nothing changes then.
    """
    if not is_self_or_staff(actor, member):
        raise Forbidden()
    if not isinstance(items, list):
        raise Invalid(fields={"skills": _l("Give a list of skills.")})
    limit = current_settings()["max_skills_per_member"]
    if len(items) > limit:
        raise Invalid(fields={"skills": _l("At most %(n)s skills.", n=limit)})
    cleaned = [_clean_item(actor, index, item) for index, item in enumerate(items)]
    ids = [skill.id for skill, *_ in cleaned]
    if len(set(ids)) != len(ids):
        raise Invalid(fields={"skills": _l("A skill is listed twice.")})
    db.session.execute(delete(MemberSkill).where(MemberSkill.member_id == member.id))
    rows = [
        MemberSkill(
            member_id=member.id, skill_id=skill.id, level=level, years=years, can_teach=teach
        )
        for skill, level, years, teach in cleaned
    ]
    db.session.add_all(rows)
    db.session.flush()
    signals.skills_updated.send(member, skill_ids=ids, actor=actor)
    return rows


def _clean_item(actor: Member, index: int, item: Any) -> tuple[Skill, Level, int, bool]:
    field = f"skills[{index}]"
    if not isinstance(item, dict):
        raise Invalid(fields={field: _l("Give an object with a skill and a level.")})
    if item.get("skill_id") not in (None, ""):
        try:
            skill = _live(get_skill(item["skill_id"], live=False))
        except NotFound:
            raise Invalid(fields={field: _l("Unknown skill.")}) from None
    elif isinstance(item.get("name"), str):
        skill, _created = propose_skill(actor, name=item["name"])
    else:
        raise Invalid(fields={field: _l("Give a skill_id or a name.")})
    try:
        level = Level(item.get("level", Level.PRACTISED))
    except ValueError:
        raise Invalid(fields={field: _l("Unknown level.")}) from None
    years = item.get("years", 0) if item.get("years") not in (None, "") else 0
    if isinstance(years, str) and years.isdigit():
        years = int(years)
    if type(years) is not int or not 0 <= years <= 60:
        raise Invalid(fields={field: _l("Years of practice: a number from 0 to 60.")})
    teach = item.get("can_teach", False)
    if not isinstance(teach, bool):
        teach = str(teach).lower() in {"1", "true", "on", "yes"}
    return skill, level, years, teach
