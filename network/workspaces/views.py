"""Workspace pages: the day view across spaces, a space's week grid, booking in two clicks
(plain forms; static/js/workspaces.js keeps the grids live), my bookings, calendars, and the
staff's management of sites, spaces, closures and approvals."""

from datetime import date, datetime, timedelta
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from network.cooperative import cooperative_today
from network.cooperative.times import hhmm, minutes_of, parse_date, to_local
from network.core.errors import DomainError, NotFound
from network.core.forms import flash_error, invalid_form
from network.core.ids import parse_id
from network.core.models import utcnow
from network.core.permissions import is_staff, require_staff
from network.extensions import db
from network.workspaces import calendar, dayview, operations, queries
from network.workspaces.models import (
    GRANULARITY_LABELS,
    KIND_LABELS,
    STATUS_LABELS,
    BookingStatus,
    Granularity,
    Space,
)
from network.workspaces.operations import BookingConflict

bp = Blueprint("workspaces", __name__, url_prefix="/workspaces")
PUBLIC = {"workspaces.member_calendar"}
WEEKDAYS = range(7)


@bp.before_request
def _members_only():
    if request.endpoint in PUBLIC:
        return None
    return login_required(lambda: None)()


@bp.app_template_filter("hhmm")
def _hhmm(minutes: int) -> str:
    return hhmm(minutes)


@bp.app_template_filter("local")
def _local(moment, fmt: str = "%H:%M") -> str:
    return to_local(moment).strftime(fmt) if moment else ""


def _day_arg(name: str = "date") -> date:
    raw = request.args.get(name)
    if not raw:
        return cooperative_today()
    try:
        return parse_date(raw, name)
    except DomainError:
        raise NotFound() from None


def _common() -> dict[str, Any]:
    return {
        "KIND_LABELS": KIND_LABELS,
        "STATUS_LABELS": STATUS_LABELS,
        "GRANULARITY_LABELS": GRANULARITY_LABELS,
        "BookingStatus": BookingStatus,
        "now": utcnow(),
        "today": cooperative_today(),
    }


@bp.get("")
def index():
    day = _day_arg()
    sites = queries.sites()
    site_id = parse_id(request.args.get("site", ""))
    groups = dayview.groups(queries.space_summaries(site_id, day, day), day)
    today = cooperative_today()
    here = queries.here_today([s.id for s in sites if site_id in (None, s.id)], today)
    return render_template(
        "workspaces/index.html",
        day=day,
        one_day=timedelta(days=1),
        sites=sites,
        site_id=site_id,
        groups=groups,
        here=here,
        **_common(),
    )


@bp.get("/spaces/<int:space_id>/day")
def day_row(space_id: int):
    """One space's row of the day view, for static/js/workspaces.js to refresh it live."""
    found = operations.get_space(space_id)
    return render_template("workspaces/day_row.html", rows=[dayview.one_row(found, _day_arg())])


@bp.get("/spaces/<int:space_id>")
def space(space_id: int):
    found = operations.get_space(space_id)
    monday = queries.week_start(_day_arg("week"))
    columns = queries.availability([found], monday, 7)[found.id]
    starts = sorted({to_local(s.start_at).strftime("%H:%M") for c in columns for s in c.slots})
    rows = []
    for label in starts:
        cells = []
        for column in columns:
            match = next(
                (s for s in column.slots if to_local(s.start_at).strftime("%H:%M") == label), None
            )
            cells.append((column, match))
        rows.append((label, cells))
    return render_template(
        "workspaces/space.html",
        space=found,
        rules=operations.rules_of(found),
        monday=monday,
        columns=columns,
        rows=rows,
        previous_week=monday - timedelta(days=7),
        next_week=monday + timedelta(days=7),
        **_common(),
    )


