"""Reads: seats held over a time range, availability grids, a member's bookings, who is here.

A booking holds its seats while its status is pending, confirmed or offered and its
`lapses_at` (an unclaimed desk, an offer not confirmed) has not passed. Lapsed bookings are
already free here, before the release command or the next write settles them: reading never
writes.
"""

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import String, and_, func, or_, select, true, type_coerce
from sqlalchemy.orm import contains_eager, selectinload

from network.cooperative.times import at_minutes, local_zone
from network.core.consent import Purpose, current_consents
from network.core.models import utcnow
from network.extensions import db
from network.members.models import Member
from network.workspaces.models import (
    HOLDING,
    Booking,
    BookingStatus,
    Closure,
    Granularity,
    Site,
    Space,
    SpaceKind,
    WaitlistEntry,
    WaitStatus,
    WorkspacePreference,
)

#: No booking lasts longer (even set by staff): it bounds the index range of overlap queries.
MAX_SPAN = timedelta(hours=25)  # a day, and the hour a DST change adds


@dataclass(frozen=True)
class Held:
    booking_id: int
    member_id: int
    start_at: datetime
    end_at: datetime
    seats: int


def holding_clause(now: datetime) -> Any:
    return and_(
        Booking.status.in_(HOLDING),
        or_(Booking.lapses_at.is_(None), Booking.lapses_at > now),
    )


#: Above this many spaces, `overlapping(..., every_space=True)` names none: the range of the
#: (status, start_at) index is read whole (the planner's choice anyway) and the few other
#: spaces' rows are skipped by the caller, cheaper than binding hundreds of ids.
MANY_SPACES = 20


def overlapping(
    space_ids: Sequence[int],
    start: datetime,
    end: datetime,
    now: datetime,
    every_space: bool = False,
) -> Any:
    """Holding bookings of the spaces overlapping [start, end), an indexed range per space;
    of every space when `every_space` (the caller filters)."""
    return and_(
        true() if every_space else Booking.space_id.in_(list(space_ids)),
        Booking.start_at < end,
        Booking.start_at > start - MAX_SPAN,  # bounds the index range
        Booking.end_at > start,
        holding_clause(now),
    )


def held(
    space_ids: Sequence[int], start: datetime, end: datetime, now: datetime | None = None
) -> dict[int, list[Held]]:
    """Holding bookings overlapping [start, end) per space, in one indexed range query."""
    now = now or utcnow()
    rows = db.session.execute(
        select(
            Booking.space_id,
            Booking.id,
            Booking.member_id,
            Booking.start_at,
            Booking.end_at,
            Booking.seats,
        ).where(overlapping(space_ids, start, end, now))
    )
    found: dict[int, list[Held]] = {space_id: [] for space_id in space_ids}
    for space_id, booking_id, member_id, start_at, end_at, seats in rows:
        found[space_id].append(Held(booking_id, member_id, start_at, end_at, seats))
    return found


def peak(holdings: Iterable[Held], start: datetime, end: datetime) -> int:
    """The most seats held at any instant of [start, end) (back-to-back bookings don't meet)."""
    changes: list[tuple[datetime, int]] = []
    for h in holdings:
        if h.start_at < end and h.end_at > start:
            changes.append((max(h.start_at, start), h.seats))
            changes.append((min(h.end_at, end), -h.seats))
    changes.sort(key=lambda change: (change[0], change[1]))  # ends before starts at one instant
    highest = current = 0
    for _moment, delta in changes:
        current += delta
        highest = max(highest, current)
    return highest


def opening_of(space: Space, day: date) -> tuple[int, int] | None:
    hours = (space.opening_hours or {}).get(str(day.weekday()))
    if not hours:
        return None
    return int(hours[0]), int(hours[1])


def closure_on(space: Space, day: date) -> Any:
    for closure in space.closures:
        if closure.starts_on <= day <= closure.ends_on:
            return closure
    return None


def units_of_day(space: Space, day: date) -> list[tuple[int, int]]:
    """The bookable units of `day` in wall-clock minutes: slots, half days or the whole day."""
    opening = opening_of(space, day)
    if opening is None or closure_on(space, day) is not None:
        return []
    return units_between(*opening, space.granularity, space.slot_minutes, space.midday_minutes)


