"""Accounts, profiles, the CAE journey, invitations and API tokens."""

import enum
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from network.core.models import Base, db_enum, utcnow
from network.core.permissions import STATUS_LABELS as STATUS_LABELS  # re-exported
from network.core.permissions import Role
from network.core.permissions import Status as Status  # re-exported

ROLE_LABELS = {
    Role.MEMBER: _l("Member"),
    Role.STAFF: _l("Support team"),
    Role.ADMIN: _l("Administrator"),
}


class StageKind(enum.StrEnum):
    ENTRY = "entry"
    CONTRACT = "contract"
    AMENDMENT = "amendment"
    ASSOCIATE_ADMISSION = "associate_admission"
    EXIT = "exit"

    @property
    def label(self):
        return STAGE_LABELS[self]


STAGE_LABELS = {
    StageKind.ENTRY: _l("Entry"),
    StageKind.CONTRACT: _l("Contract"),
    StageKind.AMENDMENT: _l("Amendment (avenant)"),
    StageKind.ASSOCIATE_ADMISSION: _l("Admission as associate"),
    StageKind.EXIT: _l("Exit"),
}


class OpenTo(enum.StrEnum):
    COLLABORATION = "collaboration"
    SUBCONTRACTING = "subcontracting"
    MENTORING = "mentoring"
    COFFEE = "coffee"

    @property
    def label(self):
        return OPEN_TO_LABELS[self]


OPEN_TO_LABELS = {
    OpenTo.COLLABORATION: _l("Collaboration"),
    OpenTo.SUBCONTRACTING: _l("Subcontracting"),
    OpenTo.MENTORING: _l("Mentoring"),
    OpenTo.COFFEE: _l("A coffee"),
}


class Visibility(enum.StrEnum):
    MEMBERS = "members"
    STAFF = "staff"


#: Optional profile groups, each with its own visibility column `vis_<group>`.
PROFILE_GROUPS = ("headline", "bio", "activity", "location", "languages", "links", "open_to")


def _visibility_column():
    return mapped_column(db_enum(Visibility), default=Visibility.MEMBERS)


class Member(Base):
    __tablename__ = "members"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(80))
    name_key: Mapped[str] = mapped_column(String(80), index=True)
    role: Mapped[Role] = mapped_column(db_enum(Role), default=Role.MEMBER)
    status: Mapped[Status] = mapped_column(db_enum(Status), default=Status.CANDIDATE, index=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    session_version: Mapped[int] = mapped_column(default=1)
    locale: Mapped[str | None] = mapped_column(String(5))
    avatar_key: Mapped[str | None] = mapped_column(String(80))
    associate_deadline: Mapped[date | None] = mapped_column(index=True)

    headline: Mapped[str] = mapped_column(String(140), default="")
    bio: Mapped[str] = mapped_column(Text, default="")
    bio_html: Mapped[str] = mapped_column(Text, default="")
    trading_name: Mapped[str] = mapped_column(String(120), default="")
    trade: Mapped[str] = mapped_column(String(120), default="")
    trade_key: Mapped[str] = mapped_column(String(120), default="", index=True)
    activity_key: Mapped[str] = mapped_column(
        String(400), default=""
    )  # folded enseigne+trade+sector
    headline_key: Mapped[str] = mapped_column(String(140), default="")
    sector: Mapped[str] = mapped_column(String(120), default="")
    website: Mapped[str] = mapped_column(String(300), default="")
    city: Mapped[str] = mapped_column(String(120), default="")
    city_key: Mapped[str] = mapped_column(String(120), default="", index=True)
    postcode: Mapped[str] = mapped_column(String(10), default="")
    languages: Mapped[list[str]] = mapped_column(default=list)
    languages_key: Mapped[str] = mapped_column(String(500), default="")  # "|francais|anglais|"
    links: Mapped[list[str]] = mapped_column(default=list)
    open_to: Mapped[list[str]] = mapped_column(default=list)
    open_to_key: Mapped[str] = mapped_column(String(200), default="")  # "|coffee|mentoring|"

    vis_headline: Mapped[Visibility] = mapped_column(
        db_enum(Visibility), default=Visibility.MEMBERS
    )
    vis_bio: Mapped[Visibility] = _visibility_column()
    vis_activity: Mapped[Visibility] = mapped_column(
        db_enum(Visibility), default=Visibility.MEMBERS
    )
    vis_location: Mapped[Visibility] = mapped_column(
        db_enum(Visibility), default=Visibility.MEMBERS
    )
    vis_languages: Mapped[Visibility] = mapped_column(
        db_enum(Visibility), default=Visibility.MEMBERS
    )
    vis_links: Mapped[Visibility] = _visibility_column()
    vis_open_to: Mapped[Visibility] = _visibility_column()

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    last_login_at: Mapped[datetime | None]
    deactivated_at: Mapped[datetime | None]
    # The guided first run: the step to resume at, and when it was finished or skipped.
    welcome_step: Mapped[str] = mapped_column(String(20), default="")
    welcomed_at: Mapped[datetime | None]

    stages: Mapped[list["CareerStage"]] = relationship(
        back_populates="member",
        foreign_keys="CareerStage.member_id",
        order_by="(CareerStage.effective_on, CareerStage.id)",
    )

    __table_args__ = (Index("ix_members_active_name", "is_active", "name_key", "id"),)

    # Flask-Login: the id carries the session version, so bumping it ends every session.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}.{self.session_version}"

    def visibility(self, group: str) -> Visibility:
        return getattr(self, f"vis_{group}")

    def __repr__(self) -> str:
        return f"<Member {self.id} {self.email}>"


class CareerStage(Base):
    """A dated step of a member's CAE journey, recorded by staff; it sets the status."""

    __tablename__ = "career_stages"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    kind: Mapped[StageKind] = mapped_column(db_enum(StageKind))
    status: Mapped[Status] = mapped_column(db_enum(Status))
    effective_on: Mapped[date]
    reason: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    member: Mapped[Member] = relationship(back_populates="stages", foreign_keys=[member_id])
    recorded_by: Mapped[Member | None] = relationship(foreign_keys=[recorded_by_id])


class Invitation(Base):
    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    display_name: Mapped[str] = mapped_column(String(80), default="")
    status: Mapped[Status] = mapped_column(db_enum(Status))
    role: Mapped[Role] = mapped_column(db_enum(Role), default=Role.MEMBER)
    locale: Mapped[str | None] = mapped_column(String(5))  # the invitee's language
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    invited_by: Mapped[Member | None] = relationship(foreign_keys=[invited_by_id])

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > utcnow()


class ApiToken(Base):
    """A bearer token; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    is_personal: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    member: Mapped[Member] = relationship()
