"""Service desk pages: the catalogue and a member's requests, the request form (built from
the service's fields, with a "check the FAQ" step), a request with its thread; for the
support team the queue, the dashboard, the catalogue's upkeep and the closed days."""

import uuid
from datetime import date
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date, format_decimal, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required

from network.cooperative import calendar, cooperative_today
from network.cooperative.times import parse_date
from network.core.errors import DomainError, Invalid
from network.core.files import download
from network.core.forms import flash_error, invalid_form
from network.core.ids import parse_id, url_before_id
from network.core.permissions import is_staff, require_staff
from network.extensions import db
from network.services.desk import operations, queries
from network.services.desk.files import ACCEPTED_LIST, STORE, Upload, max_bytes
from network.services.desk.models import FieldKind, RequestState, Team

bp = Blueprint("services_desk", __name__, url_prefix="/services")
EXTENSIONS = STORE.input_accept


@bp.before_request
@login_required
def _members_only():
    return None


@bp.app_context_processor
def _desk_helpers() -> dict[str, Any]:
    return {
        "service_name": operations.service_name,
        "service_description": operations.service_description,
        "field_label": operations.field_label,
        "request_state_label": lambda state: operations.STATE_LABELS[RequestState(state)],
        "team_label": lambda team: operations.TEAM_LABELS[Team(team)],
    }


def _uploads(prefix: str = "") -> dict[str, list[Upload]]:
    """The files of the form by field name (without `prefix`); a file input left empty
    sends a part without a name, which is no file."""
    found: dict[str, list[Upload]] = {}
    for key in request.files:
        name = key.removeprefix(prefix)
        given = [Upload(f.filename, f.read()) for f in request.files.getlist(key) if f.filename]
        if given:
            found[name] = given
    return found


def _staff_only() -> None:
    require_staff(current_user)


# --- member pages -----------------------------------------------------------------------


@bp.get("/")
def index():
    services = queries.catalogue(current_user)
    mine = queries.member_requests(current_user, limit=10)
    return render_template(
        "services/desk/index.html",
        services=services,
        requests=mine.items,
        today=cooperative_today(),
        faq=queries.faq_entries(current_user, limit=5),
    )


@bp.get("/requests")
def my_requests():
    page = queries.member_requests(current_user, request.args.get("before"))
    return render_template(
        "services/desk/requests.html",
        requests=page.items,
        next_cursor=page.next_cursor,
        today=cooperative_today(),
    )


def _form_context(service, values: Any, matches: Any = None) -> dict:
    return {
        "service": service,
        "values": values,
        "matches": matches,
        "max_kb": max_bytes() // 1024,
        "extensions": EXTENSIONS,
        "accepted": ACCEPTED_LIST,
        "client_id": values.get("client_id") or uuid.uuid4().hex,
        "field_kinds": FieldKind,
        "due_on": calendar.add_working_days(cooperative_today(), service.response_days),
    }


@bp.get("/<int:service_id>/ask")
def ask(service_id: int):
    service = operations.get_service(current_user, service_id)
    if service.retired_at is not None:
        abort(404)
    return render_template("services/desk/ask.html", errors={}, **_form_context(service, {}))


@bp.post("/<int:service_id>/ask")
def send_request(service_id: int):
    service = operations.get_service(current_user, service_id)
    form = request.form
    if form.get("step") == "check":
        text = f"{form.get('subject', '')} {form.get('body', '')}"
        matches = queries.faq_matches(text)
        return render_template(
            "services/desk/ask.html", errors={}, **_form_context(service, form, matches=matches)
        )
    answers = {k[len("answers.") :]: v for k, v in form.items() if k.startswith("answers.")}
    try:
        found, created = operations.open_request(
            current_user,
            service,
            form.get("subject"),
            answers,
            form.get("client_id"),
            _uploads("answers."),
            form.get("body", ""),
        )
    except Invalid as error:
        return invalid_form("services/desk/ask.html", error, **_form_context(service, form))
    db.session.commit()
    if created:
        flash(_("Your request is sent to the support team."), "success")
    return redirect(url_for("services_desk.request_page", request_id=found.id), 303)


@bp.get("/requests/<int:request_id>")
def request_page(request_id: int):
    found = operations.get_request(current_user, request_id)
    return _request_page(found)