def units_between(
    begin: int, finish: int, granularity: Granularity, step: int, midday: int
) -> list[tuple[int, int]]:
    if granularity == Granularity.DAYS:
        return [(begin, finish)]
    if granularity == Granularity.HALF_DAYS:
        if begin < midday < finish:
            return [(begin, midday), (midday, finish)]
        return [(begin, finish)]
    first = begin + (-begin) % step
    return [(m, m + step) for m in range(first, finish - step + 1, step)]


@dataclass(frozen=True)
class Slot:
    start_at: datetime
    end_at: datetime
    free: int
    past: bool


@dataclass
class DayColumn:
    day: date
    slots: list[Slot] = field(default_factory=list)
    closure: Any = None
    open: bool = True


class Occupancy:
    """Seats held by one space's bookings as a step function, built once (one sort).

    `moments` are the distinct instants where the count changes, `counts[i]` the seats held
    from `moments[i]` to the next one. `peak(start, end)` is then `peak(holdings, start, end)`
    without scanning the bookings: a bisection and a look at the few changes inside."""

    __slots__ = ("moments", "counts")

    def __init__(self, holdings: Iterable[Held] = (), deltas: dict[datetime, int] | None = None):
        """From holdings, or from `deltas`: the seats taken (+) and given back (-) per instant."""
        if deltas is None:
            deltas = {}
            for h in holdings:
                deltas[h.start_at] = deltas.get(h.start_at, 0) + h.seats
                deltas[h.end_at] = deltas.get(h.end_at, 0) - h.seats
        self.moments = sorted(deltas)
        self.counts: list[int] = []
        current = 0
        for moment in self.moments:
            current += deltas[moment]
            self.counts.append(current)

    def peak(self, start: datetime, end: datetime) -> int:
        """The most seats held at any instant of [start, end); 0 for an empty range."""
        if not self.moments or end <= start:
            return 0
        moments, counts = self.moments, self.counts
        i = bisect_right(moments, start)
        highest = counts[i - 1] if i else 0
        while i < len(moments) and moments[i] < end:
            if counts[i] > highest:
                highest = counts[i]
            i += 1
        return max(highest, 0)


@dataclass(slots=True)
class SpaceSummary:
    """What the day view needs of a space, read without the ORM's objects (a fifth of the
    cost for 200 spaces); `closures` are only those meeting the days asked for."""

    id: int
    site_id: int
    site_name: str
    name: str
    kind: SpaceKind
    capacity: int
    opening_hours: dict[str, Any]
    granularity: Granularity
    slot_minutes: int
    midday_minutes: int
    needs_approval: bool
    closures: list[Closure] = field(default_factory=list)


def space_summaries(site_id: int | None, first_day: date, last_day: date) -> list[SpaceSummary]:
    """The active spaces (of a site) by site and name, with their closures over the days."""
    query = (
        select(
            Space.id,
            Space.site_id,
            Site.name,
            Space.name,
            Space.kind,
            Space.capacity,
            Space.opening_hours,
            Space.granularity,
            Space.slot_minutes,
            Space.midday_minutes,
            Space.needs_approval,
        )
        .join(Site)
        .where(Space.is_active.is_(True))
        .order_by(Site.name, Space.name)
    )
    if site_id:
        query = query.where(Space.site_id == site_id)
    found = [SpaceSummary(*row) for row in db.session.execute(query)]
    by_id = {space.id: space for space in found}
    closures = db.session.scalars(  # of every space: few, and no list of ids to bind
        select(Closure).where(Closure.starts_on <= last_day, Closure.ends_on >= first_day)
    )
    for closure in closures:
        if closure.space_id in by_id:
            by_id[closure.space_id].closures.append(closure)
    return found


