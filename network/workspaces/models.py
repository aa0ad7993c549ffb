"""Sites, spaces, closures, bookings (single or in a series), waitlist entries, preferences.

Times are UTC in the database (`UTCDateTime`); opening hours and closures are local to the
cooperative's time zone (minutes after midnight, dates), so they stay right across DST.
"""

import enum
from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from network.core.models import Base, db_enum, utcnow
from network.members.models import Member


class SpaceKind(enum.StrEnum):
    DESK_AREA = "desk_area"
    MEETING_ROOM = "meeting_room"
    WORKSHOP_ROOM = "workshop_room"
    EQUIPMENT = "equipment"


KIND_LABELS = {
    SpaceKind.DESK_AREA: _l("Desk area"),
    SpaceKind.MEETING_ROOM: _l("Meeting room"),
    SpaceKind.WORKSHOP_ROOM: _l("Workshop room"),
    SpaceKind.EQUIPMENT: _l("Equipment"),
}


class Granularity(enum.StrEnum):
    SLOTS = "slots"  # slots of `slot_minutes`
    HALF_DAYS = "half_days"  # morning (opening → midday) and afternoon (midday → closing)
    DAYS = "days"  # opening → closing


GRANULARITY_LABELS = {
    Granularity.SLOTS: _l("Slots of a few minutes"),
    Granularity.HALF_DAYS: _l("Half days"),
    Granularity.DAYS: _l("Full days"),
}


class BookingStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for staff approval; holds its seats
    CONFIRMED = "confirmed"
    OFFERED = "offered"  # offered to a waiting member, held until `lapses_at`
    DECLINED = "declined"
    CANCELLED = "cancelled"
    RELEASED = "released"  # not claimed by check-in, or an offer not taken in time


#: Statuses whose seats count against capacity (while `lapses_at` has not passed).
HOLDING = (BookingStatus.PENDING, BookingStatus.CONFIRMED, BookingStatus.OFFERED)

STATUS_LABELS = {
    BookingStatus.PENDING: _l("Waiting for approval"),
    BookingStatus.CONFIRMED: _l("Confirmed"),
    BookingStatus.OFFERED: _l("Offered to you: confirm it"),
    BookingStatus.DECLINED: _l("Declined"),
    BookingStatus.CANCELLED: _l("Cancelled"),
    BookingStatus.RELEASED: _l("Released"),
}


class WaitStatus(enum.StrEnum):
    WAITING = "waiting"
    OFFERED = "offered"
    WITHDRAWN = "withdrawn"


class Site(Base):
    __tablename__ = "workspace_sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    address: Mapped[str] = mapped_column(String(250), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    spaces: Mapped[list["Space"]] = relationship(back_populates="site")