def _request_page(found, errors: Any = None, values: Any = None, status: int = 200):
    staff = is_staff(current_user)
    today = cooperative_today()
    return (
        render_template(
            "services/desk/request.html",
            req=found,
            messages=queries.thread(current_user, found),
            form_files=queries.form_files(found),
            history=queries.history(found) if staff else [],
            staff=staff,
            staff_members=queries.staff_members() if staff else [],
            moves=sorted(operations.STAFF_MOVES[found.state]) if staff else [],
            overdue=found.is_open and found.first_answer_at is None and found.due_on < today,
            today=today,
            errors=errors or {},
            values=values or {},
            max_kb=max_bytes() // 1024,
            extensions=EXTENSIONS,
            accepted=ACCEPTED_LIST,
            own=found.member_id == current_user.id,
        ),
        status,
    )


@bp.post("/requests/<int:request_id>/messages")
def post_message(request_id: int):
    found = operations.get_request(current_user, request_id)
    try:
        operations.post_message(
            current_user,
            found,
            request.form.get("body", ""),
            internal=request.form.get("internal") == "1",
            uploads=_uploads().get("files"),
        )
    except DomainError as error:
        db.session.rollback()
        found = operations.get_request(current_user, request_id)
        if not error.fields:
            flash(str(error.message), "error")
        return _request_page(found, error.fields, request.form, error.status)
    db.session.commit()
    return redirect(
        url_for("services_desk.request_page", request_id=found.id, _anchor="thread"), 303
    )


@bp.post("/requests/<int:request_id>/act")
def act(request_id: int):
    """Every other action of the request page: `action` is state, close, reopen, assign or
    faq."""
    found = operations.get_request(current_user, request_id)
    form = request.form
    action = form.get("action")
    try:
        if action == "state":
            operations.change_state(current_user, found, form.get("state"))
        elif action == "close":
            operations.close_request(
                current_user, found, form.get("satisfaction"), form.get("comment", "")
            )
        elif action == "reopen":
            operations.reopen_request(current_user, found)
        elif action == "assign":
            operations.assign_request(current_user, found, form.get("assignee_id") or None)
        elif action == "faq":
            entry = operations.publish_faq(
                current_user, found, form.get("question"), form.get("answer")
            )
            db.session.commit()
            flash(_("The answer is published in the FAQ."), "success")
            return redirect(url_for("services_desk.faq_entry", faq_id=entry.id), 303)
        else:
            raise Invalid(fields={"action": _("Unknown action.")})
    except DomainError as error:
        if error.status in (403, 404):
            raise
        db.session.rollback()
        found = operations.get_request(current_user, request_id)
        if not error.fields:
            flash(str(error.message), "error")
        return _request_page(found, error.fields, form, error.status)
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for("services_desk.request_page", request_id=found.id), 303)


@bp.get("/files/<int:file_id>")
def file(file_id: int):
    found = queries.readable_file(current_user, file_id)
    if found is None:
        abort(404)
    return download(found.key, found.name, found.content_type)


# --- FAQ ----------------------------------------------------------------------------------


@bp.get("/faq")
def faq():
    service_id = parse_id(request.args.get("service", "")) if request.args.get("service") else None
    return render_template(
        "services/desk/faq.html",
        entries=queries.faq_entries(current_user, service_id),
        services=queries.service_choices(visible_only=True),
        current_service=service_id,
    )


@bp.get("/faq/<int:faq_id>")
def faq_entry(faq_id: int):
    entry = operations.get_faq(current_user, faq_id)
    return render_template(
        "services/desk/faq_entry.html", entry=entry, staff=is_staff(current_user)
    )


@bp.post("/faq/<int:faq_id>/withdraw")
def withdraw_faq(faq_id: int):
    entry = operations.get_faq(current_user, faq_id)
    operations.withdraw_faq(current_user, entry)
    db.session.commit()
    flash(_("The entry is withdrawn from the FAQ."), "success")
    return redirect(url_for("services_desk.faq"), 303)


# --- the support team's pages -------------------------------------------------------------


@bp.get("/desk")
def queue():
    _staff_only()
    try:
        filters = queries.parse_queue_filters(request.args)
        page = queries.queue_rows(current_user, filters, request.args.get("cursor"))
    except Invalid as error:
        flash_error(error)
        return redirect(url_for("services_desk.queue"))
    services = queries.service_choices()
    today = cooperative_today()
    return render_template(
        "services/desk/queue.html",
        page=page,
        filters=filters,
        services=services,
        service_names=dict(services),
        state_labels={s: str(label) for s, label in operations.STATE_LABELS.items()},
        days=_day_labels(),
        staff_members=queries.staff_choices(),
        today=today,
        states=list(RequestState),
        request_url=url_before_id("services_desk.request_page", "request_id"),
    )


