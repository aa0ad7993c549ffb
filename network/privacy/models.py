"""Exports of a member's data, and the record of members' exits."""

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from network.core.models import Base, db_enum, utcnow


class ExportState(enum.StrEnum):
    PENDING = "pending"  # waiting for the background builder
    BUILDING = "building"
    READY = "ready"
    FAILED = "failed"
    EXPIRED = "expired"  # its file is gone


class DataExport(Base):
    """A ZIP of everything a member wrote, built for them and downloadable until it expires."""

    __tablename__ = "data_exports"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    state: Mapped[ExportState] = mapped_column(db_enum(ExportState), default=ExportState.PENDING)
    progress: Mapped[int] = mapped_column(default=0)  # percent
    file_name: Mapped[str | None] = mapped_column(String(80))  # its storage key (exports/…)
    size: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    ready_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]


class MemberExit(Base):
    """A member's exit, run by staff: when, by whom, and what was removed (counts per kind)."""

    __tablename__ = "member_exits"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), unique=True)
    number: Mapped[int]  # the N of "Ancien·ne membre #N"
    run_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    run_at: Mapped[datetime] = mapped_column(default=utcnow)
    reason: Mapped[str] = mapped_column(String(20))  # alumnus, erasure
    writings_deleted: Mapped[bool] = mapped_column(default=False)
    report: Mapped[dict[str, Any]] = mapped_column(default=dict)
