"""Find collaborators: parse a need, load candidates, rank them, explain each match."""

import re
from dataclasses import dataclass
from typing import Any

from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, or_, select

from network.core.errors import Invalid, NotFound
from network.core.permissions import is_staff
from network.core.text import fold
from network.extensions import db
from network.members.models import OPEN_TO_LABELS, Member, OpenTo, Status, Visibility
from network.members.queries import visible_to
from network.skills import ranking
from network.skills.models import Level, MemberSkill, Skill, SkillAlias
from network.skills.operations import find_skill, get_skill
from network.skills.queries import LIVE

STOPWORDS = {
    "avec",
    "pour",
    "dans",
    "des",
    "les",
    "une",
    "qui",
    "que",
    "and",
    "the",
    "with",
    "for",
    "cherche",
    "recherche",
    "looking",
    "besoin",
    "need",
    "sur",
    "aux",
    "est",
}
MAX_TEXT = 500


@dataclass
class Result:
    member: Member
    match: ranking.Match
    reasons: list[str]


def find_collaborators(
    viewer: Member, *, skills: Any = (), text: Any = "", postcode: Any = "", limit: Any = 20
) -> list[Result]:
    """Ranked members for a need: skills (ids or names) and/or free text, near a postcode."""
    need = parse_need(viewer, skills, text, postcode)
    if type(limit) is not int or not 1 <= limit <= 50:
        raise Invalid(fields={"limit": _l("Must be a number between 1 and %(max)s.", max=50)})
    candidates = candidates_for(viewer, need)
    matches = ranking.rank(need, candidates, limit)
    members = {
        m.id: m
        for m in db.session.scalars(
            select(Member).where(Member.id.in_([m.member_id for m in matches]))
        )
    }
    names = _skill_names([s for m in matches for ids in m.by_level.values() for s in ids])
    cities = {c.member_id: c.city for c in candidates}
    return [
        Result(members[m.member_id], m, explain(m, names, cities[m.member_id])) for m in matches
    ]


def parse_need(viewer: Member, skills: Any, text: Any, postcode: Any) -> ranking.Need:
    if not isinstance(skills, list | tuple) or len(skills) > 10:
        raise Invalid(fields={"skills": _l("Give a list of at most 10 skills.")})
    if not isinstance(text, str) or len(text) > MAX_TEXT:
        raise Invalid(fields={"text": _l("At most %(n)s characters.", n=MAX_TEXT)})
    if not isinstance(postcode, str) or len(postcode) > 10:
        raise Invalid(fields={"postcode": _l("Enter a postcode such as 69003.")})
    skill_ids = [_skill_id(item) for item in skills]
    skill_ids += skills_in_text(text)
    terms = tuple(dict.fromkeys(words(text)))[:8]
    if not skill_ids and not terms:
        raise Invalid(
            _l("Describe your need: a few words or at least one skill."),
            fields={"text": _l("Describe your need: a few words or at least one skill.")},
        )
    asker = frozenset(
        db.session.scalars(select(MemberSkill.skill_id).where(MemberSkill.member_id == viewer.id))
    )
    return ranking.Need(
        tuple(dict.fromkeys(skill_ids)), terms, postcode.strip() or viewer.postcode, asker
    )


def _skill_id(item: Any) -> int:
    if (
        isinstance(item, int)
        and not isinstance(item, bool)
        or (isinstance(item, str) and item.isdigit())
    ):
        try:
            return get_skill(item).id
        except NotFound:
            raise Invalid(fields={"skills": _l("Unknown skill.")}) from None
    if isinstance(item, str) and (skill := find_skill(item)) is not None:
        return skill.id
    raise Invalid(fields={"skills": _l("Unknown skill “%(name)s”.", name=str(item)[:80])})


def words(text: str) -> list[str]:
    return [w for w in re.findall(r"[a-z0-9]+", fold(text)) if len(w) >= 3 and w not in STOPWORDS]


def skills_in_text(text: str) -> list[int]:
    """Skills named in free text (one to three words, any spelling), in order of appearance."""
    tokens = re.findall(r"[a-z0-9]+", fold(text))
    keys = [" ".join(tokens[i : i + n]) for n in (1, 2, 3) for i in range(len(tokens) - n + 1)]
    if not keys:
        return []
    found = dict(
        db.session.execute(
            select(SkillAlias.key, Skill.id)
            .join(Skill)
            .where(SkillAlias.key.in_(keys[:500]), Skill.status.in_(LIVE))
        ).all()
    )
    return list(dict.fromkeys(found[key] for key in keys if key in found))


CANDIDATE_COLUMNS = (
    Member.id,
    Member.name_key,
    Member.activity_key,
    Member.headline_key,
    Member.open_to,
    Member.postcode,
    Member.city,
    Member.vis_activity,
    Member.vis_headline,
    Member.vis_open_to,
    Member.vis_location,
)


