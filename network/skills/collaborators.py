"""Find collaborators: parse a need, load candidates, rank them, explain each match."""

import re
from dataclasses import dataclass
from typing import Any

from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, case, func, literal, or_, select, true

from network.core.errors import Invalid, NotFound
from network.core.permissions import is_staff
from network.core.registries import collaborator_reasons
from network.core.text import fold
from network.extensions import db
from network.members.models import OPEN_TO_LABELS, Member, OpenTo, Status, Visibility
from network.skills import geo, ranking
from network.skills.models import LEVEL_WEIGHTS, Level, MemberSkill, Skill, SkillAlias
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


@dataclass(frozen=True)
class Place:
    """A place named in a need's free text, and the text without it."""

    name: str
    postcode: str
    rest: str  # the text without the place and the words announcing it ("près de")


@dataclass
class Found:
    results: list[Result]
    place: Place | None  # the place read in the text, when it is the proximity filter


def find_collaborators(
    viewer: Member, *, skills: Any = (), text: Any = "", postcode: Any = "", limit: Any = 20
) -> list[Result]:
    """Ranked members for a need: skills (ids or names) and/or free text, near a postcode."""
    return search(viewer, skills=skills, text=text, postcode=postcode, limit=limit).results


def search(
    viewer: Member, *, skills: Any = (), text: Any = "", postcode: Any = "", limit: Any = 20
) -> Found:
    """`find_collaborators`, and the place named in the text ("près de Saint-Étienne", a
    postcode): it is not a keyword but the proximity filter, unless `postcode` is given."""
    need, place = _parse(viewer, skills, text, postcode)
    if type(limit) is not int or not 1 <= limit <= 50:
        raise Invalid(fields={"limit": _l("Must be a number between 1 and %(max)s.", max=50)})
    candidates = candidates_for(viewer, need, limit)
    matches = ranking.rank(need, candidates, limit)
    members = {
        m.id: m
        for m in db.session.scalars(
            select(Member).where(Member.id.in_([m.member_id for m in matches]))
        )
    }
    names = _skill_names([s for m in matches for ids in m.by_level.values() for s in ids])
    cities = {c.member_id: c.city for c in candidates}
    results = [
        Result(members[m.member_id], m, explain(m, names, cities[m.member_id])) for m in matches
    ]
    more = collaborator_reasons(viewer, [r.member.id for r in results], list(need.skill_ids))
    for result in results:
        result.reasons.extend(more.get(result.member.id, ()))
    return Found(results, place)


def parse_need(viewer: Member, skills: Any, text: Any, postcode: Any) -> ranking.Need:
    return _parse(viewer, skills, text, postcode)[0]


def _parse(
    viewer: Member, skills: Any, text: Any, postcode: Any
) -> tuple[ranking.Need, Place | None]:
    if not isinstance(skills, list | tuple) or len(skills) > 10:
        raise Invalid(fields={"skills": _l("Give a list of at most 10 skills.")})
    if not isinstance(text, str) or len(text) > MAX_TEXT:
        raise Invalid(fields={"text": _l("At most %(n)s characters.", n=MAX_TEXT)})
    if not isinstance(postcode, str) or len(postcode) > 10:
        raise Invalid(fields={"postcode": _l("Enter a postcode such as 69003.")})
    place = place_in(text)
    if place is not None:
        text = place.rest
        if postcode.strip():
            place = None  # the postcode given wins; the place is no keyword either way
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
    near = postcode.strip() or (place.postcode if place else "") or viewer.postcode
    return ranking.Need(tuple(dict.fromkeys(skill_ids)), terms, near, asker), place


