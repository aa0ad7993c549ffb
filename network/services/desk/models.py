"""The service desk's tables: the catalogue, the members' requests with their thread, files
and history, and the FAQ published from resolved requests."""

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from network.core.models import Base, db_enum, utcnow
from network.members.models import Member


class Team(enum.StrEnum):
    """The part of the support team (équipe d'appui) that owns a service."""

    ACCOUNTING = "accounting"
    PAYROLL = "payroll"
    LEGAL = "legal"
    SUPPORT = "support"  # accompagnement
    TRAINING = "training"
    TREASURY = "treasury"
    OTHER = "other"


class FieldKind(enum.StrEnum):
    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    CHOICE = "choice"
    FILE = "file"


class RequestState(enum.StrEnum):
    NEW = "new"  # nouvelle
    IN_PROGRESS = "in_progress"  # en cours
    WAITING_MEMBER = "waiting_member"  # en attente du membre
    RESOLVED = "resolved"  # résolue
    CLOSED = "closed"  # close


OPEN_STATES = frozenset({RequestState.NEW, RequestState.IN_PROGRESS, RequestState.WAITING_MEMBER})


class Service(Base):
    """A service of the catalogue. `fields`: what its request form asks, a list of
    {"key", "kind", "label_fr", "label_en", "required", "choices"}."""

    __tablename__ = "services"

    id: Mapped[int] = mapped_column(primary_key=True)
    name_fr: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120), default="")
    description_fr: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    team: Mapped[Team] = mapped_column(db_enum(Team), default=Team.SUPPORT)
    response_days: Mapped[int] = mapped_column(default=3)
    fields: Mapped[list[Any]] = mapped_column(JSON, default=list)
    position: Mapped[int] = mapped_column(default=0)
    is_hidden: Mapped[bool] = mapped_column(default=False)
    retired_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_services_position", "position", "id"),)


#: The condition of `ix_service_requests_commented`, as its queries must write it (a bound
#: parameter would not match the partial index).
COMMENTED = text("service_requests.satisfaction_comment != ''")


class ServiceRequest(Base):
    """A member's request to a service. `is_open`: its state is one of OPEN_STATES (kept in
    a column so the staff queue reads one index); `due_on`: the date, in working days, by
    which the team owes a first answer; `opened_on`/`resolved_on`: local dates for the
    dashboard's weekly counts; `*_minutes`: durations since opening, for its medians."""

    __tablename__ = "service_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    client_id: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(200))
    answers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    state: Mapped[RequestState] = mapped_column(db_enum(RequestState), default=RequestState.NEW)
    is_open: Mapped[bool] = mapped_column(default=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    opened_on: Mapped[date]
    due_on: Mapped[date]
    first_answer_at: Mapped[datetime | None]
    first_answer_minutes: Mapped[int | None]
    resolved_at: Mapped[datetime | None]
    resolved_on: Mapped[date | None]
    resolution_minutes: Mapped[int | None]
    closed_at: Mapped[datetime | None]
    satisfaction: Mapped[int | None]
    satisfaction_comment: Mapped[str] = mapped_column(Text, default="")
    message_count: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    service: Mapped[Service] = relationship(lazy="joined", innerjoin=True)
    member: Mapped[Member] = relationship(foreign_keys=[member_id])
    assignee: Mapped[Member | None] = relationship(foreign_keys=[assignee_id])

    __table_args__ = (
        UniqueConstraint("member_id", "client_id"),  # one request per submit, however clicked
        Index("ix_service_requests_queue", "is_open", "due_on", "id"),
        Index("ix_service_requests_service_queue", "service_id", "is_open", "due_on", "id"),
        Index("ix_service_requests_assignee_queue", "assignee_id", "is_open", "due_on", "id"),
        Index("ix_service_requests_state_queue", "state", "due_on", "id"),
        Index("ix_service_requests_due", "due_on", "id"),  # every state
        Index("ix_service_requests_member", "member_id", "id"),
        # the dashboard: weekly counts, satisfaction, and the medians in each service's order
        Index("ix_service_requests_opened_on", "opened_on", "service_id"),
        Index("ix_service_requests_service_opened", "service_id", "opened_on", "satisfaction"),
        Index(
            "ix_service_requests_first_answer",
            "service_id",
            "first_answer_minutes",
            "opened_on",
        ),
        Index("ix_service_requests_resolution", "service_id", "resolution_minutes", "opened_on"),
        # the dashboard's latest comments: only the requests closed with one
        Index(
            "ix_service_requests_commented",
            "closed_at",
            sqlite_where=text("satisfaction_comment != ''"),
            postgresql_where=text("satisfaction_comment != ''"),
        ),
        Index("ix_service_requests_resolved_on", "resolved_on", "service_id"),
    )


class RequestMessage(Base):
    """A message of a request's thread; `is_internal`: a note of the support team that the
    member never sees."""

    __tablename__ = "service_request_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("service_requests.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    body: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    is_internal: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[Member] = relationship()
    files: Mapped[list["RequestFile"]] = relationship(
        back_populates="message", order_by="RequestFile.id"
    )

    __table_args__ = (Index("ix_service_request_messages_request", "request_id", "id"),)


class RequestFile(Base):
    """A file joined to a request (a file field of its form, or a message of its thread),
    stored under `uploads/desk/` with a generated name and served after a permission check."""

    __tablename__ = "service_request_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("service_requests.id"), index=True)
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("service_request_messages.id"), index=True
    )
    field_key: Mapped[str | None] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    message: Mapped[RequestMessage | None] = relationship(back_populates="files")


class RequestEvent(Base):
    """Who changed what of a request, and when (opened, state, assignment, satisfaction)."""

    __tablename__ = "service_request_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("service_requests.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    action: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str | None] = mapped_column(String(32))
    to_state: Mapped[str | None] = mapped_column(String(32))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    actor: Mapped[Member | None] = relationship()

    __table_args__ = (Index("ix_service_request_events_request", "request_id", "id"),)


class FaqEntry(Base):
    """An answer the support team published for every member, anonymised from a resolved
    request (`request_id` is kept for the staff only)."""

    __tablename__ = "service_faq_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"), index=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("service_requests.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    question: Mapped[str] = mapped_column(String(300))
    answer: Mapped[str] = mapped_column(Text)
    answer_html: Mapped[str] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    withdrawn_at: Mapped[datetime | None]

    service: Mapped[Service] = relationship(lazy="joined", innerjoin=True)


#: The support team's members are read on every page of the desk (assignment choices, the
#: digest): without an index each read scanned every member.
Index("ix_members_role", Member.role)
