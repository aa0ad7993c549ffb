"""Roles, CAE statuses and the permission checks every module uses (never only in
templates).

Roles (member, staff, admin) say what someone may run in the tool; the CAE status (CAPE,
CESA, associate…) says where they stand in the cooperative, and decides what the statutes
reserve to some (only associates vote in general assemblies). They are separate: a staff
member may be an associate or not.
"""

import enum
from typing import Any, Protocol

from flask_babel import lazy_gettext as _l

from network.core.errors import Forbidden


class Role(enum.StrEnum):
    MEMBER = "member"
    STAFF = "staff"
    ADMIN = "admin"


class Status(enum.StrEnum):
    """A member's standing in the cooperative (the glossary's code names)."""

    CANDIDATE = "candidate"
    SUPPORT_CONTRACT = "support_contract"
    EMPLOYEE_ENTREPRENEUR = "employee_entrepreneur"
    ASSOCIATE = "associate"
    ALUMNUS = "alumnus"

    @property
    def label(self):
        return STATUS_LABELS[self]


STATUS_LABELS = {
    Status.CANDIDATE: _l("Candidate"),
    Status.SUPPORT_CONTRACT: _l("Porteur de projet (CAPE)"),
    Status.EMPLOYEE_ENTREPRENEUR: _l("Entrepreneur salarié (CESA)"),
    Status.ASSOCIATE: _l("Entrepreneur salarié associé"),
    Status.ALUMNUS: _l("Former member"),
}
#: Statuses of the people who work in the cooperative today (not candidates, not alumni).
IN_THE_COOPERATIVE = frozenset(
    {Status.SUPPORT_CONTRACT, Status.EMPLOYEE_ENTREPRENEUR, Status.ASSOCIATE}
)


class Actor(Protocol):
    id: int
    role: Any


def is_staff(actor: Actor | None) -> bool:
    """False for anonymous visitors, who have no role."""
    return getattr(actor, "role", None) in (Role.STAFF, Role.ADMIN)


def is_admin(actor: Actor | None) -> bool:
    return getattr(actor, "role", None) == Role.ADMIN


def can_manage_account(actor: Actor | None, subject: Actor) -> bool:
    """Staff manage accounts; only an admin manages an admin's."""
    return is_staff(actor) and (subject.role != Role.ADMIN or is_admin(actor))


def is_self_or_staff(actor: Actor | None, subject: Actor) -> bool:
    return actor is not None and (getattr(actor, "id", None) == subject.id or is_staff(actor))


def require_staff(actor: Actor | None) -> None:
    if not is_staff(actor):
        raise Forbidden(_l("Only the support team can do this."))


def require_admin(actor: Actor | None) -> None:
    if not is_admin(actor):
        raise Forbidden(_l("Only administrators can do this."))


def has_status(actor: Actor | None, *statuses: Status) -> bool:
    """An active member whose CAE status is one of `statuses`."""
    return (
        actor is not None
        and getattr(actor, "is_active", False)
        and getattr(actor, "status", None) in statuses
    )


def is_associate(actor: Actor | None) -> bool:
    """One person, one vote: binding votes belong to the active associates only."""
    return has_status(actor, Status.ASSOCIATE)


def require_status(actor: Actor | None, *statuses: Status, reason: Any = None) -> None:
    """`Forbidden` unless the actor is an active member of one of `statuses`."""
    if not has_status(actor, *statuses):
        names = ", ".join(str(STATUS_LABELS[s]) for s in statuses)
        raise Forbidden(reason or _l("This is reserved to: %(statuses)s.", statuses=names))


def require_associate(actor: Actor | None) -> None:
    require_status(actor, Status.ASSOCIATE, reason=_l("Only associates of the cooperative vote."))