def _utc(value: Any) -> datetime:
    """A UTC datetime from a time column read raw: SQLite's text (naive, UTC) is parsed here,
    far faster than through the column type; PostgreSQL's driver gives datetimes already."""
    if isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def availability(
    spaces: Sequence[Space | SpaceSummary], first_day: date, days: int, now: datetime | None = None
) -> dict[int, list[DayColumn]]:
    """Per space, per local day, each bookable unit with its free seats (one query).

    Spaces share their opening hours: a day's units and their UTC instants are computed once
    per (opening, granularity, day), and each space's bookings are sorted once. Few objects
    are made (a full garbage collection of the process costs more than the whole grid): the
    bookings are read as rows straight into per-space seat changes, and equal slots (same
    times, same free seats) are one shared `Slot`, which is frozen."""
    now = now or utcnow()
    start = at_minutes(first_day, 0)
    end = at_minutes(first_day + timedelta(days=days), 0)
    changes: dict[int, dict[datetime, int]] = {space.id: {} for space in spaces}
    rows = db.session.execute(
        select(
            Booking.space_id,
            type_coerce(Booking.start_at, String),
            type_coerce(Booking.end_at, String),
            Booking.seats,
        ).where(overlapping(list(changes), start, end, now, len(changes) > MANY_SPACES))
    )
    moments: dict[Any, datetime] = {}  # bookings share their times: each is read once
    for space_id, raw_start, raw_end, seats in rows:
        if space_id not in changes:
            continue
        start_at = moments.get(raw_start) or moments.setdefault(raw_start, _utc(raw_start))
        end_at = moments.get(raw_end) or moments.setdefault(raw_end, _utc(raw_end))
        deltas = changes[space_id]
        deltas[start_at] = deltas.get(start_at, 0) + seats
        deltas[end_at] = deltas.get(end_at, 0) - seats
    zone = local_zone()
    day_list = [first_day + timedelta(days=offset) for offset in range(days)]
    weekdays = [str(day.weekday()) for day in day_list]
    instants: dict[tuple[date, int], datetime] = {}
    bounds: dict[tuple[Any, ...], list[tuple[datetime, datetime, bool, dict[int, Slot]]]] = {}

    def instant(day: date, minutes: int) -> datetime:
        key = (day, minutes)
        found = instants.get(key)
        if found is None:
            found = instants[key] = at_minutes(day, minutes, zone)
        return found

    grid: dict[int, list[DayColumn]] = {}
    for space in spaces:
        occupancy = Occupancy(deltas=changes[space.id])
        hours = space.opening_hours or {}
        granularity = space.granularity
        step = space.slot_minutes if granularity == Granularity.SLOTS else 0
        midday = space.midday_minutes if granularity == Granularity.HALF_DAYS else 0
        capacity = space.capacity
        closures = space.closures
        columns = []
        for day, weekday in zip(day_list, weekdays, strict=True):
            closure = None
            for candidate in closures:
                if candidate.starts_on <= day <= candidate.ends_on:
                    closure = candidate
                    break
            opening = hours.get(weekday)
            column = DayColumn(day, closure=closure)
            column.open = bool(opening) and closure is None
            if opening and closure is None:
                begin, finish = int(opening[0]), int(opening[1])
                key = (day, begin, finish, granularity, step, midday)
                slots = bounds.get(key)
                if slots is None:
                    slots = bounds[key] = [
                        (instant(day, b), instant(day, f), instant(day, b) < now, {})
                        for b, f in units_between(begin, finish, granularity, step, midday)
                    ]
                for s, e, past, shared in slots:
                    free = max(capacity - occupancy.peak(s, e), 0)
                    slot = shared.get(free)
                    if slot is None:
                        slot = shared[free] = Slot(s, e, free, past)
                    column.slots.append(slot)
            columns.append(column)
        grid[space.id] = columns
    return grid


def active_spaces(site_id: int | None = None) -> list[Space]:
    query = (
        select(Space)
        .join(Site)
        .where(Space.is_active.is_(True))
        .options(selectinload(Space.closures), contains_eager(Space.site))
    )
    if site_id:
        query = query.where(Space.site_id == site_id)
    return list(db.session.scalars(query.order_by(Site.name, Space.name)))


def sites() -> list[Site]:
    return list(db.session.scalars(select(Site).order_by(Site.name)))


def bookings_of(
    member_id: int | None,
    start: datetime | None,
    end: datetime | None,
    *,
    space_id: int | None = None,
    after: tuple[datetime, int] | None = None,
    limit: int = 100,
    statuses: Sequence[BookingStatus] | None = None,
) -> list[Booking]:
    """Bookings by start (and id), overlapping [start, end) when given; keyset after `after`."""
    query = select(Booking)
    if member_id is not None:
        query = query.where(Booking.member_id == member_id)
    if space_id is not None:
        query = query.where(Booking.space_id == space_id)
    if start is not None:
        query = query.where(Booking.end_at > start)
    if end is not None:
        query = query.where(Booking.start_at < end)
    if statuses:
        query = query.where(Booking.status.in_(list(statuses)))
    if after is not None:
        query = query.where(
            or_(
                Booking.start_at > after[0],
                and_(Booking.start_at == after[0], Booking.id > after[1]),
            )
        )
    query = query.order_by(Booking.start_at, Booking.id).limit(limit)
    return list(db.session.scalars(query.options(*_WITH_SPACES)))