def _day_labels() -> Any:
    """A date as the page shows it, formatted once per date (rows share their days)."""
    known: dict[date, str] = {}

    def label(day: date) -> str:
        if day not in known:
            known[day] = format_date(day, "short")
        return known[day]

    return label


@bp.post("/desk/assign")
def bulk_assign():
    _staff_only()
    ids = request.form.getlist("request_ids")
    try:
        count = operations.assign_many(current_user, ids, request.form.get("assignee_id") or None)
    except Invalid as error:
        flash_error(error)
        return redirect(request.referrer or url_for("services_desk.queue"), 303)
    db.session.commit()
    flash(_("%(count)s request(s) assigned.", count=count), "success")
    back = request.form.get("back", "")
    return redirect(
        back if back.startswith("/services/desk") else url_for("services_desk.queue"), 303
    )


@bp.get("/desk/dashboard")
def dashboard():
    _staff_only()
    weeks = parse_id(request.args.get("weeks", "26")) or 26
    weeks = weeks if weeks in (12, 26, 52, 104) else 26
    figures = queries.dashboard(weeks)
    services = _service_bars(figures.services)
    return render_template(
        "services/desk/dashboard.html",
        figures=figures,
        weeks=weeks,
        bars=_weekly_bars(figures.weeks),
        services=services,
        names={s["figures"].service_id: s["name"] for s in services},
    )


def _weekly_bars(weeks: list[queries.Week]) -> dict[str, Any]:
    """The weekly chart's geometry and words, computed once (a two-year chart has 208 bars:
    formatting each date in the template cost more than the queries)."""
    peak = max([max(w.opened, w.resolved) for w in weeks] + [1])
    width = 600 / len(weeks)
    rows = []
    for index, week in enumerate(weeks):
        label = format_date(week.start, "short")
        x = 30 + index * width
        rows.append(
            {
                "label": label,
                "opened": week.opened,
                "resolved": week.resolved,
                "x": f"{x:.1f}",
                "x2": f"{x + width * 0.45:.1f}",
                "y_opened": f"{200 - 190 * week.opened / peak:.1f}",
                "h_opened": f"{190 * week.opened / peak:.1f}",
                "y_resolved": f"{200 - 190 * week.resolved / peak:.1f}",
                "h_resolved": f"{190 * week.resolved / peak:.1f}",
                "title_opened": _("Week of %(day)s: %(n)s opened", day=label, n=week.opened),
                "title_resolved": _("Week of %(day)s: %(n)s resolved", day=label, n=week.resolved),
            }
        )
    return {"peak": peak, "width": f"{width * 0.45:.1f}", "rows": rows}


def _service_bars(services: list[queries.ServiceFigures]) -> list[dict[str, Any]]:
    english = operations.reads_english()
    slowest = max(
        [f.resolution_hours or 0 for f in services]
        + [f.first_answer_hours or 0 for f in services]
        + [1]
    )
    rows = []
    for index, f in enumerate(services):
        name = f.name_en if english and f.name_en else f.name_fr
        row = {
            "figures": f,
            "name": name,
            "y": 10 + 26 * index,
            "first": f"{420 * (f.first_answer_hours or 0) / slowest:.1f}",
            "resolution": f"{420 * (f.resolution_hours or 0) / slowest:.1f}",
            "mark_width": "0",
            "mark_text": "",
            "mark_title": "",
        }
        if f.satisfaction is not None:
            mean = format_decimal(f.satisfaction, "0.0")
            # the mean out of 5 on 300 units, its figures written after the bar
            row["mark_width"] = f"{300 * f.satisfaction / 5:.1f}"
            row["mark_text"] = _(
                "%(mean)s (%(marks)s)",
                mean=mean,
                marks=ngettext("%(num)s mark", "%(num)s marks", f.marks),
            )
            row["mark_title"] = ngettext(
                "%(service)s: %(mean)s out of 5, %(num)s mark",
                "%(service)s: %(mean)s out of 5, %(num)s marks",
                f.marks,
                service=name,
                mean=mean,
            )
        rows.append(row)
    return rows


@bp.get("/catalogue")
def catalogue():
    _staff_only()
    return render_template(
        "services/desk/catalogue.html", services=queries.catalogue(current_user, everything=True)
    )


EMPTY_ROWS = 3


