"""Audit log of security events: logins, permission denials, role and status changes."""

import logging
from datetime import datetime
from typing import Any

from flask import has_request_context, request
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


def record(
    session: AnySession,
    action: str,
    *,
    actor_id: int | None = None,
    subject_id: int | None = None,
    **details: Any,
) -> None:
    """Add an audit event to `session` (committed with the caller's transaction)."""
    ip = request.remote_addr if has_request_context() else None
    session.add(
        AuditEvent(action=action, actor_id=actor_id, subject_id=subject_id, ip=ip, details=details)
    )
    log.info("%s actor=%s subject=%s %s", action, actor_id, subject_id, details)