#: Load the bookings' spaces and their sites in one query each (no N+1 on list pages).
#: Attached to the bookings: loading them apart left them only weakly held by the session,
#: so each booking's `space` was fetched again once they had been collected.
_WITH_SPACES = (selectinload(Booking.space).selectinload(Space.site),)


def waitlist_of(member_id: int, now: datetime | None = None) -> list[WaitlistEntry]:
    now = now or utcnow()
    query = (
        select(WaitlistEntry)
        .where(
            WaitlistEntry.member_id == member_id,
            WaitlistEntry.status == WaitStatus.WAITING,
            WaitlistEntry.end_at > now,
        )
        .order_by(WaitlistEntry.start_at)
    )
    return list(db.session.scalars(query))


def weekly_hours(member_id: int, start: datetime, end: datetime, now: datetime) -> float:
    """Hours of holding bookings of the member starting in [start, end)."""
    rows = db.session.execute(
        select(Booking.start_at, Booking.end_at).where(
            Booking.member_id == member_id,
            Booking.start_at >= start,
            Booking.start_at < end,
            holding_clause(now),
        )
    )
    return sum((e - s).total_seconds() for s, e in rows) / 3600


def open_booking_count(member_id: int, now: datetime) -> int:
    """Open (not yet ended, holding) bookings; a series counts once."""
    base = (
        Booking.member_id == member_id,
        Booking.end_at > now,
        holding_clause(now),
    )
    singles = db.session.scalar(
        select(func.count()).select_from(Booking).where(*base, Booking.series_id.is_(None))
    )
    series = db.session.scalar(
        select(func.count(func.distinct(Booking.series_id))).where(
            *base, Booking.series_id.is_not(None)
        )
    )
    return int(singles or 0) + int(series or 0)


def here_today(
    site_ids: Sequence[int], day: date, now: datetime | None = None
) -> dict[int, list[Member]]:
    """Per site, the members who opted in and hold a booking there on `day`, by name (one
    query for all the sites)."""
    now = now or utcnow()
    start, end = at_minutes(day, 0), at_minutes(day + timedelta(days=1), 0)
    rows = db.session.execute(
        select(Space.site_id, Member)
        .join(Booking, Booking.member_id == Member.id)
        .join(Space, Space.id == Booking.space_id)
        .outerjoin(WorkspacePreference, WorkspacePreference.member_id == Member.id)
        .where(
            Space.site_id.in_(list(site_ids)),
            Booking.start_at < end,
            Booking.start_at > start - MAX_SPAN,
            Booking.end_at > start,
            Booking.status == BookingStatus.CONFIRMED,
            or_(Booking.lapses_at.is_(None), Booking.lapses_at > now),
            Member.is_active.is_(True),
        )
        .add_columns(WorkspacePreference.show_presence)
        .order_by(Member.display_name, Member.id)
    ).all()
    # The dated consent decides (the privacy page may revoke it); the preference is the
    # choice of those who never recorded one.
    chosen = current_consents({m.id for _, m, _ in rows}, Purpose.PRESENCE, default=None)
    found: dict[int, list[Member]] = {site_id: [] for site_id in site_ids}
    for site_id, member, shown in rows:
        if not (bool(shown) if chosen[member.id] is None else chosen[member.id]):
            continue
        if member not in found[site_id]:  # a member with two bookings there is shown once
            found[site_id].append(member)
    return found


def preference_of(member_id: int) -> WorkspacePreference | None:
    return db.session.get(WorkspacePreference, member_id)


def pending_approvals(limit: int = 200) -> list[Booking]:
    query = (
        select(Booking)
        .where(Booking.status == BookingStatus.PENDING, Booking.end_at > utcnow())
        .order_by(Booking.start_at)
        .limit(limit)
        .options(*_WITH_SPACES, selectinload(Booking.member))
    )
    return list(db.session.scalars(query))


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def zone_name() -> str:
    return str(local_zone())
