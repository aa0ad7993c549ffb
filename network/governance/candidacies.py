"""Becoming an associate: an employee-entrepreneur (CESA) applies; the candidacy becomes a
resolution of the next general assembly when it is convened (or the gérance admits, where the
statutes say so); adoption moves the member to `associate` with a dated stage of their
journey. The boundary commits once."""

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from network.cooperative import cooperative_today, current_settings
from network.core import audit
from network.core.errors import Conflict, Forbidden, Invalid, NotFound
from network.core.ids import is_id
from network.core.models import utcnow
from network.core.permissions import Status, has_status, require_staff
from network.core.registries import SettingSpec, register_profile_section, register_setting
from network.extensions import db
from network.governance.models import (
    Assembly,
    Candidacy,
    CandidacyState,
    Resolution,
)
from network.members import operations as members
from network.members.models import Member

MAX_MOTIVATION = 3000
OPEN = (CandidacyState.PENDING, CandidacyState.SCHEDULED)

register_setting(
    SettingSpec(
        "ag_admission_by_gerance",
        False,
        _l("The gérance admits new associates (otherwise the general assembly votes)"),
    )
)


def current_candidacy(member_id: int) -> Candidacy | None:
    return db.session.scalar(
        select(Candidacy)
        .where(Candidacy.member_id == member_id, Candidacy.state.in_(OPEN))
        .order_by(Candidacy.id.desc())
    )


def apply(member: Member, motivation: Any) -> Candidacy:
    if not has_status(member, Status.EMPLOYEE_ENTREPRENEUR):
        raise Forbidden(_l("Employee-entrepreneurs (CESA) apply to become associates."))
    if current_candidacy(member.id) is not None:
        raise Conflict(_l("Your candidacy is already under way."))
    text = motivation.strip() if isinstance(motivation, str) else ""
    if len(text) > MAX_MOTIVATION:
        raise Invalid(fields={"motivation": _l("At most %(max)s characters.", max=MAX_MOTIVATION)})
    candidacy = Candidacy(member_id=member.id, motivation=text, state=CandidacyState.PENDING)
    db.session.add(candidacy)
    db.session.flush()
    audit.record(db.session, "associate_candidacy", actor_id=member.id, candidacy_id=candidacy.id)
    return candidacy


def withdraw(member: Member) -> None:
    candidacy = current_candidacy(member.id)
    if candidacy is None:
        raise NotFound(_l("You have no candidacy under way."))
    if candidacy.state == CandidacyState.SCHEDULED:
        raise Conflict(_l("Your candidacy is on a convened assembly's agenda."))
    candidacy.state, candidacy.decided_at = CandidacyState.WITHDRAWN, utcnow()


def schedule(assembly: Assembly) -> int:
    """Put the pending candidacies on the assembly's agenda (called when it is convened)."""
    if current_settings()["ag_admission_by_gerance"]:
        return 0
    pending = db.session.scalars(
        select(Candidacy).where(Candidacy.state == CandidacyState.PENDING).order_by(Candidacy.id)
    ).all()
    for candidacy in pending:
        name = candidacy.member.display_name
        resolution = Resolution(
            position=len(assembly.resolutions),
            title=str(_l("Admission of %(name)s as an associate", name=name)),
            text=candidacy.motivation,
            majority="ordinary",
            by_gerance=True,
        )
        assembly.resolutions.append(resolution)
        db.session.flush()
        candidacy.state, candidacy.resolution_id = CandidacyState.SCHEDULED, resolution.id
    return len(pending)


def resolution_decided(resolution: Resolution, adopted: bool, actor: Member) -> None:
    """A resolution closed: if it was a candidacy, the member is admitted or not."""
    candidacy = db.session.scalar(select(Candidacy).where(Candidacy.resolution_id == resolution.id))
    if candidacy is None:
        return
    if adopted:
        recorder = (
            actor
            if actor.role != "member"
            else db.session.get(Member, resolution.assembly.created_by_id)
        )
        _admit(candidacy, recorder, _l("Admitted by the general assembly"))  # type: ignore[arg-type]
    else:
        candidacy.state, candidacy.decided_at = CandidacyState.REJECTED, utcnow()


def admit_by_gerance(actor: Member, candidacy_id: Any) -> Candidacy:
    require_staff(actor)
    if not current_settings()["ag_admission_by_gerance"]:
        raise Forbidden(_l("In this cooperative the general assembly admits new associates."))
    candidacy = db.session.get(Candidacy, candidacy_id) if is_id(candidacy_id) else None
    if candidacy is None or candidacy.state != CandidacyState.PENDING:
        raise NotFound(_l("This candidacy does not exist or is decided."))
    _admit(candidacy, actor, _l("Admitted by the gérance"))
    return candidacy


def _admit(candidacy: Candidacy, actor: Member, reason: Any) -> None:
    members.record_career_stage(
        actor,
        candidacy.member,
        kind="associate_admission",
        effective_on=cooperative_today().isoformat(),
        reason=str(reason),
    )
    candidacy.state, candidacy.decided_at = CandidacyState.ADMITTED, utcnow()


def candidates() -> list[Candidacy]:
    """Candidacies under way, the nearest associate deadline first."""
    rows = db.session.scalars(
        select(Candidacy)
        .join(Member, Member.id == Candidacy.member_id)
        .where(Candidacy.state.in_(OPEN))
        .order_by(Member.associate_deadline.is_(None), Member.associate_deadline, Candidacy.id)
    )
    return list(rows)


def _profile_section(member: Member, viewer: Any) -> dict[str, Any]:
    own = getattr(viewer, "id", None) == member.id
    return {
        "candidacy": current_candidacy(member.id) if own else None,
        "may_apply": own and has_status(member, Status.EMPLOYEE_ENTREPRENEUR),
        "by_gerance": bool(current_settings()["ag_admission_by_gerance"]),
    }


register_profile_section("governance/_candidacy.html", _profile_section)
