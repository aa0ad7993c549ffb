"""/api/v1 routes of the workspaces: spaces, availability, bookings, waitlist."""

from datetime import datetime, timedelta
from typing import Any

from flask import request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from network.api.core import FLAG, bp, doc, json_body, limit_param, query_param
from network.cooperative.times import iso, local_zone, parse_date, parse_time, to_local
from network.core.client_ids import CLIENT_ID_SCHEMA
from network.core.errors import Invalid
from network.core.http import problem
from network.core.ids import ID_SCHEMA, parse_id
from network.core.pagination import decode_cursor, encode_cursor, parse_limit
from network.core.permissions import is_staff
from network.extensions import db
from network.workspaces import operations, queries
from network.workspaces.models import Booking, Space, WaitlistEntry
from network.workspaces.operations import BookingConflict

INTEGER = {"type": "integer"}
STRING = {"type": "string"}
TIME = {"type": "string", "format": "date-time"}
SLOT = {"type": "object", "properties": {"start": TIME, "end": TIME}}
SPACE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": INTEGER,
        "name": STRING,
        "kind": {
            "type": "string",
            "enum": ["desk_area", "meeting_room", "workshop_room", "equipment"],
        },
        "site": {"type": "object", "properties": {"id": INTEGER, "name": STRING}},
        "description": STRING,
        "capacity": INTEGER,
        "equipment": {"type": "array", "items": STRING},
        "photo_url": {"type": ["string", "null"]},
        "opening_hours": {
            "type": "object",
            "description": "weekday (0 = Monday) → [open, close] minutes",
        },
        "granularity": {"type": "string", "enum": ["slots", "half_days", "days"]},
        "slot_minutes": INTEGER,
        "min_minutes": INTEGER,
        "max_minutes": INTEGER,
        "max_days_ahead": INTEGER,
        "needs_approval": {"type": "boolean"},
        "check_in_required": {"type": "boolean"},
        "rules": {
            "type": "array",
            "items": STRING,
            "description": "the booking rules in words, in the reader's language",
        },
        "closures": {"type": "array", "items": {"type": "object"}},
        "url": STRING,
    },
}
BOOKING_SCHEMA = {
    "type": "object",
    "properties": {
        "id": INTEGER,
        "space_id": INTEGER,
        "space": STRING,
        "member_id": INTEGER,
        "series_id": {"type": ["integer", "null"]},
        "start": TIME,
        "end": TIME,
        "seats": INTEGER,
        "status": {
            "type": "string",
            "enum": ["pending", "confirmed", "offered", "declined", "cancelled", "released"],
        },
        "holding": {"type": "boolean"},
        "lapses_at": {"type": ["string", "null"], "format": "date-time"},
        "checked_in_at": {"type": ["string", "null"], "format": "date-time"},
        "title": STRING,
        "url": STRING,
        "ics_url": {
            "type": ["string", "null"],
            "description": "null once the booking no longer holds its seats (cancelled…)",
        },
        "can_check_in": {"type": "boolean", "description": "the reader may check in now"},
        "can_cancel": {"type": "boolean", "description": "the reader may cancel it"},
    },
}
OCCURRENCE_SCHEMA = {
    "type": "object",
    "properties": {
        "start": TIME,
        "end": TIME,
        "reason": {
            "type": ["string", "null"],
            "enum": [None, "full", "quota", "closed", "closure", "past", "too_far"],
        },
        "message": {"type": ["string", "null"]},
        "free_seats": {"type": ["integer", "null"]},
        "suggestions": {"type": "array", "items": SLOT},
        "busy": {"type": "array", "items": SLOT, "description": "the booked ranges in the way"},
    },
}


def _minutes(low: int, high: int) -> dict[str, Any]:
    return {"type": "integer", "minimum": low, "maximum": high}