def place_in(text: str) -> Place | None:
    """The first place named in `text`: a town (accents and hyphens do not matter; the
    cooperative's towns and the members' own) or a postcode, with the words announcing it
    ("près de", "à", "autour de", "near"…) removed from the rest of the text."""
    tokens = [(m.start(), m.end(), fold(m.group())) for m in re.finditer(r"\w+", text)]
    if not tokens:
        return None
    spans = [(i, n) for i in range(len(tokens)) for n in (4, 3, 2, 1) if i + n <= len(tokens)]
    known = _member_towns({fold(text[tokens[i][0] : tokens[i + n - 1][1]]) for i, n in spans})
    for i, n in spans:
        said = tuple(token[2] for token in tokens[i : i + n])
        marker = _marker_before(tokens, i)
        found = _town(said, fold(text[tokens[i][0] : tokens[i + n - 1][1]]), known, marker)
        if found is None:
            continue
        start = tokens[i - len(marker)][0] if marker else tokens[i][0]
        rest = f"{text[:start]} {text[tokens[i + n - 1][1] :]}"
        rest = re.sub(r"\s+([,.)])", r"\1", " ".join(rest.split())).strip(" ,;")
        return Place(found[0], found[1], rest)
    return None


def _town(
    said: tuple[str, ...], key: str, known: dict[str, tuple[str, str]], marker: tuple
) -> tuple[str, str] | None:
    if len(said) == 1 and len(said[0]) == 5 and geo.departement(said[0]):
        return said[0], said[0]
    name = " ".join(said)
    if name in geo.AMBIGUOUS and not marker:
        return None
    return geo.CITIES.get(name) or known.get(key)


def _marker_before(tokens: list[tuple[int, int, str]], i: int) -> tuple[str, ...]:
    before = tuple(token[2] for token in tokens[:i])
    return next((m for m in geo.PLACE_MARKERS if before[-len(m) :] == m), ())


def _member_towns(keys: set[str]) -> dict[str, tuple[str, str]]:
    """Towns members show on their profile, by folded name: (name, a postcode there)."""
    rows = db.session.execute(
        select(Member.city_key, Member.city, func.min(Member.postcode))
        .where(
            Member.city_key.in_(sorted(keys)[:500]),
            Member.postcode != "",
            Member.vis_location == Visibility.MEMBERS,
        )
        .group_by(Member.city_key, Member.city)
    ).all()
    return {key: (city, code) for key, city, code in rows}


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
#: How far above an exact score (rounded to 0.01) its SQL bound may fall: the rounding, and
#: float error (SQL adds up the same parts in another order).
ROUNDING = 0.005 + 1e-6


@dataclass
class _Source:
    """Candidates from one query, best SQL score first; `floor`: the unread ones score less."""

    query: Select
    score: Any
    rows: list[Any]
    floor: float | None  # None: every row was read


def candidates_for(
    viewer: Member, need: ranking.Need, limit: int = 20, cap: int | None = None
) -> list[ranking.Candidate]:
    """Active members (not the asker, not alumni) holding a needed skill or naming a term:
    a set certain to hold the `limit` best matches, as plain columns, not ORM objects.

    SQL adds up each member's score (an upper bound of `ranking.score`: words are matched
    anywhere in a word, not only at its start) and reads the best few in the ranking's order;
    Python scores them exactly. The SQL scores of the others then bound their exact scores:
    those that could still reach the `limit`-th match (or tie with it and come first by name)
    are read too. A member holding no needed skill, found by the words alone, scores at most
    `ranking.WORDS_ONLY_MAX` (less without a postcode): when enough holders score more, the
    words are not looked for across all members at all."""
    staff = is_staff(viewer)
    cap = cap or 2 * limit + 10  # rows read first, from each query
    sources = []
    if need.skill_ids:
        sources.append(_read(_holders(viewer, need, staff), cap))
    rows = {row.id: row for source in sources for row in source.rows}
    candidates = _candidates(need, list(rows.values()), staff)
    saidonly_max = ranking.WORDS_ONLY_MAX - (0 if need.postcode else ranking.PROXIMITY)
    if need.terms and (
        not need.skill_ids or _limit_match(need, candidates, limit)[0] <= saidonly_max
    ):
        sources.append(_read(_word_matches(viewer, need, staff), cap))
        rows.update((row.id, row) for row in sources[-1].rows)
        candidates = _candidates(need, list(rows.values()), staff)
    last = _limit_match(need, candidates, limit)
    more = [row for source in sources for row in _rest(source, last) if row.id not in rows]
    if more:
        rows.update((row.id, row) for row in more)
        candidates = _candidates(need, list(rows.values()), staff)
    return candidates