def candidates_for(viewer: Member, need: ranking.Need, cap: int = 600) -> list[ranking.Candidate]:
    """Active members (not the asker, not alumni) holding a needed skill or naming a term.

    Plain columns, not ORM objects: thousands of candidates are scored for a few results."""
    matches = []
    if need.skill_ids:  # the best-covering holders first: others could not outrank them
        coverage = func.sum(
            case(
                (MemberSkill.level == Level.EXPERT, 1.0),
                (MemberSkill.level == Level.PRACTISED, 0.75),
                else_=0.4,
            )
        )
        matches.append(
            Member.id.in_(
                select(MemberSkill.member_id)
                .join(Member)
                .where(MemberSkill.skill_id.in_(need.skill_ids), Member.is_active.is_(True))
                .group_by(MemberSkill.member_id)
                .order_by(coverage.desc(), MemberSkill.member_id)
                .limit(cap)
            )
        )
    for term in need.terms:
        stem = term[:6]
        matches.append(
            visible_to(viewer, "activity", Member.activity_key.contains(stem, autoescape=True))
        )
        matches.append(
            visible_to(viewer, "headline", Member.headline_key.contains(stem, autoescape=True))
        )
    rows = db.session.execute(
        select(*CANDIDATE_COLUMNS)
        .where(
            Member.is_active.is_(True),
            Member.status != Status.ALUMNUS,
            Member.id != viewer.id,
            or_(*matches),
        )
        .order_by(Member.id)
        .limit(cap)
    ).all()
    levels: dict[int, dict[int, tuple[Level, bool]]] = {row.id: {} for row in rows}
    if rows:
        for member_id, skill_id, level, can_teach in db.session.execute(
            select(
                MemberSkill.member_id,
                MemberSkill.skill_id,
                MemberSkill.level,
                MemberSkill.can_teach,
            ).where(MemberSkill.member_id.in_(list(levels)))
        ):
            levels[member_id][skill_id] = (level, can_teach)
    staff = is_staff(viewer)
    return [_candidate(row, levels[row.id], staff) for row in rows]


def _candidate(row: Any, levels: dict[int, tuple[Level, bool]], staff: bool) -> ranking.Candidate:
    def sees(visibility: Visibility) -> bool:
        return staff or visibility == Visibility.MEMBERS

    parts = [row.activity_key] if sees(row.vis_activity) else []
    if sees(row.vis_headline):
        parts.append(row.headline_key)
    return ranking.Candidate(
        member_id=row.id,
        name_key=row.name_key,
        levels=levels,
        open_to=frozenset(row.open_to) if sees(row.vis_open_to) else frozenset(),
        postcode=row.postcode if sees(row.vis_location) else "",
        city=row.city if sees(row.vis_location) else "",
        text=" ".join(parts),
    )


def _skill_names(ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    locale = str(get_locale() or "fr")
    return {
        s.id: s.name(locale)
        for s in db.session.scalars(select(Skill).where(Skill.id.in_(set(ids))))
    }


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return _("%(items)s and %(last)s", items=", ".join(items[:-1]), last=items[-1])


LEVEL_PHRASES = {
    Level.EXPERT: _l("expert in %(skills)s"),
    Level.PRACTISED: _l("practised in %(skills)s"),
    Level.NOTIONS: _l("notions of %(skills)s"),
}


def explain(match: ranking.Match, names: dict[int, str], city: str) -> list[str]:
    """Plain-language reasons, in the viewer's language."""
    reasons = []
    held = sum(len(ids) for ids in match.by_level.values())
    if held:
        levels = [
            str(LEVEL_PHRASES[level]) % {"skills": _join([names[s] for s in ids])}
            for level, ids in sorted(match.by_level.items(), key=lambda i: -i[0].weight)
        ]
        coverage = (
            _("every skill you need")
            if held == match.needed
            else _("%(held)s of the %(total)s skills you need", held=held, total=match.needed)
        )
        reasons.append(
            _(
                "%(levels)s (%(coverage)s)",
                levels=", ".join(levels),
                coverage=coverage,
            )
        )
    if match.complements and match.asker_overlaps:
        reasons.append(
            ngettext(
                "brings %(num)s skill you do not have",
                "brings %(num)s skills you do not have",
                len(match.complements),
            )
        )
    if match.teaches:
        reasons.append(_("can teach %(skills)s", skills=_join([names[s] for s in match.teaches])))
    if match.proximity:
        kind, km = match.proximity
        place = city or _("nearby")
        reasons.append(
            {
                "postcode": _("%(city)s, same postcode", city=place),
                "departement": _("%(city)s, same département", city=place),
            }.get(kind)
            or _("%(city)s, about %(km)s km", city=place, km=max(10, int(round(km or 0, -1))))
        )
    if match.open_to:
        reasons.append(
            _(
                "open to %(what)s",
                what=_join([str(OPEN_TO_LABELS[OpenTo(v)]).lower() for v in match.open_to]),
            )
        )
    if match.matched_terms:
        reasons.append(_("mentions “%(words)s”", words=", ".join(match.matched_terms)))
    return reasons