#: The fields of a space as `operations._space_fields` reads them (creation and changes).
SPACE_REQUEST: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 120},
        "kind": SPACE_SCHEMA["properties"]["kind"],
        "site_id": ID_SCHEMA,
        "description": {"type": "string", "maxLength": 4000},
        "equipment": {"type": "array", "items": {"type": "string", "maxLength": 80}},
        "capacity": {"type": "integer", "minimum": 1, "maximum": operations.MAX_SEATS},
        "granularity": SPACE_SCHEMA["properties"]["granularity"],
        "slot_minutes": {**_minutes(5, 240), "description": "divides the day evenly"},
        "midday_minutes": _minutes(60, 23 * 60),
        "min_minutes": _minutes(5, 24 * 60),
        "max_minutes": _minutes(5, 24 * 60),
        "max_days_ahead": {"type": "integer", "minimum": 1, "maximum": 730},
        "needs_approval": {"type": "boolean"},
        "check_in_required": {"type": "boolean"},
        "is_active": {"type": "boolean"},
        "opening_hours": {
            "type": "object",
            "description": 'weekday (0 = Monday) → [open, close] minutes or "08:00-19:00"',
            "propertyNames": {"enum": [str(d) for d in range(7)]},
        },
    },
}
BOOKING_REQUEST = {
    "type": "object",
    "required": ["space_id", "start", "end"],
    "properties": {
        "space_id": INTEGER,
        "start": {"type": "string", "description": "ISO 8601; without offset: cooperative time"},
        "end": {"type": "string"},
        "seats": INTEGER,
        "title": STRING,
        "recurrence": {
            "type": "object",
            "properties": {
                "freq": {"type": "string", "enum": ["daily", "weekly"]},
                "days": {"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 6}},
                "until": {"type": "string", "format": "date"},
                "count": INTEGER,
            },
        },
        "on_conflict": {"type": "string", "enum": ["fail", "skip"]},
        "preview": {"type": "boolean"},
        "member_id": {"type": "integer", "description": "staff: book for this member"},
        "override": {"type": "boolean", "description": "staff: set the rules aside (audited)"},
        "client_id": CLIENT_ID_SCHEMA,
    },
}
WAIT_SCHEMA = {
    "type": "object",
    "properties": {
        "id": INTEGER,
        "space_id": INTEGER,
        "start": TIME,
        "end": TIME,
        "seats": INTEGER,
        "status": STRING,
        "position": INTEGER,
    },
}


def _conflict_problem(error: BookingConflict):
    from network.extensions import db as database

    database.session.rollback()
    response = problem(409, error.message)
    body = response.get_json()
    body["conflicts"] = [occurrence_json(c) for c in error.conflicts]
    body["suggestions"] = [_slot_json(s) for s in error.suggestions]
    response.set_data(response.json_module.dumps(body))  # type: ignore[attr-defined]
    return response


bp.register_error_handler(BookingConflict, _conflict_problem)


def _slot_json(slot: dict[str, Any]) -> dict[str, str]:
    return {"start": iso(slot["start"]), "end": iso(slot["end"])}


def occurrence_json(occurrence: dict[str, Any]) -> dict[str, Any]:
    return {
        "start": iso(occurrence["start"]),
        "end": iso(occurrence["end"]),
        "reason": occurrence["reason"],
        "message": str(occurrence["message"]) if occurrence["message"] is not None else None,
        "free_seats": occurrence["free_seats"],
        "suggestions": [_slot_json(s) for s in occurrence["suggestions"]],
        "busy": [_slot_json(s) for s in occurrence.get("busy", [])],
    }


def space_json(space: Space) -> dict[str, Any]:
    from network.core.images import image_url

    return {
        "id": space.id,
        "name": space.name,
        "kind": space.kind.value,
        "site": {"id": space.site.id, "name": space.site.name},
        "description": space.description,
        "capacity": space.capacity,
        "equipment": list(space.equipment or []),
        "photo_url": image_url(space.photo_key, "card"),
        "opening_hours": space.opening_hours,
        "granularity": space.granularity.value,
        "slot_minutes": space.slot_minutes,
        "min_minutes": space.min_minutes,
        "max_minutes": space.max_minutes,
        "max_days_ahead": space.max_days_ahead,
        "needs_approval": space.needs_approval,
        "check_in_required": space.check_in_required,
        "rules": [str(rule) for rule in operations.rules_of(space)],
        "closures": [
            {
                "id": c.id,
                "starts_on": c.starts_on.isoformat(),
                "ends_on": c.ends_on.isoformat(),
                "reason": c.reason,
            }
            for c in space.closures
        ],
        "url": url_for("workspaces.space", space_id=space.id),
    }


def booking_json(booking: Booking) -> dict[str, Any]:
    return {
        "id": booking.id,
        "space_id": booking.space_id,
        "space": booking.space.name,
        "member_id": booking.member_id,
        "series_id": booking.series_id,
        "start": iso(booking.start_at),
        "end": iso(booking.end_at),
        "seats": booking.seats,
        "status": booking.status.value,
        "holding": booking.is_holding,
        "lapses_at": iso(booking.lapses_at) if booking.lapses_at else None,
        "checked_in_at": iso(booking.checked_in_at) if booking.checked_in_at else None,
        "title": booking.title,
        "url": url_for("workspaces.booking", booking_id=booking.id),
        "ics_url": url_for("workspaces.booking_ics", booking_id=booking.id)
        if booking.is_holding
        else None,
        "can_check_in": operations.may_check_in(current_user, booking),
        "can_cancel": operations.may_cancel(current_user, booking),
    }


def _range_start(name: str, default: datetime) -> datetime:
    raw = request.args.get(name)
    if not raw:
        return default
    if len(raw) == 10:  # a date: its local midnight
        from network.cooperative.times import at_minutes

        return at_minutes(parse_date(raw, name), 0)
    return parse_time(raw, name)


@bp.get("/spaces")
@doc(
    "Bookable spaces (active ones), by site and name",
    params=[
        query_param("site_id", "Only this site's spaces", ID_SCHEMA),
        query_param("kind", "Only spaces of this kind", SPACE_SCHEMA["properties"]["kind"]),
    ],
    response={"type": "object", "properties": {"items": {"type": "array", "items": SPACE_SCHEMA}}},
)
def list_spaces():
    site = request.args.get("site_id", "")
    spaces = queries.active_spaces(parse_id(site))
    kind = request.args.get("kind")
    return {"items": [space_json(s) for s in spaces if not kind or s.kind.value == kind]}


@bp.post("/spaces")
@doc(
    "Create a space (staff)",
    status=201,
    request_schema=SPACE_REQUEST | {"required": ["name", "site_id"]},
    response=SPACE_SCHEMA,
    errors=(403, 422),
)
def create_space():
    space = operations.create_space(current_user, json_body())
    db.session.commit()
    return space_json(space), 201


@bp.get("/spaces/<int:space_id>")
@doc("A space with its rules and closures", response=SPACE_SCHEMA, errors=(404,))
def get_space(space_id: int):
    return space_json(operations.get_space(space_id))


@bp.patch("/spaces/<int:space_id>")
@doc(
    "Change a space's description or rules (staff)",
    request_schema=SPACE_REQUEST,
    response=SPACE_SCHEMA,
    errors=(403, 404, 422),
)
def update_space(space_id: int):
    space = operations.get_space(space_id, inactive_too=True)
    operations.update_space(current_user, space, json_body())
    db.session.commit()
    return space_json(space)


@bp.get("/spaces/<int:space_id>/availability")
@doc(
    "Free seats per bookable slot between from and to (at most 31 days)",
    params=[
        query_param("from", "ISO 8601 date or date-time (default: today)"),
        query_param("to", "ISO 8601 date or date-time (default: from + 7 days)"),
    ],
    response={
        "type": "object",
        "properties": {
            "space_id": INTEGER,
            "capacity": INTEGER,
            "timezone": STRING,
            "slots": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "start": TIME,
                        "end": TIME,
                        "free": INTEGER,
                        "past": {"type": "boolean"},
                    },
                },
            },
        },
    },
    errors=(404, 422),
)
def space_availability(space_id: int):
    from network.cooperative import cooperative_today
    from network.cooperative.times import at_minutes

    space = operations.get_space(space_id)
    start = _range_start("from", at_minutes(cooperative_today(), 0))
    end = _range_start("to", start + timedelta(days=7))
    if end <= start:
        raise Invalid(fields={"to": _l("The end of the range comes before its start.")})
    if end - start > timedelta(days=31):
        raise Invalid(fields={"to": _l("Ask for 31 days at most.")})
    first_day = to_local(start).date()
    days = (to_local(end).date() - first_day).days + 1
    grid = queries.availability([space], first_day, days)[space.id]
    slots = [
        {"start": iso(s.start_at), "end": iso(s.end_at), "free": s.free, "past": s.past}
        for column in grid
        for s in column.slots
        if s.start_at < end and s.end_at > start
    ]
    return {
        "space_id": space.id,
        "capacity": space.capacity,
        "timezone": str(local_zone()),
        "slots": slots,
    }


