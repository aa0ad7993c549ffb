"""Ranking for "find collaborators": pure functions over plain data, easy to test.

Score (0–100) = skill coverage by level (60) + complementarity with the asker's own skills
(15) + stated openness (10) + proximity (15); when the need has free text, matching words in
the candidate's visible activity add up to 20. Ties break by name, then id: deterministic.
"""

from dataclasses import dataclass, field

from network.skills import geo
from network.skills.models import Level

OPEN_FOR_WORK = {"collaboration", "subcontracting"}
# The score's parts, at most (the SQL that picks candidates adds up the same parts).
COVERAGE, COMPLEMENTS, OPENNESS, MENTORING, PROXIMITY, WORDS = 60, 15, 10, 5, 15, 20
#: The most a member holding none of the needed skills can score: words, openness, proximity.
WORDS_ONLY_MAX = WORDS + OPENNESS + PROXIMITY


@dataclass(frozen=True)
class Need:
    skill_ids: tuple[int, ...]
    terms: tuple[str, ...] = ()  # folded words of the free text
    postcode: str = ""
    asker_skill_ids: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Candidate:
    member_id: int
    name_key: str
    levels: dict[int, tuple[Level, bool]]  # skill id → (level, can teach)
    open_to: frozenset[str] = frozenset()
    postcode: str = ""  # empty when hidden from the asker
    city: str = ""
    text: str = ""  # folded trade, headline, trading name and sector the asker may see


@dataclass
class Match:
    member_id: int
    score: float
    by_level: dict[Level, list[int]] = field(default_factory=dict)
    complements: list[int] = field(default_factory=list)
    teaches: list[int] = field(default_factory=list)
    open_to: list[str] = field(default_factory=list)
    proximity: tuple[str, float | None] | None = None  # (kind, km)
    matched_terms: list[str] = field(default_factory=list)
    needed: int = 0
    asker_overlaps: bool = False  # the asker holds some needed skills: complements matter


def rank(need: Need, candidates: list[Candidate], limit: int) -> list[Match]:
    matches = [m for c in candidates if (m := score(need, c)) is not None]
    names = {c.member_id: c.name_key for c in candidates}
    matches.sort(key=lambda m: (-m.score, names[m.member_id], m.member_id))
    return matches[:limit]


def score(need: Need, candidate: Candidate) -> Match | None:
    """The candidate's match, or None when nothing of the need is met."""
    match = Match(candidate.member_id, 0.0, needed=len(need.skill_ids))
    held = [s for s in need.skill_ids if s in candidate.levels]
    for skill_id in held:
        level, can_teach = candidate.levels[skill_id]
        match.by_level.setdefault(level, []).append(skill_id)
        if can_teach:
            match.teaches.append(skill_id)
    match.matched_terms = [t for t in need.terms if _mentions(candidate.text, t)]
    if not held and not match.matched_terms:
        return None
    total = 0.0
    if need.skill_ids:
        coverage = sum(candidate.levels[s][0].weight for s in held) / len(need.skill_ids)
        match.complements = [s for s in held if s not in need.asker_skill_ids]
        match.asker_overlaps = bool(need.asker_skill_ids & set(need.skill_ids))
        total += COVERAGE * coverage + COMPLEMENTS * len(match.complements) / len(need.skill_ids)
    if need.terms:
        total += WORDS * len(match.matched_terms) / len(need.terms)
    match.open_to = sorted(candidate.open_to & OPEN_FOR_WORK)
    total += OPENNESS if match.open_to else 0
    total += MENTORING if match.teaches and "mentoring" in candidate.open_to else 0
    nearby = geo.proximity(need.postcode, candidate.postcode)
    if nearby is not None:
        closeness, kind = nearby
        total += PROXIMITY * closeness
        km = geo.distance_km(need.postcode, candidate.postcode) if kind == "distance" else None
        match.proximity = (kind, km)
    match.score = round(total, 2)
    return match


def stem(term: str) -> str:
    """What a word must start with to mention `term`."""
    return term[: max(4, min(len(term), 6))]


def _mentions(text: str, term: str) -> bool:
    """Does a word of `text` start like `term`? ("menuiserie" finds "menuisier")."""
    start = stem(term)
    return any(word.startswith(start) for word in text.split())


def proximity_points(postcode: str) -> dict[str, float]:
    """Proximity points to `postcode` of a different postcode, by its département: they depend
    on the département only (the same postcode earns all `PROXIMITY` points). Empty when
    `postcode` has no known département."""
    if geo.departement(postcode) is None:
        return {}
    points = {}
    for key in geo.DEPARTEMENTS:
        other = {"2A": "20000", "2B": "20200"}.get(key, key.ljust(5, "0"))
        if other == postcode.strip():
            other = other[:-1] + "1"
        nearby = geo.proximity(postcode, other)
        points[key] = PROXIMITY * nearby[0] if nearby else 0.0
    return points