def _fields_from_form(form: Any) -> list[dict[str, Any]]:
    fields = []
    for n in range(operations.MAX_FIELDS):
        label = form.get(f"field-{n}-label_fr", "").strip()
        if not label:
            continue
        fields.append(
            {
                "key": form.get(f"field-{n}-key") or None,
                "kind": form.get(f"field-{n}-kind", "text"),
                "label_fr": label,
                "label_en": form.get(f"field-{n}-label_en", ""),
                "required": form.get(f"field-{n}-required") == "1",
                "choices": form.get(f"field-{n}-choices", ""),
            }
        )
    for spec in fields:
        if spec["key"] is None:
            spec.pop("key")
        if spec["kind"] != "choice":
            spec.pop("choices")
    return fields


def _service_form_context(service: Any, values: dict[str, Any]) -> dict[str, Any]:
    rows = list(values.get("fields", []))
    rows += [{} for _ in range(EMPTY_ROWS)]
    return {
        "service": service,
        "values": values,
        "rows": rows[: operations.MAX_FIELDS],
        "teams": [(t.value, operations.TEAM_LABELS[t]) for t in Team],
        "kinds": [(k.value, operations.FIELD_KIND_LABELS[k]) for k in FieldKind],
    }


@bp.route("/catalogue/new", methods=["GET", "POST"])
def new_service():
    _staff_only()
    if request.method == "GET":
        return render_template(
            "services/desk/service_form.html", **_service_form_context(None, {"response_days": 3})
        )
    return _save_service(None)


@bp.route("/catalogue/<int:service_id>", methods=["GET", "POST"])
def edit_service(service_id: int):
    _staff_only()
    service = operations.get_service(current_user, service_id)
    if request.method == "GET":
        values = {
            "name_fr": service.name_fr,
            "name_en": service.name_en,
            "description_fr": service.description_fr,
            "description_en": service.description_en,
            "team": service.team.value,
            "response_days": service.response_days,
            "fields": [{**f, "choices": "; ".join(f.get("choices", []))} for f in service.fields],
        }
        return render_template(
            "services/desk/service_form.html", **_service_form_context(service, values)
        )
    return _save_service(service)


def _save_service(service: Any):
    form = request.form
    data: dict[str, Any] = {
        key: form.get(key, "")
        for key in ("name_fr", "name_en", "description_fr", "description_en", "team")
    }
    data["response_days"] = form.get("response_days", "")
    data["fields"] = _fields_from_form(form)
    try:
        if service is None:
            service = operations.create_service(current_user, data)
        else:
            operations.update_service(current_user, service, data)
    except Invalid as error:
        values = {**data}
        return invalid_form(
            "services/desk/service_form.html",
            error,
            **_service_form_context(service, values),
        )
    db.session.commit()
    flash(_("The service is saved."), "success")
    return redirect(url_for("services_desk.catalogue"), 303)


@bp.post("/catalogue/<int:service_id>/act")
def service_act(service_id: int):
    _staff_only()
    service = operations.get_service(current_user, service_id)
    action = request.form.get("action")
    try:
        if action in ("up", "down"):
            operations.move_service(current_user, service, -1 if action == "up" else 1)
        elif action in ("hide", "show"):
            operations.set_service_hidden(current_user, service, action == "hide")
        elif action == "retire":
            operations.retire_service(current_user, service)
        else:
            raise Invalid(fields={"action": _("Unknown action.")})
    except DomainError as error:
        db.session.rollback()
        flash_error(error)
        return redirect(url_for("services_desk.catalogue"), 303)
    db.session.commit()
    return redirect(url_for("services_desk.catalogue"), 303)


@bp.route("/closures", methods=["GET", "POST"])
def closures():
    _staff_only()
    errors: dict[str, Any] = {}
    status = 200
    if request.method == "POST":
        try:
            day = parse_date(request.form.get("day", ""), "day")
            calendar.add_closed_day(current_user, day, request.form.get("label", ""))
        except DomainError as error:
            db.session.rollback()
            errors, status = error.fields or {"day": error.message}, error.status
        else:
            db.session.commit()
            flash(_("The cooperative is closed on %(day)s.", day=day.isoformat()), "success")
            return redirect(url_for("services_desk.closures"), 303)
    today = cooperative_today()
    return (
        render_template(
            "services/desk/closures.html",
            days=calendar.upcoming_closed_days(date(today.year - 1, 1, 1)),
            errors=errors,
            values=request.form,
            today=today,
        ),
        status,
    )


@bp.post("/closures/<day>/remove")
def remove_closure(day: str):
    _staff_only()
    try:
        parsed = date.fromisoformat(day)
    except ValueError:
        abort(404)
    calendar.remove_closed_day(current_user, parsed)
    db.session.commit()
    flash(_("The day is a working day again."), "success")
    return redirect(url_for("services_desk.closures"), 303)
