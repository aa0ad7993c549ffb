from datetime import date, datetime
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from network.core.models import Base, utcnow


class Cooperative(Base):
    """The single row describing the cooperative running this instance."""

    __tablename__ = "cooperatives"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), default="Terreau")
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Paris")
    values: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ClosedDay(Base):
    """A day the cooperative is closed (bridge days, the summer and winter closures): no
    working day for response times. Weekends are never working days."""

    __tablename__ = "cooperative_closed_days"

    day: Mapped[date] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