@bp.post("/bookings")
@doc(
    "Book a space (optionally recurring); 409 lists the conflicts and the nearest free slots; "
    "sending again with the same client_id returns the bookings it made",
    status=201,
    request_schema=BOOKING_REQUEST,
    response={
        "type": "object",
        "properties": {
            "bookings": {"type": "array", "items": BOOKING_SCHEMA},
            "skipped": {"type": "array", "items": OCCURRENCE_SCHEMA},
            "occurrences": {
                "type": "array",
                "items": OCCURRENCE_SCHEMA,
                "description": "with preview: true (answered 200, nothing booked)",
            },
        },
    },
    also={
        200: "preview: true: the occurrences it would book, nothing booked; or already sent "
        "with this client_id: the bookings it made, as they are (skipped empty)"
    },
    errors=(403, 404, 409, 422),
)
def create_booking():
    data = json_body()
    if data.get("preview") is True:
        plan = operations.preview_booking(current_user, data)
        db.session.rollback()
        occurrences = [operations._occurrence_json(o) for o in plan.occurrences]
        return {"occurrences": [occurrence_json(o) for o in occurrences]}, 200
    bookings, skipped, created = operations.submit_booking(current_user, data)
    db.session.commit()
    return {
        "bookings": [booking_json(b) for b in bookings],
        "skipped": [occurrence_json(operations._occurrence_json(o)) for o in skipped],
    }, 201 if created else 200