def _form_data(space: Space) -> dict[str, Any]:
    form = request.form
    data: dict[str, Any] = {
        "space_id": space.id,
        "start": form.get("start", ""),
        "end": form.get("end", "") or _end_of(form.get("start", ""), form.get("duration", "")),
        "seats": form.get("seats", "1") or "1",
        "title": form.get("title", ""),
        "on_conflict": form.get("on_conflict", "fail"),
        "client_id": form.get("client_id"),
    }
    repeat = form.get("repeat", "")
    if repeat in ("daily", "weekly"):
        rule: dict[str, Any] = {"freq": repeat}
        days = [int(d) for d in form.getlist("days") if d in {str(n) for n in WEEKDAYS}]
        if days:
            rule["days"] = days
        if form.get("until"):
            rule["until"] = form["until"]
        count = form.get("count", "")
        if count:
            rule["count"] = (
                int(count) if count.isascii() and count.isdigit() and len(count) < 7 else -1
            )
        data["recurrence"] = rule
    elif repeat:
        data["recurrence"] = {"freq": repeat}
    if is_staff(current_user):
        if form.get("member_id"):
            data["member_id"] = form["member_id"]
        if form.get("override"):
            data["override"] = True
    return data


def _local_moment(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.strip()[:16])
    except ValueError:
        return None


def _end_of(start: str, duration: str) -> str:
    """The end a duration picked in minutes gives (local ISO text), "" when it cannot say:
    the operations then explain what is missing."""
    begin = _local_moment(start)
    if begin is None or not (duration.isascii() and duration.isdigit() and len(duration) < 5):
        return ""
    return (begin + timedelta(minutes=int(duration))).isoformat(timespec="minutes")


def _book_context(space: Space, values: Any, **extra: Any) -> dict[str, Any]:
    begin = _local_moment(str(values.get("start", "")))
    return {
        "space": space,
        "values": values,
        "rules": operations.rules_of(space, begin.date() if begin else None),
        "durations": operations.durations_of(space),
        **_common(),
        **extra,
    }