def _limit_match(
    need: ranking.Need, candidates: list[ranking.Candidate], limit: int
) -> tuple[float, str, int]:
    """(score, name key, id) of the `limit`-th best match so far: who must be beaten to enter
    the results (minus infinity when fewer match)."""
    matches = ranking.rank(need, candidates, limit)
    if len(matches) < limit:
        return float("-inf"), "", 0
    names = {c.member_id: c.name_key for c in candidates}
    return matches[-1].score, names[matches[-1].member_id], matches[-1].member_id


def _read(query_and_score: tuple[Select, Any], cap: int) -> _Source:
    query, score = query_and_score
    bound = score.label("bound")  # ordered by its label: computed once a row
    ordered = query.add_columns(bound).order_by(bound.desc(), Member.name_key, Member.id)
    rows = list(db.session.execute(ordered.limit(cap)).all())
    return _Source(query, score, rows, rows[-1].bound if len(rows) == cap else None)


def _rest(source: _Source, last: tuple[float, str, int]) -> list[Any]:
    """The unread rows that could still enter the results: beat the `last` match's score, or
    tie with it and come first by name."""
    score, name_key, member_id = last
    if source.floor is None or source.floor < score - ROUNDING:
        return []
    query = source.query.add_columns(source.score.label("bound"))
    if score != float("-inf"):
        query = query.where(
            or_(
                source.score >= score + 0.01 - ROUNDING,  # could score 0.01 more
                and_(
                    source.score >= score - ROUNDING,
                    or_(
                        Member.name_key < name_key,
                        and_(Member.name_key == name_key, Member.id < member_id),
                    ),
                ),
            )
        )
    return list(db.session.execute(query).all())


def _seen(staff: bool, group: str) -> Any:
    """Does the asker see this group of a member's fields? (The asker is never a candidate.)"""
    return true() if staff else getattr(Member, f"vis_{group}") == Visibility.MEMBERS


def _eligible(viewer: Member, scan: bool = False) -> tuple[Any, ...]:
    """Active members, not alumni, not the asker. `scan`: for a query reading most members,
    phrase "active" so that SQLite reads the table in order rather than every row through
    the (is_active, name) index: 11 ms rather than 35–50 ms for 20,000 members."""
    active = Member.is_active.is_not(False) if scan else Member.is_active.is_(True)
    return (active, Member.status != Status.ALUMNUS, Member.id != viewer.id)


def _common_points(need: ranking.Need, staff: bool) -> Any:
    """Words, openness and proximity: the points that need no skill (as `ranking.score`)."""
    total: Any = case(
        (
            and_(
                _seen(staff, "open_to"),
                or_(*(Member.open_to_key.contains(f"|{v}|") for v in ranking.OPEN_FOR_WORK)),
            ),
            float(ranking.OPENNESS),
        ),
        else_=0.0,
    )
    if need.terms:
        named = [case((or_(*_mentions(staff, term)), 1.0), else_=0.0) for term in need.terms]
        total = total + sum(named[1:], named[0]) * (ranking.WORDS / len(need.terms))
    if need.postcode:
        total = total + case((_seen(staff, "location"), _proximity(need.postcode)), else_=0.0)
    return total


def _proximity(postcode: str) -> Any:
    """`ranking.PROXIMITY` times the closeness of a member's postcode to `postcode`, by the
    member's département (by the first two digits of a five-digit code; Corsica and overseas
    take one more look). Départements bringing less than a point share the most of them,
    and a postcode written another way (with a space, say) counts as the same département:
    bounds, not exact points, cheaper than a hundred comparisons a row."""
    points = ranking.proximity_points(postcode)
    same = float(ranking.PROXIMITY)
    if not points:
        return case((Member.postcode == postcode, same), else_=0.0)
    near = {key: value for key, value in points.items() if value >= 1.0}
    rest = max((v for k, v in points.items() if k not in near), default=0.0)

    two = [k for k in near if len(k) == 2 and k[0].isdigit() and k[1].isdigit()]
    by_departement: Any = (
        case(
            {k: near[k] for k in sorted(two, key=lambda k: -near[k])},
            value=func.substr(Member.postcode, 1, 2),
            else_=rest,
        )
        if two
        else literal(rest)
    )
    corsica = case((Member.postcode < "20200", points.get("2A", 0.0)), else_=points.get("2B", 0.0))
    overseas = case(
        {k: points[k] for k in points if k.startswith("97")},
        value=func.substr(Member.postcode, 1, 3),
        else_=0.0,
    )
    return case(
        (Member.postcode == postcode, same),
        (Member.postcode == "", 0.0),
        (_not_five_digits(), max(points.values())),
        (Member.postcode.startswith("20"), corsica),
        (Member.postcode.startswith("97"), overseas),
        else_=by_departement,
    )


