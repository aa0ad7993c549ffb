"""Roles and the permission checks every module uses (never only in templates).

Roles are separate from CAE status: a staff member may be an associate or not.
"""

import enum
from typing import Any, Protocol

from flask_babel import lazy_gettext as _l

from network.core.errors import Forbidden


class Role(enum.StrEnum):
    MEMBER = "member"
    STAFF = "staff"
    ADMIN = "admin"


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