@bp.get("/bookings")
@doc(
    "My bookings (or, for staff with mine=0, everyone's), by start, overlapping from–to",
    params=[
        query_param(
            "mine",
            "1 (default): mine; 0: everyone's (staff)",
            FLAG,
        ),
        query_param("from", "ISO 8601 date or date-time"),
        query_param("to", "ISO 8601 date or date-time"),
        query_param("space_id", "Only this space", ID_SCHEMA),
        query_param("cursor", "The next_cursor of the previous page"),
        limit_param(50, 200),
    ],
    response={
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": BOOKING_SCHEMA},
            "next_cursor": {"type": ["string", "null"]},
        },
    },
    errors=(422,),
)
def list_bookings():
    mine = request.args.get("mine", "1") != "0" or not is_staff(current_user)
    start = _range_start("from", None) if request.args.get("from") else None  # type: ignore[arg-type]
    end = _range_start("to", None) if request.args.get("to") else None  # type: ignore[arg-type]
    limit = parse_limit(request.args.get("limit"), 50, 200)
    space = request.args.get("space_id", "")
    cursor = decode_cursor(request.args.get("cursor"), (str, int))
    after = (parse_time(cursor[0], "cursor"), cursor[1]) if cursor else None
    bookings = queries.bookings_of(
        current_user.id if mine else None,
        start,
        end,
        space_id=parse_id(space),
        after=after,
        limit=limit + 1,
    )
    more = len(bookings) > limit
    bookings = bookings[:limit]
    next_cursor = (
        encode_cursor([bookings[-1].start_at.isoformat(), bookings[-1].id]) if more else None
    )
    return {"items": [booking_json(b) for b in bookings], "next_cursor": next_cursor}


