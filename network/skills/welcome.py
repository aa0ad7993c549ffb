"""The first run's skills step: name a few skills (new ones are proposed to the taxonomy)."""

from collections.abc import Mapping
from typing import Any

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from network.core.welcome import WelcomeStep, register_welcome_step
from network.skills import operations, queries


def _context(member: Any) -> dict[str, Any]:
    locale = str(get_locale() or "fr")
    held = queries.skills_of([member.id])[member.id]
    return {
        "held_skills": [h.skill.name(locale) for h in held],
        "choices": queries.skill_choices(),
        "locale": locale,
    }


def _save(member: Any, form: Mapping[str, Any]) -> None:
    """Add the named skills (practised) to those the member already holds."""
    held = queries.skills_of([member.id])[member.id]
    items: list[dict[str, Any]] = [
        {"skill_id": h.skill_id, "level": h.level.value, "years": h.years, "can_teach": h.can_teach}
        for h in held
    ]
    seen = {h.skill_id for h in held}
    for name in (n.strip() for n in str(form.get("skills") or "").split(",")):
        if not name:
            continue
        skill = operations.find_skill(name)
        if skill is not None and skill.id in seen:
            continue
        if skill is not None:
            seen.add(skill.id)
        items.append({"skill_id": skill.id} if skill else {"name": name[:80]})
    operations.set_member_skills(member, member, items)


register_welcome_step(
    WelcomeStep(
        "skills",
        _l("Your skills"),
        "skills/_welcome_skills.html",
        _context,
        _save,
        position=20,
    )
)
