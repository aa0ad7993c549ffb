"""Audit log of security events: logins, permission denials, role and status changes."""

import logging
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from network.core.models import AnySession, Base, utcnow

log = logging.getLogger("terreau.audit")


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), index=True)
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), index=True)
    ip: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


_request_ip: ContextVar[str | None] = ContextVar("terreau_request_ip", default=None)


def set_request_ip(ip: str | None) -> None:
    """The boundary tells where the request comes from (None outside requests)."""
    _request_ip.set(ip)


def record(
    session: AnySession,
    action: str,
    *,
    actor_id: int | None = None,
    subject_id: int | None = None,
    **details: Any,
) -> None:
    """Add an audit event to `session` (committed with the caller's transaction)."""
    ip = _request_ip.get()
    session.add(
        AuditEvent(action=action, actor_id=actor_id, subject_id=subject_id, ip=ip, details=details)
    )
    log.info("%s actor=%s subject=%s %s", action, actor_id, subject_id, details)