@bp.get("/bookings/<int:booking_id>")
@doc("One of my bookings (staff: any)", response=BOOKING_SCHEMA, errors=(404,))
def get_booking(booking_id: int):
    return booking_json(operations.visible_booking(current_user, booking_id))


@bp.delete("/bookings/<int:booking_id>")
@doc(
    "Cancel a booking; scope=future cancels its series from it on, scope=range the series' "
    "occurrences between from and to (dates)",
    params=[
        query_param(
            "scope",
            "one (default), future or range",
            {"type": "string", "enum": ["one", "future", "range"], "default": "one"},
        ),
        query_param("from", "range: first local date"),
        query_param("to", "range: last local date (included)"),
    ],
    response={"type": "object", "properties": {"cancelled": {"type": "array", "items": INTEGER}}},
    errors=(404, 409, 422),
)
def cancel_booking(booking_id: int):
    booking = operations.visible_booking(current_user, booking_id)
    cancelled = operations.cancel_booking(
        current_user,
        booking,
        request.args.get("scope", "one"),
        request.args.get("from"),
        request.args.get("to"),
    )
    ids = [b.id for b in cancelled]
    db.session.commit()
    return {"cancelled": ids}


@bp.post("/bookings/<int:booking_id>/check-in")
@doc(
    "Check in: I am here (keeps a desk from being released)",
    response=BOOKING_SCHEMA,
    errors=(404, 409),
)
def check_in_booking(booking_id: int):
    booking = operations.check_in(
        current_user, operations.visible_booking(current_user, booking_id)
    )
    db.session.commit()
    return booking_json(booking)


@bp.post("/bookings/<int:booking_id>/confirm")
@doc(
    "Take a seat offered from the waitlist, before the offer lapses",
    response=BOOKING_SCHEMA,
    errors=(404, 409),
)
def confirm_booking(booking_id: int):
    booking = operations.visible_booking(current_user, booking_id)
    operations.confirm_offer(current_user, booking)
    db.session.commit()
    return booking_json(booking)


@bp.post("/bookings/<int:booking_id>/approve")
@doc("Approve a pending booking (staff)", response=BOOKING_SCHEMA, errors=(403, 404, 409))
def approve_booking(booking_id: int):
    booking = operations.visible_booking(current_user, booking_id)
    operations.decide_booking(current_user, booking, True)
    db.session.commit()
    return booking_json(booking)


@bp.post("/bookings/<int:booking_id>/decline")
@doc("Decline a pending booking (staff)", response=BOOKING_SCHEMA, errors=(403, 404, 409))
def decline_booking(booking_id: int):
    booking = operations.visible_booking(current_user, booking_id)
    operations.decide_booking(current_user, booking, False)
    db.session.commit()
    return booking_json(booking)


def wait_json(entry: WaitlistEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "space_id": entry.space_id,
        "start": iso(entry.start_at),
        "end": iso(entry.end_at),
        "seats": entry.seats,
        "status": entry.status.value,
        "booking_id": entry.booking_id,
    }


@bp.post("/spaces/<int:space_id>/waitlist")
@doc(
    "Wait for seats in a full slot; the first waiting member is offered freed seats",
    status=201,
    request_schema={
        "type": "object",
        "required": ["start", "end"],
        "properties": {"start": STRING, "end": STRING, "seats": INTEGER},
    },
    response=WAIT_SCHEMA,
    errors=(404, 409, 422),
)
def join_waitlist(space_id: int):
    entry = operations.join_waitlist(current_user, operations.get_space(space_id), json_body())
    db.session.commit()
    return wait_json(entry), 201


@bp.delete("/waitlist/<int:entry_id>")
@doc("Stop waiting for a slot", status=204, errors=(404,))
def leave_waitlist(entry_id: int):
    operations.leave_waitlist(current_user, entry_id)
    db.session.commit()
    return "", 204
