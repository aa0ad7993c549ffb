"""Workspace operations: spaces, bookings (single and recurring), cancellation, approval,
waitlist offers, check-in and release.

Capacity is checked and the bookings inserted in one transaction holding the write lock on
the space: SQLite write requests begin with BEGIN IMMEDIATE (`network.core.database`), and on
PostgreSQL `_lock_space` takes the space's row lock (SELECT … FOR UPDATE) before reading the
bookings, so two requests for the last seat are served one after the other and the second
sees the first. Operations flush, never commit; the boundary commits once.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app, url_for
from flask_babel import format_date, format_datetime
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from network.cooperative import current_settings
from network.cooperative.times import (
    at_minutes,
    hhmm,
    local_to_utc,
    minutes_of,
    parse_date,
    parse_time,
    to_local,
)
from network.core import audit, signals
from network.core.client_ids import optional_client_id
from network.core.errors import Conflict, Invalid, NotFound
from network.core.ids import is_id, parse_id
from network.core.models import utcnow
from network.core.permissions import is_staff, require_staff
from network.extensions import db
from network.members.models import Member
from network.workspaces import live, queries
from network.workspaces.models import (
    HOLDING,
    Booking,
    BookingSeries,
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

SPACE_NOT_FOUND = _l("This space does not exist.")
BOOKING_NOT_FOUND = _l("This booking does not exist or is not yours.")
MAX_SEATS = 500
CHECK_IN_OPENS = timedelta(hours=1)  # check-in opens an hour before the start
SUGGESTIONS = 3
SUGGESTION_DAYS = 7


class BookingConflict(Conflict):
    """Seats (or rules) stand in the way; carries each clash and the nearest free slots."""

    def __init__(self, message: Any, conflicts: list[dict], suggestions: list[dict]):
        super().__init__(message)
        self.conflicts = conflicts
        self.suggestions = suggestions


# --- lookups -------------------------------------------------------------------------------


def get_space(space_id: Any, *, inactive_too: bool = False) -> Space:
    space = db.session.get(Space, space_id) if is_id(space_id) else None
    if space is None or not (space.is_active or inactive_too):
        raise NotFound(SPACE_NOT_FOUND)
    return space


def _lock_space(space_id: int) -> Space:
    """The space, its row locked until the transaction ends (PostgreSQL; SQLite already
    holds the database's write lock)."""
    space = db.session.scalars(
        select(Space).where(Space.id == space_id).with_for_update()
    ).one_or_none()
    if space is None:
        raise NotFound(SPACE_NOT_FOUND)
    return space


def visible_booking(viewer: Any, booking_id: Any) -> Booking:
    """The viewer's own booking, or any for staff; another's is answered as missing."""
    booking = db.session.get(Booking, booking_id) if is_id(booking_id) else None
    if booking is None or not (booking.member_id == viewer.id or is_staff(viewer)):
        raise NotFound(BOOKING_NOT_FOUND)
    return booking


# --- notifications -------------------------------------------------------------------------


def _when(booking: Booking) -> LazyString:
    """The start, formatted in the reader's language when the text is shown."""
    start = booking.start_at
    return LazyString(lambda: format_datetime(start, "EEEE d MMMM, HH:mm"))


def _booking_url(booking: Booking) -> str:
    try:
        return url_for("workspaces.booking", booking_id=booking.id)
    except RuntimeError:  # no request: the CLI without a public URL
        return f"/workspaces/bookings/{booking.id}"


def _notify(booking: Booking, kind: str, text: Any, actor: Member | None) -> None:
    if actor is not None and hasattr(actor, "_get_current_object"):
        actor = actor._get_current_object()  # the member, not the request-bound proxy
    signals.notification_requested.send(
        booking.member_id, kind=kind, text=text, url=_booking_url(booking), actor=actor
    )


# --- spaces (staff) ------------------------------------------------------------------------


def create_site(actor: Member, name: Any, address: Any = "") -> Site:
    require_staff(actor)
    name = " ".join(str(name or "").split())
    if not 1 <= len(name) <= 120:
        raise Invalid(fields={"name": _l("Give the site a name of 1 to 120 characters.")})
    if db.session.scalar(select(Site).where(Site.name == name)):
        raise Conflict(fields={"name": _l("A site is already called “%(name)s”.", name=name)})
    site = Site(name=name, address=str(address or "").strip()[:250])
    db.session.add(site)
    db.session.flush()
    audit.record(db.session, "site_created", actor_id=actor.id, site_id=site.id)
    return site


def _int_field(data: dict, key: str, low: int, high: int, errors: dict, default: Any) -> Any:
    raw = data.get(key, default)
    if raw in (None, ""):
        raw = default
    try:
        if isinstance(raw, float | bool):
            raise ValueError
        value = int(raw)
    except (TypeError, ValueError):
        errors[key] = _l("Must be a whole number.")
        return default
    if not low <= value <= high:
        errors[key] = _l("Must be between %(low)s and %(high)s.", low=low, high=high)
    return value


def _parse_hours(raw: Any, errors: dict) -> dict[str, list[int]]:
    """{"0": "08:00-19:00", …} or {"0": [480, 1140]} → {"0": [480, 1140]}; empty = closed."""
    if not isinstance(raw, dict):
        errors["opening_hours"] = _l("Give the opening hours per weekday.")
        return {}
    hours: dict[str, list[int]] = {}
    for key, value in raw.items():
        if str(key) not in {str(d) for d in range(7)}:
            errors["opening_hours"] = _l("Weekdays go from 0 (Monday) to 6 (Sunday).")
            continue
        if value in (None, "", []):
            continue
        try:
            if isinstance(value, str):
                first, last = value.replace(" ", "").split("-")
                begin = int(first[:2]) * 60 + int(first[3:5])
                finish = int(last[:2]) * 60 + int(last[3:5])
            else:
                begin, finish = int(value[0]), int(value[1])
        except (ValueError, IndexError, KeyError, TypeError, OverflowError):
            errors[f"hours_{key}"] = _l("Write the hours as 08:00-19:00.")
            continue
        if not 0 <= begin < finish <= 24 * 60:
            errors[f"hours_{key}"] = _l("The closing time must come after the opening time.")
            continue
        hours[str(key)] = [begin, finish]
    return hours


def _space_fields(data: dict[str, Any], space: Space | None) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    current = (lambda key, default: getattr(space, key)) if space else (lambda k, d: d)
    values: dict[str, Any] = {}
    raw_name = data.get("name", current("name", ""))
    name = " ".join(raw_name.split()) if isinstance(raw_name, str) else ""
    if not 1 <= len(name) <= 120:
        errors["name"] = _l("Give the space a name of 1 to 120 characters.")
    values["name"] = name
    kind = data.get("kind", current("kind", SpaceKind.MEETING_ROOM))
    if not isinstance(kind, str) or kind not in {k.value for k in SpaceKind}:
        errors["kind"] = _l("Choose a kind of space.")
    else:
        values["kind"] = SpaceKind(kind)
    site_id = data.get("site_id", current("site_id", None))
    site_key = parse_id(site_id) if isinstance(site_id, int | str) else None
    site = db.session.get(Site, site_key) if site_key is not None else None
    if site is None:
        errors["site_id"] = _l("Choose the site.")
    else:
        values["site_id"] = site.id
    values["description"] = str(data.get("description", current("description", "")))[:4000]
    equipment = data.get("equipment", current("equipment", []))
    if isinstance(equipment, str):
        equipment = [e.strip() for e in equipment.split(",")]
    if not isinstance(equipment, list) or not all(isinstance(e, str) for e in equipment):
        errors["equipment"] = _l("List the equipment as text.")
        equipment = []
    values["equipment"] = [e.strip()[:80] for e in equipment if e.strip()][:30]
    values["capacity"] = _int_field(data, "capacity", 1, MAX_SEATS, errors, current("capacity", 1))
    granularity = data.get("granularity", current("granularity", Granularity.SLOTS))
    if not isinstance(granularity, str) or granularity not in {g.value for g in Granularity}:
        errors["granularity"] = _l("Choose slots, half days or full days.")
    else:
        values["granularity"] = Granularity(granularity)
    slot = _int_field(data, "slot_minutes", 5, 240, errors, current("slot_minutes", 30))
    if "slot_minutes" not in errors and (24 * 60) % slot:
        errors["slot_minutes"] = _l("A slot must divide the day evenly (15, 30, 60 minutes…).")
    values["slot_minutes"] = slot
    values["midday_minutes"] = _int_field(
        data, "midday_minutes", 60, 23 * 60, errors, current("midday_minutes", 13 * 60)
    )
    low = _int_field(data, "min_minutes", 5, 24 * 60, errors, current("min_minutes", 30))
    high = _int_field(data, "max_minutes", 5, 24 * 60, errors, current("max_minutes", 8 * 60))
    if "min_minutes" not in errors and "max_minutes" not in errors and low > high:
        errors["max_minutes"] = _l("The longest booking cannot be shorter than the shortest.")
    values["min_minutes"], values["max_minutes"] = low, high
    values["max_days_ahead"] = _int_field(
        data, "max_days_ahead", 1, 730, errors, current("max_days_ahead", 60)
    )
    for flag in ("needs_approval", "check_in_required", "is_active"):
        default = current(flag, flag == "is_active")
        raw = data.get(flag, default)
        values[flag] = raw in (True, "1", "on", "true", "yes")
    hours = data.get("opening_hours")
    if hours is None:
        values["opening_hours"] = current("opening_hours", _default_hours())
    else:
        values["opening_hours"] = _parse_hours(hours, errors)
    if errors:
        raise Invalid(fields=errors)
    return values


def _default_hours() -> dict[str, list[int]]:
    return {str(d): [8 * 60, 19 * 60] for d in range(5)}


def create_space(actor: Member, data: dict[str, Any]) -> Space:
    require_staff(actor)
    space = Space(**_space_fields(data, None))
    db.session.add(space)
    db.session.flush()
    audit.record(db.session, "space_created", actor_id=actor.id, space_id=space.id)
    return space


def update_space(actor: Member, space: Space, data: dict[str, Any]) -> Space:
    require_staff(actor)
    changed = []
    for key, value in _space_fields(data, space).items():
        if getattr(space, key) != value:
            changed.append(key)
            setattr(space, key, value)
    db.session.flush()
    if changed:  # the space's rules and capacity are the staff's settings of bookings
        audit.record(
            db.session, "space_updated", actor_id=actor.id, space_id=space.id, fields=changed
        )
    return space


PHOTO_SIZES = {"full": 1200, "card": 480}


def set_space_photo(actor: Member, space: Space, data: bytes) -> Space:
    from network.core.images import delete_image, store_image

    require_staff(actor)
    old = space.photo_key
    space.photo_key = store_image(data, "spaces", PHOTO_SIZES)
    delete_image(old, PHOTO_SIZES)
    return space


def add_closure(actor: Member, space: Space, starts_on: Any, ends_on: Any, reason: Any) -> Closure:
    require_staff(actor)
    first = starts_on if isinstance(starts_on, date) else parse_date(starts_on, "starts_on")
    last = ends_on if isinstance(ends_on, date) else parse_date(ends_on or starts_on, "ends_on")
    if last < first:
        raise Invalid(fields={"ends_on": _l("The last day comes before the first.")})
    closure = Closure(space=space, starts_on=first, ends_on=last, reason=str(reason or "")[:200])
    db.session.add(closure)
    db.session.flush()
    audit.record(
        db.session,
        "space_closure_added",
        actor_id=actor.id,
        space_id=space.id,
        closure_id=closure.id,
        starts_on=first,
        ends_on=last,
    )
    live.availability_changed(space.id, at_minutes(first, 0), at_minutes(last, 24 * 60))
    return closure


def remove_closure(actor: Member, space: Space, closure_id: Any) -> None:
    require_staff(actor)
    closure = db.session.get(Closure, closure_id) if is_id(closure_id) else None
    if closure is None or closure.space_id != space.id:
        raise NotFound()
    db.session.delete(closure)
    audit.record(
        db.session,
        "space_closure_removed",
        actor_id=actor.id,
        space_id=space.id,
        closure_id=closure.id,
        starts_on=closure.starts_on,
        ends_on=closure.ends_on,
    )
    live.availability_changed(
        space.id, at_minutes(closure.starts_on, 0), at_minutes(closure.ends_on, 24 * 60)
    )


# --- booking requests ----------------------------------------------------------------------


@dataclass
class Occurrence:
    start_at: datetime
    end_at: datetime
    reason: str | None = None  # why it cannot be booked: full, closed, closure, past, …
    message: Any = None
    free: int | None = None
    suggestions: list[dict] = field(default_factory=list)
    busy: list[tuple[datetime, datetime]] = field(default_factory=list)  # the clashing holds


@dataclass
class Request:
    space: Space
    member: Member
    seats: int
    title: str
    override: bool
    occurrences: list[Occurrence]
    rule: dict[str, Any] | None

    @property
    def conflicts(self) -> list[Occurrence]:
        return [o for o in self.occurrences if o.reason]

    @property
    def free(self) -> list[Occurrence]:
        return [o for o in self.occurrences if not o.reason]


def _bool(value: Any) -> bool:
    return value in (True, "1", "on", "true", "yes")


def _request(actor: Member, data: dict[str, Any], now: datetime, *, lock: bool) -> Request:
    """Parse and check a booking request; per-occurrence problems are listed, not raised."""
    if not isinstance(data, dict):
        raise Invalid(_l("Send a JSON object."))
    space_id = data.get("space_id")
    if isinstance(space_id, str):
        space_id = parse_id(space_id)
    if not is_id(space_id):
        raise Invalid(fields={"space_id": _l("Choose a space.")})
    try:
        space = _lock_space(space_id) if lock else get_space(space_id)  # type: ignore[arg-type]
    except NotFound:
        raise NotFound(SPACE_NOT_FOUND, fields={"space_id": SPACE_NOT_FOUND}) from None
    if not space.is_active:
        raise NotFound(SPACE_NOT_FOUND, fields={"space_id": SPACE_NOT_FOUND})
    start = parse_time(data.get("start"), "start")
    end = parse_time(data.get("end"), "end")
    override = _bool(data.get("override"))
    if override:
        require_staff(actor)
    member = actor
    if data.get("member_id") not in (None, "", actor.id, str(actor.id)):
        require_staff(actor)
        raw = data.get("member_id")
        member_id = parse_id(raw) if isinstance(raw, str) else raw
        found = db.session.get(Member, member_id) if is_id(member_id) else None
        if found is None or not found.is_active:
            raise Invalid(fields={"member_id": _l("This member does not exist.")})
        member = found
    seats_raw = data.get("seats", 1)
    try:
        seats = int(seats_raw) if not isinstance(seats_raw, bool | float) else -1
    except (TypeError, ValueError):
        seats = -1
    if seats < 1:
        raise Invalid(fields={"seats": _l("Give a number of seats of 1 or more.")})
    if seats > space.capacity:
        raise Invalid(
            fields={
                "seats": _l(
                    "%(space)s has %(capacity)s seats: you asked for %(seats)s.",
                    space=space.name,
                    capacity=space.capacity,
                    seats=seats,
                )
            }
        )
    title = " ".join(str(data.get("title") or "").split())[:200]
    _check_shape(space, start, end, override)
    rule = data.get("recurrence") or None
    times = _recurrence(space, start, end, rule) if rule else [(start, end)]
    occurrences = [Occurrence(s, e) for s, e in times]
    request = Request(space, member, seats, title, override, occurrences, rule)
    _check_occurrences(request, now)
    return request


def _duration_text(minutes: int) -> str:
    return f"{minutes // 60} h {minutes % 60:02d}" if minutes >= 60 else f"{minutes} min"


def rules_of(space: Space, day: date | None = None) -> list[LazyString]:
    """The booking rules of a space in words, shown before a member books (and in the API)."""
    if space.granularity == Granularity.HALF_DAYS:
        rules = [
            _l(
                "Booked by half days: the morning until %(midday)s or the afternoon from "
                "%(midday)s, or both.",
                midday=hhmm(space.midday_minutes),
            )
        ]
    elif space.granularity == Granularity.DAYS:
        rules = [_l("Booked by whole days, from opening to closing.")]
    else:
        rules = [
            _l(
                "Booked by slots of %(minutes)s minutes, from %(shortest)s to %(longest)s.",
                minutes=space.slot_minutes,
                shortest=_duration_text(space.min_minutes),
                longest=_duration_text(space.max_minutes),
            )
        ]
    if day is not None:
        opening = queries.opening_of(space, day)
        closure = queries.closure_on(space, day)
        rules.append(
            _l("Closed on %(day)s.", day=format_date(day))
            if opening is None or closure is not None
            else _l(
                "Open from %(open)s to %(close)s on %(day)s.",
                open=hhmm(opening[0]),
                close=hhmm(opening[1]),
                day=format_date(day),
            )
        )
    rules.append(_l("Bookable up to %(days)s days ahead.", days=space.max_days_ahead))
    if space.needs_approval:
        rules.append(_l("The support team approves each booking."))
    if space.check_in_required:
        rules.append(
            _l(
                "Check in on arrival (from an hour before the start): a booking not checked "
                "in %(minutes)s minutes after its start is released.",
                minutes=current_settings()["workspaces_check_in_grace_minutes"],
            )
        )
    return rules


def durations_of(space: Space) -> list[tuple[int, str]]:
    """The lengths a booking of a space booked by slots may have: (minutes, label)."""
    if space.granularity != Granularity.SLOTS:
        return []
    step = space.slot_minutes
    first = max(step, space.min_minutes + (-space.min_minutes) % step)
    return [(m, _duration_text(m)) for m in range(first, space.max_minutes + 1, step)]


def _check_shape(space: Space, start: datetime, end: datetime, override: bool) -> None:
    """Order, length and granularity: the same for every occurrence of a request."""
    if end < start:
        raise Invalid(fields={"end": _l("The end comes before the start.")})
    if end == start:
        raise Invalid(fields={"end": _l("The booking has no duration: the end equals the start.")})
    if end - start > queries.MAX_SPAN:
        raise Invalid(fields={"end": _l("A booking lasts at most a day.")})
    if override:
        return
    minutes = int((end - start).total_seconds() // 60)
    if minutes > space.max_minutes:
        raise Invalid(
            fields={
                "end": _l(
                    "A booking of %(space)s lasts at most %(duration)s.",
                    space=space.name,
                    duration=_duration_text(space.max_minutes),
                )
            }
        )
    if minutes < space.min_minutes:
        raise Invalid(
            fields={
                "end": _l(
                    "A booking of %(space)s lasts at least %(duration)s.",
                    space=space.name,
                    duration=_duration_text(space.min_minutes),
                )
            }
        )
    local_start, local_end = to_local(start), to_local(end)
    last_day = (local_end - timedelta(microseconds=1)).date()
    if local_start.date() != last_day:
        raise Invalid(fields={"end": _l("A booking starts and ends on the same day.")})
    begin = minutes_of(local_start)
    finish = minutes_of(local_end) or 24 * 60
    if space.granularity == Granularity.SLOTS:
        step = space.slot_minutes
        if begin % step or finish % step or local_start.second or local_end.second:
            raise Invalid(
                fields={
                    "start": _l(
                        "Bookings of %(space)s start and end on slots of %(minutes)s minutes.",
                        space=space.name,
                        minutes=step,
                    )
                }
            )
    else:
        units = queries.units_of_day(space, local_start.date()) or [(begin, finish)]
        starts = {u[0] for u in units}
        ends = {u[1] for u in units}
        if begin not in starts or finish not in ends:
            message = (
                _l("%(space)s is booked by half days (morning or afternoon).", space=space.name)
                if space.granularity == Granularity.HALF_DAYS
                else _l("%(space)s is booked by whole days.", space=space.name)
            )
            raise Invalid(fields={"start": message})


def _recurrence(
    space: Space, start: datetime, end: datetime, rule: Any
) -> list[tuple[datetime, datetime]]:
    """The occurrences' times: local wall-clock times repeated on local dates (DST-safe)."""
    if not isinstance(rule, dict):
        raise Invalid(fields={"recurrence": _l("Describe the recurrence as an object.")})
    cap = current_settings()["workspaces_max_occurrences"]
    freq = rule.get("freq")
    if freq not in ("daily", "weekly"):
        raise Invalid(fields={"recurrence.freq": _l("Repeat daily or weekly.")})
    local_start, local_end = to_local(start), to_local(end)
    first_day = local_start.date()
    days = rule.get("days")
    if freq == "weekly":
        if days in (None, []):
            days = [first_day.weekday()]
        if not isinstance(days, list) or not all(type(d) is int and 0 <= d <= 6 for d in days):
            raise Invalid(
                fields={"recurrence.days": _l("Choose weekdays from 0 (Monday) to 6 (Sunday).")}
            )
    count, until = rule.get("count"), rule.get("until")
    if count in (None, "") and until in (None, ""):
        raise Invalid(fields={"recurrence": _l("Say until when, or how many times.")})
    if count not in (None, ""):
        if type(count) is not int or count < 1:
            raise Invalid(fields={"recurrence.count": _l("Give a number of times of 1 or more.")})
        if count > cap:
            raise Invalid(
                fields={
                    "recurrence.count": _l(
                        "A recurring booking has at most %(max)s occurrences: you asked for "
                        "%(count)s.",
                        max=cap,
                        count=count,
                    )
                }
            )
    last_day: date | None = None
    if until not in (None, ""):
        last_day = parse_date(until, "recurrence.until")
        if last_day < first_day:
            raise Invalid(fields={"recurrence.until": _l("The last day comes before the first.")})
    found: list[tuple[datetime, datetime]] = []
    day = first_day
    length = local_end.date() - first_day
    while True:
        if last_day is not None and day > last_day:
            break
        if count not in (None, "") and len(found) >= count:
            break
        if freq == "daily" or day.weekday() in days:  # type: ignore[operator]
            if len(found) >= cap:
                raise Invalid(
                    fields={
                        "recurrence.until": _l(
                            "A recurring booking has at most %(max)s occurrences: choose an "
                            "earlier last day.",
                            max=cap,
                        )
                    }
                )
            occurrence_start = local_to_utc(day, local_start.time(), "start")
            occurrence_end = local_to_utc(day + length, local_end.time(), "end")
            found.append((occurrence_start, occurrence_end))
        day += timedelta(days=1)
    return found


def _check_occurrences(request: Request, now: datetime) -> None:
    space = request.space
    occurrences = request.occurrences
    first = min(o.start_at for o in occurrences)
    last = max(o.end_at for o in occurrences)
    holdings = queries.held([space.id], first, last, now)[space.id]
    settings = current_settings()
    quota = settings[f"workspaces_weekly_hours_{request.member.status.value}"]
    week_hours: dict[date, float] = {}
    for occurrence in occurrences:
        problem = None if request.override else _rule_problem(space, occurrence, now)
        if problem:
            occurrence.reason, occurrence.message = problem
            continue
        taken = queries.peak(holdings, occurrence.start_at, occurrence.end_at)
        occurrence.free = space.capacity - taken
        if taken + request.seats > space.capacity:
            occurrence.reason = "full"
            occurrence.busy = sorted(
                (h.start_at, h.end_at)
                for h in holdings
                if h.start_at < occurrence.end_at and h.end_at > occurrence.start_at
            )
            occurrence.message = _full_message(space, occurrence, taken)
            occurrence.suggestions = suggest(space, occurrence, request.seats, now, holdings)
            continue
        if quota and not request.override:
            week = queries.week_start(to_local(occurrence.start_at).date())
            if week not in week_hours:
                week_hours[week] = queries.weekly_hours(
                    request.member.id, at_minutes(week, 0), at_minutes(week + timedelta(7), 0), now
                )
            hours = (occurrence.end_at - occurrence.start_at).total_seconds() / 3600
            if week_hours[week] + hours > quota:
                occurrence.reason = "quota"
                occurrence.message = _l(
                    "This goes over the weekly quota of %(hours)s hours for the week of "
                    "%(week)s (%(used)s hours already booked).",
                    hours=quota,
                    week=format_date(week),
                    used=round(week_hours[week], 1),
                )
                continue
            week_hours[week] += hours


def _full_message(space: Space, occurrence: Occurrence, taken: int) -> Any:
    start, end = to_local(occurrence.start_at), to_local(occurrence.end_at)
    if space.capacity == 1 and occurrence.busy:
        first, last = to_local(occurrence.busy[0][0]), to_local(max(b[1] for b in occurrence.busy))
        return _l(
            "%(space)s is already booked on %(day)s from %(start)s to %(end)s.",
            space=space.name,
            day=format_date(first.date()),
            start=first.strftime("%H:%M"),
            end=last.strftime("%H:%M"),
        )
    return _l(
        "%(space)s is full on %(day)s from %(start)s to %(end)s (%(free)s of %(capacity)s "
        "seats free).",
        space=space.name,
        day=format_date(start.date()),
        start=start.strftime("%H:%M"),
        end=end.strftime("%H:%M"),
        free=max(space.capacity - taken, 0),
        capacity=space.capacity,
    )


def _rule_problem(space: Space, occurrence: Occurrence, now: datetime) -> tuple[str, Any] | None:
    start, end = occurrence.start_at, occurrence.end_at
    local_start = to_local(start)
    day = local_start.date()
    if start < now:
        return "past", _l("This time is in the past.")
    if day > to_local(now).date() + timedelta(days=space.max_days_ahead):
        return "too_far", _l(
            "%(space)s can be booked %(days)s days ahead at most.",
            space=space.name,
            days=space.max_days_ahead,
        )
    closure = queries.closure_on(space, day)
    if closure is not None:
        return "closure", _l(
            "%(space)s is closed from %(first)s to %(last)s: %(reason)s.",
            space=space.name,
            first=format_date(closure.starts_on),
            last=format_date(closure.ends_on),
            reason=closure.reason or _l("closure"),
        )
    opening = queries.opening_of(space, day)
    if opening is None:
        return "closed", _l(
            "%(space)s is closed on %(day)s.", space=space.name, day=format_date(day)
        )
    begin, finish = minutes_of(local_start), minutes_of(to_local(end)) or 24 * 60
    if begin < opening[0] or finish > opening[1] or to_local(end).date() != day and finish != 1440:
        return "closed", _l(
            "%(space)s is open from %(open)s to %(close)s on %(day)s.",
            space=space.name,
            open=hhmm(opening[0]),
            close=hhmm(opening[1]),
            day=format_date(day),
        )
    return None


def suggest(
    space: Space,
    occurrence: Occurrence,
    seats: int,
    now: datetime,
    holdings: list[queries.Held] | None = None,
) -> list[dict]:
    """The free slots of the same length nearest to the requested one (same space)."""
    duration = occurrence.end_at - occurrence.start_at
    center = occurrence.start_at
    day0 = to_local(center).date()
    low, high = day0 - timedelta(SUGGESTION_DAYS), day0 + timedelta(SUGGESTION_DAYS + 1)
    window = queries.held([space.id], at_minutes(low, 0), at_minutes(high, 0), now)[space.id]
    candidates = []
    for offset in range(-SUGGESTION_DAYS, SUGGESTION_DAYS + 1):
        day = day0 + timedelta(offset)
        units = queries.units_of_day(space, day)
        if not units:
            continue
        step_starts = [u[0] for u in units]
        for begin in step_starts:
            start = at_minutes(day, begin)
            end = start + duration
            if start == center:
                continue
            candidate = Occurrence(start, end)
            if _rule_problem(space, candidate, now):
                continue
            if queries.peak(window, start, end) + seats <= space.capacity:
                candidates.append((abs((start - center).total_seconds()), start, end))
    candidates.sort()
    return [{"start": s, "end": e} for _d, s, e in candidates[:SUGGESTIONS]]


def preview_booking(actor: Member, data: dict[str, Any]) -> Request:
    """What `book_space` would do, without booking: every occurrence with its problem."""
    return _request(actor, data, utcnow(), lock=False)


def book_space(actor: Member, data: dict[str, Any]) -> tuple[list[Booking], list[Occurrence]]:
    """`submit_booking` without telling whether it booked anything now."""
    bookings, skipped, _created = submit_booking(actor, data)
    return bookings, skipped


def submit_booking(
    actor: Member, data: dict[str, Any]
) -> tuple[list[Booking], list[Occurrence], bool]:
    """Book `data["space_id"]` from `start` to `end` (optionally recurring) for the actor, or
    (staff) for `member_id`, with `override` setting the rules aside (never capacity).

    Raises `Invalid` for bad input, `BookingConflict` (409) when an occurrence cannot be
    booked unless `on_conflict` is "skip" (then the free ones are booked and the others
    returned), `Conflict` past the open-bookings limit. Notifies and announces after commit.

    With `client_id`, a request sent again (a retry, a double click) returns the bookings the
    first one made, and books nothing more. (bookings, skipped, created?)
    """
    if not isinstance(data, dict):
        raise Invalid(_l("Send a JSON object."))
    client_id = optional_client_id(data.get("client_id"))
    previous = _previous_bookings(actor, client_id)
    if previous:
        return previous, [], False
    now = utcnow()
    request = _request(actor, data, now, lock=True)
    if client_id is not None:  # the space is locked now: a twin that got here first is seen
        previous = _previous_bookings(actor, client_id)
        if previous:
            return previous, [], False
    _settle(request.space, now)
    skip = data.get("on_conflict") == "skip"
    conflicts = request.conflicts
    single = request.rule is None
    if single and conflicts and conflicts[0].reason not in ("full", "quota"):
        raise Invalid(fields={"start": conflicts[0].message})
    if conflicts and (not skip or not request.free):
        raise _conflict(request)
    if not request.override:
        _check_open_limit(request, now)
    series = None
    if request.rule is not None and len(request.free) > 1:
        series = BookingSeries(
            member_id=request.member.id, space_id=request.space.id, rule=_rule_json(request.rule)
        )
        db.session.add(series)
        db.session.flush()
    approval = request.space.needs_approval and not is_staff(actor)
    bookings = []
    for occurrence in request.free:
        booking = Booking(
            space_id=request.space.id,
            member_id=request.member.id,
            created_by_id=actor.id,
            series_id=series.id if series else None,
            start_at=occurrence.start_at,
            end_at=occurrence.end_at,
            seats=request.seats,
            status=BookingStatus.PENDING if approval else BookingStatus.CONFIRMED,
            lapses_at=_claim_deadline(request.space, occurrence.start_at),
            title=request.title,
            overridden=request.override,
            client_id=client_id,
        )
        bookings.append(booking)
    try:
        with db.session.begin_nested():
            db.session.add_all(bookings)
            db.session.flush()
    except IntegrityError:  # the same submit at the same moment: the first one stands
        previous = _previous_bookings(actor, client_id)
        if not previous:
            raise
        if series is not None:
            db.session.delete(series)
        return previous, [], False
    _audit_booking(actor, request, bookings)
    first = bookings[0]
    first.space = request.space
    if approval:
        text = _l(
            "Your booking of %(space)s on %(when)s waits for the support team's approval.",
            space=request.space.name,
            when=_when(first),
        )
        _notify(first, "booking_pending", text, actor if actor.id != first.member_id else None)
    else:
        text = (
            _l(
                "Your booking of %(space)s on %(when)s is confirmed (%(count)s occurrences).",
                space=request.space.name,
                when=_when(first),
                count=len(bookings),
            )
            if len(bookings) > 1
            else _l(
                "Your booking of %(space)s on %(when)s is confirmed.",
                space=request.space.name,
                when=_when(first),
            )
        )
        _notify(first, "booking_confirmed", text, actor if actor.id != first.member_id else None)
    live.availability_changed(
        request.space.id, min(b.start_at for b in bookings), max(b.end_at for b in bookings)
    )
    return bookings, conflicts, True


def _previous_bookings(actor: Member, client_id: str | None) -> list[Booking]:
    """The bookings the actor's request with `client_id` made, by start (none without one)."""
    if client_id is None:
        return []
    return list(
        db.session.scalars(
            select(Booking)
            .where(Booking.created_by_id == actor.id, Booking.client_id == client_id)
            .order_by(Booking.start_at)
        )
    )


def _rule_json(rule: dict[str, Any]) -> dict[str, Any]:
    return {k: rule[k] for k in ("freq", "days", "until", "count") if rule.get(k) not in (None, "")}


def _conflict(request: Request) -> BookingConflict:
    conflicts = request.conflicts
    first = conflicts[0]
    if len(request.occurrences) == 1:
        message = first.message
    else:
        message = _l(
            "%(count)s of the %(total)s occurrences cannot be booked: skip them or cancel.",
            count=len(conflicts),
            total=len(request.occurrences),
        )
    return BookingConflict(
        message,
        [_occurrence_json(o) for o in conflicts],
        first.suggestions,
    )


def _occurrence_json(occurrence: Occurrence) -> dict[str, Any]:
    return {
        "start": occurrence.start_at,
        "end": occurrence.end_at,
        "reason": occurrence.reason,
        "message": occurrence.message,
        "free_seats": occurrence.free,
        "suggestions": occurrence.suggestions,
        "busy": [{"start": s, "end": e} for s, e in occurrence.busy],
    }


def _check_open_limit(request: Request, now: datetime) -> None:
    limit = current_settings()["workspaces_max_open_bookings"]
    adding = 1 if request.rule is not None else len(request.free)
    held_now = queries.open_booking_count(request.member.id, now)
    if held_now + adding > limit:
        raise Conflict(
            _l(
                "You already hold %(count)s open bookings: %(max)s at most. Cancel one first.",
                count=held_now,
                max=limit,
            )
        )


def _claim_deadline(space: Space, start: datetime) -> datetime | None:
    if not space.check_in_required:
        return None
    return start + timedelta(minutes=current_settings()["workspaces_check_in_grace_minutes"])


def _audit_booking(actor: Member, request: Request, bookings: list[Booking]) -> None:
    if request.override:
        action = "booking_override"
    elif request.member.id != actor.id:
        action = "booking_for_member"
    else:
        action = "booking_created"
    audit.record(
        db.session,
        action,
        actor_id=actor.id,
        subject_id=request.member.id,
        space_id=request.space.id,
        booking_ids=[b.id for b in bookings],
    )


# --- cancelling, approving, checking in ----------------------------------------------------


def cancel_booking(
    actor: Member,
    booking: Booking,
    scope: Any = "one",
    first_day: Any = None,
    last_day: Any = None,
) -> list[Booking]:
    """Cancel one booking, it and its series' later ones ("future"), or the series'
    occurrences between two local dates ("range"). Freed seats go to the waitlist."""
    if booking.member_id != actor.id and not is_staff(actor):
        raise NotFound(BOOKING_NOT_FOUND)
    if scope not in ("one", "future", "range"):
        raise Invalid(fields={"scope": _l("Cancel one, the future ones or a date range.")})
    now = utcnow()
    space = _lock_space(booking.space_id)
    db.session.refresh(booking)
    targets: list[Booking]
    if scope == "one" or booking.series_id is None and scope == "future":
        if not booking.is_holding:
            raise Conflict(_l("This booking is already cancelled or over."))
        if booking.end_at <= now:
            raise Conflict(_l("This booking is over: it cannot be cancelled."))
        targets = [booking]
    else:
        query = select(Booking).where(
            Booking.status.in_(HOLDING),
            Booking.end_at > now,
            Booking.member_id == booking.member_id,
        )
        query = (
            query.where(Booking.series_id == booking.series_id)
            if booking.series_id is not None
            else query.where(Booking.id == booking.id)
        )
        if scope == "future":
            query = query.where(Booking.start_at >= booking.start_at)
        else:
            first = parse_date(first_day, "from")
            last = parse_date(last_day or first_day, "to")
            if last < first:
                raise Invalid(fields={"to": _l("The last day comes before the first.")})
            query = query.where(
                Booking.start_at >= at_minutes(first, 0),
                Booking.start_at < at_minutes(last, 24 * 60),
            )
        targets = list(db.session.scalars(query.order_by(Booking.start_at)))
        if not targets:
            raise Conflict(_l("No booking to cancel in this range."))
    for target in targets:
        target.status = BookingStatus.CANCELLED
        target.lapses_at = None
    db.session.flush()
    audit.record(
        db.session,
        "booking_cancelled" if actor.id == booking.member_id else "booking_cancelled_by_staff",
        actor_id=actor.id,
        subject_id=booking.member_id,
        space_id=space.id,
        booking_ids=[t.id for t in targets],
    )
    for target in targets:
        _offer_freed(space, target.start_at, target.end_at, now)
    live.availability_changed(space.id, targets[0].start_at, targets[-1].end_at)
    return targets


def decide_booking(actor: Member, booking: Booking, approve: bool) -> Booking:
    """Staff approve or decline a pending booking; the member is notified."""
    require_staff(actor)
    space = _lock_space(booking.space_id)
    db.session.refresh(booking)
    if booking.status != BookingStatus.PENDING:
        raise Conflict(_l("This booking is not waiting for approval."))
    booking.decided_by_id = actor.id
    now = utcnow()
    if approve:
        booking.status = BookingStatus.CONFIRMED
        text = _l(
            "Your booking of %(space)s on %(when)s is approved.",
            space=space.name,
            when=_when(booking),
        )
        _notify(booking, "booking_approved", text, actor)
    else:
        booking.status = BookingStatus.DECLINED
        booking.lapses_at = None
        text = _l(
            "Your booking of %(space)s on %(when)s was declined.",
            space=space.name,
            when=_when(booking),
        )
        _notify(booking, "booking_declined", text, actor)
        db.session.flush()
        _offer_freed(space, booking.start_at, booking.end_at, now)
    audit.record(
        db.session,
        "booking_approved" if approve else "booking_declined",
        actor_id=actor.id,
        subject_id=booking.member_id,
        booking_id=booking.id,
    )
    live.availability_changed(space.id, booking.start_at, booking.end_at)
    return booking


def check_in_problem(booking: Booking, now: datetime) -> LazyString | None:
    """Why the booking's member cannot check in now (None: they can)."""
    if booking.status != BookingStatus.CONFIRMED:
        return _l("Only a confirmed booking can be checked in.")
    if booking.lapses_at is not None and booking.lapses_at <= now:
        return _l("Too late: the seat was released after the grace time.")
    if now < booking.start_at - CHECK_IN_OPENS:
        return _l("Check-in opens an hour before the start.")
    if now >= booking.end_at:
        return _l("This booking is over.")
    return None


def may_check_in(viewer: Any, booking: Booking, now: datetime | None = None) -> bool:
    """Whether `viewer` may check the booking in now: the check-in button is shown then only."""
    return (
        getattr(viewer, "id", None) == booking.member_id
        and booking.checked_in_at is None
        and check_in_problem(booking, now or utcnow()) is None
    )


def may_cancel(viewer: Any, booking: Booking, now: datetime | None = None) -> bool:
    return (
        (getattr(viewer, "id", None) == booking.member_id or is_staff(viewer))
        and booking.is_holding
        and booking.end_at > (now or utcnow())
    )


def check_in(actor: Member, booking: Booking) -> Booking:
    if booking.member_id != actor.id:
        raise NotFound(BOOKING_NOT_FOUND)
    now = utcnow()
    if booking.checked_in_at is not None:
        return booking
    problem = check_in_problem(booking, now)
    if problem is not None:
        raise Conflict(problem)
    booking.checked_in_at = now
    booking.lapses_at = None
    return booking


def confirm_offer(actor: Member, booking: Booking) -> Booking:
    """The waiting member takes the seat offered to them, within the offer's delay."""
    if booking.member_id != actor.id:
        raise NotFound(BOOKING_NOT_FOUND)
    space = _lock_space(booking.space_id)
    db.session.refresh(booking)
    now = utcnow()
    if booking.status != BookingStatus.OFFERED:
        raise Conflict(_l("This booking is not an offer waiting for you."))
    if booking.lapses_at is not None and booking.lapses_at <= now:
        raise Conflict(_l("This offer has expired: the seat went to the next person waiting."))
    booking.status = BookingStatus.PENDING if space.needs_approval else BookingStatus.CONFIRMED
    booking.lapses_at = _claim_deadline(space, booking.start_at)
    if booking.lapses_at is not None and booking.lapses_at <= now:
        booking.lapses_at = now + timedelta(minutes=15)  # a late start still gets a moment
    live.availability_changed(space.id, booking.start_at, booking.end_at)
    return booking


# --- waitlist ------------------------------------------------------------------------------


def join_waitlist(actor: Member, space: Space, data: dict[str, Any]) -> WaitlistEntry:
    """Wait for seats in a full slot; offered in arrival order when seats free up."""
    now = utcnow()
    request = _request(actor, {**data, "space_id": space.id, "recurrence": None}, now, lock=True)
    occurrence = request.occurrences[0]
    if occurrence.reason not in (None, "full"):
        raise Invalid(fields={"start": occurrence.message})
    if occurrence.reason is None:
        raise Conflict(_l("This slot has free seats: book it directly."))
    exists = db.session.scalar(
        select(WaitlistEntry).where(
            WaitlistEntry.space_id == space.id,
            WaitlistEntry.member_id == request.member.id,
            WaitlistEntry.status == WaitStatus.WAITING,
            WaitlistEntry.start_at == occurrence.start_at,
            WaitlistEntry.end_at == occurrence.end_at,
        )
    )
    if exists:
        return exists
    entry = WaitlistEntry(
        space_id=space.id,
        member_id=request.member.id,
        start_at=occurrence.start_at,
        end_at=occurrence.end_at,
        seats=request.seats,
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def leave_waitlist(actor: Member, entry_id: Any) -> None:
    entry = db.session.get(WaitlistEntry, entry_id) if is_id(entry_id) else None
    if entry is None or entry.member_id != actor.id:
        raise NotFound(_l("You are not waiting for this slot."))
    entry.status = WaitStatus.WITHDRAWN


def _offer_freed(space: Space, start: datetime, end: datetime, now: datetime) -> list[Booking]:
    """Offer freed seats to the first waiting members whose slot now fits (space locked)."""
    waiting = list(
        db.session.scalars(
            select(WaitlistEntry)
            .where(
                WaitlistEntry.space_id == space.id,
                WaitlistEntry.status == WaitStatus.WAITING,
                WaitlistEntry.start_at < end,
                WaitlistEntry.end_at > start,
                WaitlistEntry.start_at > now,
            )
            .order_by(WaitlistEntry.created_at, WaitlistEntry.id)
        )
    )
    offers = []
    delay = timedelta(minutes=current_settings()["workspaces_offer_minutes"])
    for entry in waiting:
        holdings = queries.held([space.id], entry.start_at, entry.end_at, now)[space.id]
        if queries.peak(holdings, entry.start_at, entry.end_at) + entry.seats > space.capacity:
            continue
        booking = Booking(
            space_id=space.id,
            member_id=entry.member_id,
            created_by_id=None,
            start_at=entry.start_at,
            end_at=entry.end_at,
            seats=entry.seats,
            status=BookingStatus.OFFERED,
            lapses_at=min(now + delay, entry.start_at),
        )
        db.session.add(booking)
        db.session.flush()
        entry.status = WaitStatus.OFFERED
        entry.booking_id = booking.id
        booking.space = space
        text = _l(
            "A seat freed up in %(space)s on %(when)s: confirm it before %(deadline)s.",
            space=space.name,
            when=_when(booking),
            deadline=LazyString(lambda at=booking.lapses_at: format_datetime(at, "HH:mm")),
        )
        _notify(booking, "waitlist_offer", text, None)
        offers.append(booking)
    return offers


# --- release and reminders (CLI, and settled lazily on each booking write) -----------------


def _settle(space: Space, now: datetime) -> list[Booking]:
    """Mark the space's lapsed bookings released and offer their seats (space locked)."""
    lapsed = list(
        db.session.scalars(
            select(Booking).where(
                Booking.space_id == space.id,
                Booking.status.in_(HOLDING),
                Booking.lapses_at.is_not(None),
                Booking.lapses_at <= now,
                Booking.end_at > now - queries.MAX_SPAN,
            )
        )
    )
    for booking in lapsed:
        booking.status = BookingStatus.RELEASED
        booking.lapses_at = None
    if lapsed:
        db.session.flush()
        for booking in lapsed:
            if booking.end_at > now:
                _offer_freed(space, booking.start_at, booking.end_at, now)
                live.availability_changed(space.id, booking.start_at, booking.end_at)
    return lapsed


def release_unclaimed(now: datetime | None = None) -> int:
    """Release every lapsed booking (unclaimed desks, expired offers); return how many."""
    now = now or utcnow()
    space_ids = set(
        db.session.scalars(
            select(Booking.space_id).where(
                Booking.status.in_(HOLDING),
                Booking.lapses_at.is_not(None),
                Booking.lapses_at <= now,
            )
        )
    )
    released = 0
    for space_id in sorted(space_ids):
        released += len(_settle(_lock_space(space_id), now))
    return released


def send_reminders(now: datetime | None = None) -> int:
    """Remind members of bookings starting within the reminder delay (once each)."""
    now = now or utcnow()
    ahead = timedelta(minutes=current_settings()["workspaces_reminder_minutes"])
    due = list(
        db.session.scalars(
            select(Booking).where(
                Booking.status == BookingStatus.CONFIRMED,
                Booking.reminded_at.is_(None),
                Booking.start_at > now,
                Booking.start_at <= now + ahead,
            )
        )
    )
    for booking in due:
        booking.reminded_at = now
        text = _l(
            "Reminder: %(space)s is booked for you on %(when)s.",
            space=booking.space.name,
            when=_when(booking),
        )
        _notify(booking, "booking_reminder", text, None)
    return len(due)


# --- preferences and calendars -------------------------------------------------------------


def preference_for(member: Member) -> WorkspacePreference:
    preference = db.session.get(WorkspacePreference, member.id)
    if preference is None:
        preference = WorkspacePreference(member_id=member.id, show_presence=False)
        db.session.add(preference)
        db.session.flush()
    return preference


def set_presence(member: Member, show: bool) -> WorkspacePreference:
    """Show or hide the member in "who's here today" (a dated consent, revocable)."""
    from network.core.consent import Purpose, record_consent

    preference = preference_for(member)
    preference.show_presence = bool(show)
    if record_consent(member.id, Purpose.PRESENCE, bool(show), recorded_by_id=member.id):
        audit.record(
            db.session,
            "consent_changed",
            actor_id=member.id,
            subject_id=member.id,
            purpose=Purpose.PRESENCE.value,
            granted=bool(show),
        )
    return preference


def regenerate_calendar(member: Member) -> WorkspacePreference:
    """A new private feed URL; the old one stops working."""
    preference = preference_for(member)
    preference.calendar_version = (preference.calendar_version or 1) + 1
    return preference


def calendar_token(member_id: int, version: int) -> str:
    import hashlib
    import hmac

    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"workspaces-ics:{member_id}:{version}".encode(), hashlib.sha256)
    return f"{member_id}-{version}-{digest.hexdigest()[:32]}"


def member_for_calendar(token: str) -> Member | None:
    import hmac

    parts = token.split("-")
    if len(parts) != 3 or len(token) > 80:
        return None
    member_id, version = parse_id(parts[0]), parse_id(parts[1])
    if member_id is None or version is None:
        return None
    preference = db.session.get(WorkspacePreference, member_id)
    current = preference.calendar_version if preference else 1
    if version != current or not hmac.compare_digest(token, calendar_token(member_id, version)):
        return None
    member = db.session.get(Member, member_id)
    return member if member is not None and member.is_active else None


def cancellable(bookings: Iterable[Booking]) -> list[Booking]:
    now = utcnow()
    return [b for b in bookings if b.is_holding and b.end_at > now]
