"""The guided first run: its state per member, and the members' own steps (the profile and
the CAE journey explained). Other modules register theirs (`network.core.welcome`)."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l

from network.cooperative import current_settings
from network.core.errors import NotFound
from network.core.models import utcnow
from network.core.welcome import WelcomeStep, register_welcome_step, welcome_steps
from network.members import operations, queries
from network.members.models import Member

PROFILE_FIELDS = ("headline", "trade", "city", "postcode")


@dataclass(frozen=True)
class WelcomeState:
    steps: list[WelcomeStep]
    current: WelcomeStep | None  # where to resume; None once finished
    finished: bool


def welcome_state(member: Member) -> WelcomeState:
    steps = welcome_steps()
    if member.welcomed_at is not None or not steps:
        return WelcomeState(steps, None, True)
    current = next((s for s in steps if s.name == member.welcome_step), steps[0])
    return WelcomeState(steps, current, False)


def get_step(name: str) -> WelcomeStep:
    found = next((s for s in welcome_steps() if s.name == name), None)
    if found is None:
        raise NotFound()
    return found


def complete_step(member: Member, name: str, form: Mapping[str, Any] | None) -> WelcomeStep | None:
    """Save the step `name` from `form` (None: skipped) and move the member to the step after
    it; returns that step, or None when it was the last one (the first run is finished).
    `Invalid` from the step's own operation leaves the member on this step."""
    step = get_step(name)
    if form is not None and step.save is not None:
        step.save(member, form)
    steps = welcome_steps()
    following = steps[steps.index(step) + 1 :]
    if following:
        if member.welcomed_at is None:
            member.welcome_step = following[0].name
        return following[0]
    finish_welcome(member)
    return None


def finish_welcome(member: Member) -> None:
    """The member finished or left the first run: it is not offered again."""
    if member.welcomed_at is None:
        member.welcomed_at = utcnow()
        member.welcome_step = ""


# --- the members' own steps ----------------------------------------------------------------


def _profile_context(member: Member) -> dict[str, Any]:
    return {"fields": PROFILE_FIELDS}


def _save_profile(member: Member, form: Mapping[str, Any]) -> None:
    operations.update_profile(member, member, {k: form[k] for k in PROFILE_FIELDS if k in form})


def _journey_context(member: Member) -> dict[str, Any]:
    settings = current_settings()
    return {
        "journey": queries.journey_summary(member),
        "cape_months": settings["cape_max_months"],
        "cape_renewals": settings["cape_max_renewals"],
        "associate_years": settings["associate_deadline_years"],
        "deducts_cape": settings["associate_deadline_deducts_cape"],
    }


register_welcome_step(
    WelcomeStep(
        "profile",
        _l("Your profile"),
        "members/_welcome_profile.html",
        _profile_context,
        _save_profile,
        position=10,
    )
)
register_welcome_step(
    WelcomeStep(
        "journey",
        _l("Your journey in the cooperative"),
        "members/_welcome_journey.html",
        _journey_context,
        position=90,
    )
)