@bp.get("/spaces/<int:space_id>/book")
def book(space_id: int):
    found = operations.get_space(space_id)
    values = {
        "start": request.args.get("start", "")[:16],
        "end": request.args.get("end", "")[:16],
        "seats": "1",
    }
    begin, end = _local_moment(values["start"]), _local_moment(values["end"])
    if begin and not end:  # a link of the day view: the unit starting then
        unit = next(
            (u for u in queries.units_of_day(found, begin.date()) if u[0] == minutes_of(begin)),
            None,
        )
        if unit and found.granularity != Granularity.SLOTS:
            end = datetime.combine(begin.date(), datetime.min.time()) + timedelta(minutes=unit[1])
            values["end"] = end.isoformat(timespec="minutes")
    durations = [minutes for minutes, _label in operations.durations_of(found)]
    if begin and end and int((end - begin).total_seconds() // 60) in durations:
        values["duration"], values["end"] = str(int((end - begin).total_seconds() // 60)), ""
    return render_template("workspaces/book.html", errors={}, **_book_context(found, values))


@bp.post("/spaces/<int:space_id>/book")
def book_post(space_id: int):
    found = operations.get_space(space_id)
    data = _form_data(found)
    try:
        if data.get("recurrence") and request.form.get("confirm") != "1":
            plan = operations.preview_booking(current_user, data)
            db.session.rollback()
            return render_template(
                "workspaces/preview.html",
                errors={},
                plan=plan,
                form=request.form,
                **_book_context(found, request.form),
            )
        bookings, skipped, _created = operations.submit_booking(current_user, data)
    except BookingConflict as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return (
            render_template(
                "workspaces/book.html",
                errors={},
                conflicts=error.conflicts,
                suggestions=error.suggestions,
                **_book_context(found, request.form),
            ),
            409,
        )
    except DomainError as error:
        return invalid_form("workspaces/book.html", error, **_book_context(found, request.form))
    db.session.commit()
    if skipped:
        flash(
            _(
                "%(count)s bookings made; %(skipped)s skipped.",
                count=len(bookings),
                skipped=len(skipped),
            ),
            "success",
        )
    elif bookings[0].status == BookingStatus.PENDING:
        flash(_("Your booking waits for the support team's approval."), "success")
    else:
        flash(_("Booked: %(space)s.", space=found.name), "success")
    return redirect(url_for("workspaces.my_bookings"))


@bp.post("/spaces/<int:space_id>/waitlist")
def waitlist_post(space_id: int):
    found = operations.get_space(space_id)
    try:
        operations.join_waitlist(
            current_user,
            found,
            {
                "start": request.form.get("start"),
                "end": request.form.get("end"),
                "seats": request.form.get("seats", "1"),
            },
        )
    except DomainError as error:
        db.session.rollback()
        flash_error(error)
        return redirect(url_for("workspaces.space", space_id=found.id))
    db.session.commit()
    flash(_("You are on the waitlist: we will offer you the seat if one frees up."), "success")
    return redirect(url_for("workspaces.my_bookings"))


@bp.post("/waitlist/<int:entry_id>/leave")
def waitlist_leave(entry_id: int):
    operations.leave_waitlist(current_user, entry_id)
    db.session.commit()
    flash(_("You left the waitlist."), "success")
    return redirect(url_for("workspaces.my_bookings"))


@bp.get("/bookings")
def my_bookings():
    now = utcnow()
    upcoming = queries.bookings_of(current_user.id, now, None, limit=200)
    preference = queries.preference_of(current_user.id)
    version = preference.calendar_version if preference else 1
    feed = url_for(
        "workspaces.member_calendar",
        token=operations.calendar_token(current_user.id, version),
        _external=True,
    )
    shown = [b for b in upcoming if b.is_holding]
    return render_template(
        "workspaces/bookings.html",
        upcoming=shown,
        check_in={b.id for b in shown if operations.may_check_in(current_user, b, now)},
        webcal="webcal://" + feed.split("://", 1)[1],
        waiting=queries.waitlist_of(current_user.id, now),
        show_presence=bool(preference and preference.show_presence),
        feed=feed,
        **_common(),
    )


@bp.get("/bookings/<int:booking_id>")
def booking(booking_id: int):
    found = operations.visible_booking(current_user, booking_id)
    return render_template(
        "workspaces/booking.html",
        booking=found,
        may_check_in=operations.may_check_in(current_user, found),
        may_cancel=operations.may_cancel(current_user, found),
        **_common(),
    )


@bp.get("/bookings/<int:booking_id>/cancel")
def cancel_confirm(booking_id: int):
    """Are you sure? The page the "Cancel" buttons of my bookings lead to without JavaScript
    (with it, static/js/workspaces.js asks in a dialog and posts the same form)."""
    found = operations.visible_booking(current_user, booking_id)
    if not operations.may_cancel(current_user, found):
        flash(_("This booking is already cancelled or over."), "error")
        return redirect(url_for("workspaces.booking", booking_id=found.id))
    return render_template("workspaces/cancel.html", booking=found, **_common())


def _after_action(booking_id: int, message: str):
    """Commit, say so, and go back where the member acted: my bookings or the booking."""
    db.session.commit()
    flash(message, "success")
    if request.form.get("next") == "bookings":
        return redirect(url_for("workspaces.my_bookings"))
    return redirect(url_for("workspaces.booking", booking_id=booking_id))


def _flash_error(error: DomainError, booking_id: int):
    db.session.rollback()
    flash_error(error)
    return redirect(url_for("workspaces.booking", booking_id=booking_id))


@bp.post("/bookings/<int:booking_id>/cancel")
def cancel(booking_id: int):
    found = operations.visible_booking(current_user, booking_id)
    try:
        cancelled = operations.cancel_booking(
            current_user,
            found,
            request.form.get("scope", "one"),
            request.form.get("from"),
            request.form.get("to"),
        )
    except DomainError as error:
        return _flash_error(error, booking_id)
    return _after_action(booking_id, _("%(count)s booking(s) cancelled.", count=len(cancelled)))


@bp.post("/bookings/<int:booking_id>/check-in")
def check_in(booking_id: int):
    found = operations.visible_booking(current_user, booking_id)
    try:
        operations.check_in(current_user, found)
    except DomainError as error:
        return _flash_error(error, booking_id)
    return _after_action(booking_id, _("Checked in: welcome!"))


@bp.post("/bookings/<int:booking_id>/confirm")
def confirm(booking_id: int):
    found = operations.visible_booking(current_user, booking_id)
    try:
        operations.confirm_offer(current_user, found)
    except DomainError as error:
        return _flash_error(error, booking_id)
    return _after_action(booking_id, _("The seat is yours."))


@bp.post("/bookings/<int:booking_id>/decide")
def decide(booking_id: int):
    found = operations.visible_booking(current_user, booking_id)
    try:
        operations.decide_booking(current_user, found, request.form.get("decision") == "approve")
    except DomainError as error:
        return _flash_error(error, booking_id)
    db.session.commit()
    flash(_("Decision recorded; the member is notified."), "success")
    return redirect(
        request.form.get("next") == "manage"
        and url_for("workspaces.manage")
        or url_for("workspaces.booking", booking_id=booking_id)
    )


@bp.post("/preferences")
def preferences():
    if request.form.get("action") == "regenerate":
        operations.regenerate_calendar(current_user)
        message = _("Your calendar link changed: the old one no longer works.")
    else:
        operations.set_presence(current_user, request.form.get("show_presence") == "1")
        message = _("Your choice is saved.")
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("workspaces.my_bookings"))


def _ics(body: bytes, filename: str) -> Response:
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/bookings/<int:booking_id>.ics")
def booking_ics(booking_id: int):
    found = operations.visible_booking(current_user, booking_id)
    if not found.is_holding:  # a cancelled, declined or released booking is in no calendar
        raise NotFound()
    return _ics(calendar.calendar_of([found], found.space.name), f"booking-{found.id}.ics")


@bp.get("/calendar/<token>.ics")
def member_calendar(token: str):
    member = operations.member_for_calendar(token)
    if member is None:
        raise NotFound()
    since = utcnow() - timedelta(days=30)
    bookings = queries.bookings_of(member.id, since, None, limit=2000)
    holding = [b for b in bookings if b.is_holding]
    return _ics(calendar.calendar_of(holding, _("My bookings")), "terreau-bookings.ics")


@bp.get("/spaces/<int:space_id>/calendar.ics")
def space_calendar(space_id: int):
    require_staff(current_user)
    found = operations.get_space(space_id, inactive_too=True)
    since = utcnow() - timedelta(days=30)
    bookings = queries.bookings_of(None, since, None, space_id=found.id, limit=5000)
    holding = [b for b in bookings if b.is_holding]
    return _ics(calendar.calendar_of(holding, found.name), f"space-{found.id}.ics")


# --- staff ---------------------------------------------------------------------------------


@bp.get("/manage")
def manage():
    require_staff(current_user)
    return render_template(
        "workspaces/manage.html",
        sites=queries.sites(),
        spaces=_all_spaces(),
        pending=queries.pending_approvals(),
        values={},
        errors={},
        **_common(),
    )


def _all_spaces() -> list[Space]:
    from sqlalchemy import select

    return list(db.session.scalars(select(Space).order_by(Space.site_id, Space.name)))


@bp.post("/manage/sites")
def create_site():
    require_staff(current_user)
    try:
        operations.create_site(current_user, request.form.get("name"), request.form.get("address"))
    except DomainError as error:
        db.session.rollback()
        return render_template(
            "workspaces/manage.html",
            sites=queries.sites(),
            spaces=_all_spaces(),
            pending=queries.pending_approvals(),
            values=request.form,
            errors=error.fields,
            **_common(),
        ), error.status
    db.session.commit()
    flash(_("Site created."), "success")
    return redirect(url_for("workspaces.manage"))


def _space_form_data() -> dict[str, Any]:
    form = request.form
    data: dict[str, Any] = {
        key: form.get(key, "")
        for key in (
            "name",
            "kind",
            "site_id",
            "description",
            "equipment",
            "capacity",
            "granularity",
            "slot_minutes",
            "midday_minutes",
            "min_minutes",
            "max_minutes",
            "max_days_ahead",
        )
    }
    for flag in ("needs_approval", "check_in_required", "is_active"):
        data[flag] = form.get(flag) == "1"
    data["opening_hours"] = {str(d): form.get(f"hours_{d}", "") for d in WEEKDAYS}
    return data


def _space_form(space: Space | None, values: Any, errors: Any = None, status: int = 200):
    return render_template(
        "workspaces/space_form.html",
        space=space,
        sites=queries.sites(),
        values=values,
        errors=errors or {},
        weekdays=WEEKDAYS,
        **_common(),
    ), status


def _space_values(space: Space) -> dict[str, Any]:
    values: dict[str, Any] = {
        key: getattr(space, key)
        for key in (
            "name",
            "site_id",
            "description",
            "capacity",
            "slot_minutes",
            "midday_minutes",
            "min_minutes",
            "max_minutes",
            "max_days_ahead",
            "needs_approval",
            "check_in_required",
            "is_active",
        )
    }
    values["kind"] = space.kind.value
    values["granularity"] = space.granularity.value
    values["equipment"] = ", ".join(space.equipment or [])
    for day in WEEKDAYS:
        hours = (space.opening_hours or {}).get(str(day))
        values[f"hours_{day}"] = f"{hhmm(hours[0])}-{hhmm(hours[1])}" if hours else ""
    return values


@bp.get("/manage/spaces/new")
def new_space():
    require_staff(current_user)
    values = {f"hours_{d}": "08:00-19:00" for d in range(5)} | {
        "capacity": 1,
        "slot_minutes": 30,
        "midday_minutes": 780,
        "min_minutes": 30,
        "max_minutes": 480,
        "max_days_ahead": 60,
        "is_active": True,
    }
    return _space_form(None, values)


@bp.post("/manage/spaces/new")
def create_space():
    require_staff(current_user)
    try:
        created = operations.create_space(current_user, _space_form_data())
        _store_photo(created)
    except DomainError as error:
        db.session.rollback()
        return _space_form(None, request.form, error.fields, error.status)
    db.session.commit()
    flash(_("Space created."), "success")
    return redirect(url_for("workspaces.edit_space", space_id=created.id))


def _store_photo(space: Space) -> None:
    photo = request.files.get("photo")
    if photo and photo.filename:
        try:
            operations.set_space_photo(current_user, space, photo.read())
        except DomainError as error:
            error.fields = error.fields or {"photo": error.message}
            raise


@bp.get("/manage/spaces/<int:space_id>")
def edit_space(space_id: int):
    require_staff(current_user)
    found = operations.get_space(space_id, inactive_too=True)
    return _space_form(found, _space_values(found))


@bp.post("/manage/spaces/<int:space_id>")
def update_space(space_id: int):
    require_staff(current_user)
    found = operations.get_space(space_id, inactive_too=True)
    try:
        operations.update_space(current_user, found, _space_form_data())
        _store_photo(found)
    except DomainError as error:
        db.session.rollback()
        found = operations.get_space(space_id, inactive_too=True)
        return _space_form(found, request.form, error.fields, error.status)
    db.session.commit()
    flash(_("Space saved."), "success")
    return redirect(url_for("workspaces.edit_space", space_id=space_id))


@bp.post("/manage/spaces/<int:space_id>/closures")
def add_closure(space_id: int):
    require_staff(current_user)
    found = operations.get_space(space_id, inactive_too=True)
    try:
        operations.add_closure(
            current_user,
            found,
            request.form.get("starts_on"),
            request.form.get("ends_on") or request.form.get("starts_on"),
            request.form.get("reason"),
        )
    except DomainError as error:
        db.session.rollback()
        found = operations.get_space(space_id, inactive_too=True)
        return _space_form(found, _space_values(found), error.fields, error.status)
    db.session.commit()
    flash(_("Closure added."), "success")
    return redirect(url_for("workspaces.edit_space", space_id=space_id))


@bp.post("/manage/spaces/<int:space_id>/closures/<int:closure_id>/delete")
def remove_closure(space_id: int, closure_id: int):
    require_staff(current_user)
    found = operations.get_space(space_id, inactive_too=True)
    operations.remove_closure(current_user, found, closure_id)
    db.session.commit()
    flash(_("Closure removed."), "success")
    return redirect(url_for("workspaces.edit_space", space_id=space_id))