class Space(Base):
    __tablename__ = "workspace_spaces"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("workspace_sites.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[SpaceKind] = mapped_column(db_enum(SpaceKind))
    description: Mapped[str] = mapped_column(Text, default="")
    capacity: Mapped[int] = mapped_column(default=1)
    equipment: Mapped[list[str]] = mapped_column(default=list)
    photo_key: Mapped[str | None] = mapped_column(String(80))
    #: weekday ("0" = Monday) → [opening, closing] in minutes after local midnight.
    opening_hours: Mapped[dict[str, Any]] = mapped_column(default=dict)
    granularity: Mapped[Granularity] = mapped_column(
        db_enum(Granularity), default=Granularity.SLOTS
    )
    slot_minutes: Mapped[int] = mapped_column(default=30)
    midday_minutes: Mapped[int] = mapped_column(default=13 * 60)
    min_minutes: Mapped[int] = mapped_column(default=30)
    max_minutes: Mapped[int] = mapped_column(default=8 * 60)
    max_days_ahead: Mapped[int] = mapped_column(default=60)
    needs_approval: Mapped[bool] = mapped_column(default=False)
    check_in_required: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    site: Mapped[Site] = relationship(back_populates="spaces")
    closures: Mapped[list["Closure"]] = relationship(
        back_populates="space", cascade="all, delete-orphan", order_by="Closure.starts_on"
    )

    __table_args__ = (CheckConstraint("capacity >= 1", name="capacity_positive"),)


class Closure(Base):
    """A space closed on whole local days (holidays, works), both dates included."""

    __tablename__ = "workspace_closures"

    id: Mapped[int] = mapped_column(primary_key=True)
    space_id: Mapped[int] = mapped_column(
        ForeignKey("workspace_spaces.id", ondelete="CASCADE"), index=True
    )
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    reason: Mapped[str] = mapped_column(String(200), default="")

    space: Mapped[Space] = relationship(back_populates="closures")


class BookingSeries(Base):
    """The recurrence a member asked for; its occurrences are ordinary bookings."""

    __tablename__ = "workspace_booking_series"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    space_id: Mapped[int] = mapped_column(ForeignKey("workspace_spaces.id", ondelete="CASCADE"))
    rule: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Booking(Base):
    __tablename__ = "workspace_bookings"

    id: Mapped[int] = mapped_column(primary_key=True)
    space_id: Mapped[int] = mapped_column(ForeignKey("workspace_spaces.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    series_id: Mapped[int | None] = mapped_column(
        ForeignKey("workspace_booking_series.id", ondelete="SET NULL"), index=True
    )
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    seats: Mapped[int] = mapped_column(default=1)
    status: Mapped[BookingStatus] = mapped_column(db_enum(BookingStatus))
    #: When the booking stops holding its seats unless acted on: an unclaimed desk (no
    #: check-in by then) or a waitlist offer not confirmed. None: it holds until it ends.
    lapses_at: Mapped[datetime | None]
    title: Mapped[str] = mapped_column(String(200), default="")
    overridden: Mapped[bool] = mapped_column(default=False)  # staff set the rules aside
    checked_in_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    #: The submit id of whoever booked: the occurrences of one request share it.
    client_id: Mapped[str | None] = mapped_column(String(64))

    space: Mapped[Space] = relationship()
    member: Mapped[Member] = relationship(foreign_keys=[member_id])

    __table_args__ = (
        Index("ix_workspace_bookings_space_start", "space_id", "start_at"),
        Index("ix_workspace_bookings_member_start", "member_id", "start_at"),
        Index("ix_workspace_bookings_status_start", "status", "start_at"),
        CheckConstraint("end_at > start_at", name="ends_after_start"),
        CheckConstraint("seats >= 1", name="seats_positive"),
        # A request sent again (retry, double click) books nothing more.
        Index(
            "uq_workspace_bookings_client", "created_by_id", "client_id", "start_at", unique=True
        ),
    )

    @property
    def is_holding(self) -> bool:
        return self.status in HOLDING


class WaitlistEntry(Base):
    """A member waiting for seats in a full slot; offered in arrival order."""

    __tablename__ = "workspace_waitlist"

    id: Mapped[int] = mapped_column(primary_key=True)
    space_id: Mapped[int] = mapped_column(ForeignKey("workspace_spaces.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    seats: Mapped[int] = mapped_column(default=1)
    status: Mapped[WaitStatus] = mapped_column(db_enum(WaitStatus), default=WaitStatus.WAITING)
    booking_id: Mapped[int | None] = mapped_column(
        ForeignKey("workspace_bookings.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    space: Mapped[Space] = relationship()

    __table_args__ = (
        Index("ix_workspace_waitlist_space_status_start", "space_id", "status", "start_at"),
        Index("ix_workspace_waitlist_member_id", "member_id"),
    )


class WorkspacePreference(Base):
    """A member's choices: shown in "who's here today", and their calendar feed's version
    (raising it voids the old private URL)."""

    __tablename__ = "workspace_preferences"

    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    show_presence: Mapped[bool] = mapped_column(default=False)
    calendar_version: Mapped[int] = mapped_column(default=1)
