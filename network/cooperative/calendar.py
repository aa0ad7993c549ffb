"""The cooperative's working days: Monday to Friday, except the closed days its support team
keeps (`ClosedDay`). Response times (the service desk's, and any module's) count in working
days through these helpers.

The closed days are read once per request (and at most for the span asked), so counting many
due dates costs one query.
"""

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from flask import g, has_request_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from network.cooperative.models import ClosedDay
from network.core import audit
from network.core.errors import Conflict, Invalid, NotFound
from network.core.permissions import require_staff
from network.extensions import db

#: A due date is never further than this from its start: bounds the closed days read.
MAX_SPAN_DAYS = 400


def closed_days(start: date, end: date) -> frozenset[date]:
    """The cooperative's closed days from `start` to `end` included (cached per request)."""
    cache: dict[tuple[date, date], frozenset[date]] | None = None
    if has_request_context():
        cache = g.setdefault("terreau_closed_days", {})
        for (low, high), days in cache.items():
            if low <= start and end <= high:
                return days
    found = frozenset(
        db.session.scalars(select(ClosedDay.day).where(ClosedDay.day.between(start, end)))
    )
    if cache is not None:
        cache[(start, end)] = found
    return found


def forget_closed_days() -> None:
    if has_request_context():
        g.pop("terreau_closed_days", None)


def is_working_day(day: date, closed: Iterable[date] | None = None) -> bool:
    if day.weekday() >= 5:
        return False
    return day not in (closed if closed is not None else closed_days(day, day))


def add_working_days(start: date, count: int) -> date:
    """The `count`-th working day after `start` (`start` itself is not counted: a request
    opened on Friday with 1 working day is due on Monday); `count` 0 is `start`."""
    if count <= 0:
        return start
    closed = closed_days(start, start + timedelta(days=MAX_SPAN_DAYS))
    day = start
    while count:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in closed:
            count -= 1
    return day


def working_days_between(start: date, end: date) -> int:
    """Working days after `start` up to `end` included (0 when `end` <= `start`)."""
    if end <= start:
        return 0
    closed = closed_days(start, end)
    return sum(
        1
        for offset in range(1, (end - start).days + 1)
        if is_working_day(start + timedelta(days=offset), closed)
    )


def upcoming_closed_days(since: date, limit: int = 200) -> list[ClosedDay]:
    return list(
        db.session.scalars(
            select(ClosedDay).where(ClosedDay.day >= since).order_by(ClosedDay.day).limit(limit)
        )
    )


def add_closed_day(actor: Any, day: date, label: Any = "") -> ClosedDay:
    """Staff only; `Conflict` when the day is already closed."""
    require_staff(actor)
    text = (label if isinstance(label, str) else "").strip()
    if len(text) > 120:
        raise Invalid(fields={"label": _l("At most %(max)s characters.", max=120)})
    if db.session.get(ClosedDay, day) is not None:
        raise Conflict(fields={"day": _l("This day is already closed.")})
    closed = ClosedDay(day=day, label=text)
    db.session.add(closed)
    db.session.flush()
    audit.record(db.session, "closed_day_added", actor_id=actor.id, day=day.isoformat())
    forget_closed_days()
    return closed


def remove_closed_day(actor: Any, day: date) -> None:
    require_staff(actor)
    found = db.session.get(ClosedDay, day)
    if found is None:
        raise NotFound()
    db.session.delete(found)
    db.session.flush()
    audit.record(db.session, "closed_day_removed", actor_id=actor.id, day=day.isoformat())
    forget_closed_days()