def _not_five_digits() -> Any:
    """Member.postcode is not a French postcode (GLOB is SQLite's fast pattern)."""
    if db.engine.dialect.name == "sqlite":
        return Member.postcode.op("NOT GLOB", is_comparison=True)("[0-9]" * 5)
    return ~Member.postcode.regexp_match("^[0-9]{5}$")


def _mentions(staff: bool, term: str) -> list[Any]:
    stem = ranking.stem(term)
    return [
        and_(_seen(staff, "activity"), Member.activity_key.contains(stem, autoescape=True)),
        and_(_seen(staff, "headline"), Member.headline_key.contains(stem, autoescape=True)),
    ]


def _holders(viewer: Member, need: ranking.Need, staff: bool) -> tuple[Select, Any]:
    """Members holding a needed skill, and their SQL score."""
    n = len(need.skill_ids)
    brings = [s for s in need.skill_ids if s not in need.asker_skill_ids]
    held = (
        select(
            MemberSkill.member_id,
            func.sum(
                case(*((MemberSkill.level == lv, w) for lv, w in LEVEL_WEIGHTS.items()), else_=0.0)
            ).label("cover"),
            func.sum(case((MemberSkill.skill_id.in_(brings), 1.0), else_=0.0)).label("brings")
            if brings
            else literal(0.0).label("brings"),
            func.max(case((MemberSkill.can_teach.is_(True), 1), else_=0)).label("teaches"),
        )
        .where(MemberSkill.skill_id.in_(need.skill_ids))
        .group_by(MemberSkill.member_id)
        .subquery()
    )
    mentors = case(
        (
            and_(
                held.c.teaches == 1,
                _seen(staff, "open_to"),
                Member.open_to_key.contains("|mentoring|"),
            ),
            float(ranking.MENTORING),
        ),
        else_=0.0,
    )
    score = (
        held.c.cover * (ranking.COVERAGE / n)
        + held.c.brings * (ranking.COMPLEMENTS / n)
        + mentors
        + _common_points(need, staff)
    )
    query = select(*CANDIDATE_COLUMNS).join(held, held.c.member_id == Member.id)
    return query.where(*_eligible(viewer)), score


def _word_matches(viewer: Member, need: ranking.Need, staff: bool) -> tuple[Select, Any]:
    """Members holding no needed skill whose visible activity or headline names a term."""
    query = select(*CANDIDATE_COLUMNS).where(
        *_eligible(viewer, scan=True),
        or_(*(m for term in need.terms for m in _mentions(staff, term))),
    )
    if need.skill_ids:
        query = query.where(
            ~select(MemberSkill.member_id)
            .where(MemberSkill.member_id == Member.id, MemberSkill.skill_id.in_(need.skill_ids))
            .exists()
        )
    return query, _common_points(need, staff)


def _candidates(need: ranking.Need, rows: list[Any], staff: bool) -> list[ranking.Candidate]:
    """The rows as candidates, with their levels in the needed skills (one query)."""
    levels: dict[int, dict[int, tuple[Level, bool]]] = {row.id: {} for row in rows}
    if rows and need.skill_ids:
        for member_id, skill_id, level, can_teach in db.session.execute(
            select(
                MemberSkill.member_id,
                MemberSkill.skill_id,
                MemberSkill.level,
                MemberSkill.can_teach,
            ).where(
                MemberSkill.member_id.in_(list(levels)), MemberSkill.skill_id.in_(need.skill_ids)
            )
        ):
            levels[member_id][skill_id] = (level, can_teach)
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
