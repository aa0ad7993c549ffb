"""Every state change of the service desk (the boundary commits once).

Permissions: the support team (staff) keeps the catalogue and works the requests; a member
opens requests and sees only their own — another member's request answers exactly like a
missing one (`NotFound`). Internal notes never reach a member.
"""

import re
import uuid
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from limits import RateLimitItemPerMinute
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from network.cooperative import cooperative_today, current_settings
from network.cooperative.calendar import add_working_days
from network.cooperative.times import to_local
from network.core import audit, ratelimit, signals
from network.core.errors import Conflict, Forbidden, Invalid, NotFound, TooManyRequests
from network.core.ids import is_id, parse_id
from network.core.inputs import text_field
from network.core.markup import render_markdown
from network.core.mentions import link_mentions, resolve
from network.core.models import utcnow
from network.core.permissions import Role, is_staff, require_staff
from network.core.registries import index_later, publish, withdraw
from network.extensions import db
from network.members.models import Member
from network.services.desk.files import Stored, Upload, store_uploads
from network.services.desk.models import (
    OPEN_STATES,
    FaqEntry,
    FieldKind,
    RequestEvent,
    RequestFile,
    RequestMessage,
    RequestState,
    Service,
    ServiceRequest,
    Team,
)

MAX_NAME = 120
MAX_DESCRIPTION = 4000
MAX_FIELDS = 20
MAX_CHOICES = 30
MAX_SUBJECT = 200
MAX_BODY = 20_000
MAX_TEXT_ANSWER = 4000
MAX_QUESTION = 300
MAX_RESPONSE_DAYS = 60
#: The support team, as a condition that reads the members' role index (the active ones are
#: kept by the caller: with `is_active` in the same condition the planner scans every member).
STAFF_ROLES = Member.role.in_([Role.STAFF, Role.ADMIN])
CLIENT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
FIELD_KEY = re.compile(r"[a-z][a-z0-9_]{0,39}")

TEAM_LABELS = {
    Team.ACCOUNTING: _l("Accounting"),
    Team.PAYROLL: _l("Payroll"),
    Team.LEGAL: _l("Legal"),
    Team.SUPPORT: _l("Support (accompagnement)"),
    Team.TRAINING: _l("Training"),
    Team.TREASURY: _l("Treasury"),
    Team.OTHER: _l("Other"),
}
STATE_LABELS = {
    RequestState.NEW: _l("New"),
    RequestState.IN_PROGRESS: _l("In progress"),
    RequestState.WAITING_MEMBER: _l("Waiting for the member"),
    RequestState.RESOLVED: _l("Resolved"),
    RequestState.CLOSED: _l("Closed"),
}
FIELD_KIND_LABELS = {
    FieldKind.TEXT: _l("Text"),
    FieldKind.NUMBER: _l("Number"),
    FieldKind.DATE: _l("Date"),
    FieldKind.CHOICE: _l("Choice"),
    FieldKind.FILE: _l("File"),
}
#: What the support team may move a request to, from each state.
STAFF_MOVES: dict[RequestState, frozenset[RequestState]] = {
    RequestState.NEW: frozenset(
        {RequestState.IN_PROGRESS, RequestState.WAITING_MEMBER, RequestState.RESOLVED}
    ),
    RequestState.IN_PROGRESS: frozenset({RequestState.WAITING_MEMBER, RequestState.RESOLVED}),
    RequestState.WAITING_MEMBER: frozenset({RequestState.IN_PROGRESS, RequestState.RESOLVED}),
    RequestState.RESOLVED: frozenset({RequestState.IN_PROGRESS, RequestState.CLOSED}),
    RequestState.CLOSED: frozenset({RequestState.IN_PROGRESS}),
}


# --- labels -----------------------------------------------------------------------------


def reads_english() -> bool:
    """The reader reads English (else French, the default, is shown)."""
    locale = get_locale()
    return locale is not None and locale.language == "en"


def service_name(service: Service) -> str:
    return service.name_en if reads_english() and service.name_en else service.name_fr


def service_description(service: Service) -> str:
    return (
        service.description_en
        if reads_english() and service.description_en
        else service.description_fr
    )


def field_label(spec: dict[str, Any]) -> str:
    return (
        (spec.get("label_en") if reads_english() else None) or spec.get("label_fr") or spec["key"]
    )


# --- the catalogue ------------------------------------------------------------------------


def may_see_service(viewer: Any, service: Service) -> bool:
    return is_staff(viewer) or (not service.is_hidden and service.retired_at is None)


def get_service(viewer: Any, service_id: Any) -> Service:
    service = db.session.get(Service, service_id) if is_id(service_id) else None
    if service is None or not may_see_service(viewer, service):
        raise NotFound(_l("This service does not exist."))
    return service


def _choices(raw: Any, where: str) -> list[str]:
    if isinstance(raw, str):
        raw = [c for c in (part.strip() for part in raw.replace("\n", ";").split(";")) if c]
    if not isinstance(raw, list) or not all(isinstance(c, str) for c in raw):
        raise Invalid(fields={where: _l("Give the choices as a list of texts.")})
    cleaned = [c.strip()[:120] for c in raw if c.strip()]
    if not cleaned:
        raise Invalid(fields={where: _l("A choice field needs at least one choice.")})
    if len(cleaned) > MAX_CHOICES or len(set(cleaned)) != len(cleaned):
        raise Invalid(fields={where: _l("At most %(max)s choices, each once.", max=MAX_CHOICES)})
    return cleaned


def clean_fields(raw: Any) -> list[dict[str, Any]]:
    """The request form's fields of a service from their description (a list of objects);
    `Invalid` naming `fields.N.part` for the first wrong part."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise Invalid(fields={"fields": _l("Give the fields as a list.")})
    if len(raw) > MAX_FIELDS:
        raise Invalid(fields={"fields": _l("At most %(max)s fields.", max=MAX_FIELDS)})
    cleaned: list[dict[str, Any]] = []
    for number, spec in enumerate(raw):
        where = f"fields.{number}"
        if not isinstance(spec, dict):
            raise Invalid(fields={where: _l("Each field is an object.")})
        try:
            kind = FieldKind(spec.get("kind", "text"))
        except ValueError:
            raise Invalid(fields={f"{where}.kind": _l("Unknown kind of field.")}) from None
        label_fr = text_field(spec.get("label_fr"), f"{where}.label_fr", MAX_NAME)
        label_en = text_field(spec.get("label_en"), f"{where}.label_en", MAX_NAME, required=False)
        key = spec.get("key") or f"f{number + 1}"
        if not isinstance(key, str) or not FIELD_KEY.fullmatch(key):
            raise Invalid(fields={f"{where}.key": _l("A key of lower-case letters, digits and _.")})
        if any(c["key"] == key for c in cleaned):
            raise Invalid(fields={f"{where}.key": _l("Two fields have this key.")})
        field: dict[str, Any] = {
            "key": key,
            "kind": kind.value,
            "label_fr": label_fr,
            "label_en": label_en,
            "required": bool(spec.get("required")),
        }
        if kind == FieldKind.CHOICE:
            field["choices"] = _choices(spec.get("choices"), f"{where}.choices")
        cleaned.append(field)
    return cleaned


def _service_values(data: dict[str, Any], service: Service | None) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if service is None or "name_fr" in data:
        values["name_fr"] = text_field(data.get("name_fr"), "name_fr", MAX_NAME)
    for key in ("name_en",):
        if key in data:
            values[key] = text_field(data.get(key), key, MAX_NAME, required=False)
    for key in ("description_fr", "description_en"):
        if key in data:
            values[key] = text_field(data.get(key), key, MAX_DESCRIPTION, required=False)
    if service is None or "team" in data:
        try:
            values["team"] = Team(data.get("team", Team.SUPPORT.value))
        except ValueError:
            raise Invalid(fields={"team": _l("Choose one of the teams.")}) from None
    if service is None or "response_days" in data:
        raw = data.get("response_days", 3)
        days = parse_id(raw) if not isinstance(raw, bool) else None
        if days is None or days > MAX_RESPONSE_DAYS:
            raise Invalid(
                fields={
                    "response_days": _l(
                        "A number of working days from 1 to %(max)s.", max=MAX_RESPONSE_DAYS
                    )
                }
            )
        values["response_days"] = days
    if "fields" in data:
        values["fields"] = clean_fields(data["fields"])
    if "is_hidden" in data:
        values["is_hidden"] = bool(data["is_hidden"])
    return values


def create_service(actor: Any, data: dict[str, Any]) -> Service:
    require_staff(actor)
    values = _service_values(data, None)
    last = db.session.scalar(select(func.max(Service.position))) or 0
    service = Service(**{"fields": [], **values}, position=last + 1)
    db.session.add(service)
    db.session.flush()
    audit.record(db.session, "service_created", actor_id=actor.id, service_id=service.id)
    return service


def update_service(actor: Any, service: Service, data: dict[str, Any]) -> Service:
    """Staff only. Changing the fields leaves the answers of past requests as they were."""
    require_staff(actor)
    if service.retired_at is not None:
        raise Conflict(_l("This service is retired: it can no longer change."))
    for key, value in _service_values(data, service).items():
        setattr(service, key, value)
    db.session.flush()
    return service


def move_service(actor: Any, service: Service, step: int) -> None:
    """Swap the service with its neighbour above (step -1) or below (+1) in the catalogue."""
    require_staff(actor)
    ordered = list(db.session.scalars(select(Service).order_by(Service.position, Service.id)))
    for index, item in enumerate(ordered):
        item.position = index + 1
    at = ordered.index(service)
    other = at + (1 if step > 0 else -1)
    if 0 <= other < len(ordered):
        ordered[at].position, ordered[other].position = (
            ordered[other].position,
            ordered[at].position,
        )
    db.session.flush()


def set_service_hidden(actor: Any, service: Service, hidden: bool) -> None:
    require_staff(actor)
    service.is_hidden = hidden
    db.session.flush()


def retire_service(actor: Any, service: Service) -> None:
    """No new request; its past requests stay, with their thread and history."""
    require_staff(actor)
    if service.retired_at is not None:
        raise Conflict(_l("This service is already retired."))
    service.retired_at = utcnow()
    audit.record(db.session, "service_retired", actor_id=actor.id, service_id=service.id)
    db.session.flush()


# --- requests -------------------------------------------------------------------------


def may_see_request(viewer: Any, service_request: ServiceRequest) -> bool:
    return is_staff(viewer) or (
        getattr(viewer, "id", None) is not None and service_request.member_id == viewer.id
    )


def get_request(viewer: Any, request_id: Any) -> ServiceRequest:
    """The request, if `viewer` may see it; another member's is `NotFound` like a missing one."""
    found = db.session.get(ServiceRequest, request_id) if is_id(request_id) else None
    if found is None or not may_see_request(viewer, found):
        raise NotFound(_l("This request does not exist."))
    return found


def _answer(spec: dict[str, Any], raw: Any) -> Any:
    """One answer of a request form, cleaned, or `Invalid` (message only)."""
    kind = FieldKind(spec["kind"])
    if isinstance(raw, str):
        raw = raw.strip()
    empty = raw is None or raw == "" or raw == []
    if empty:
        if spec.get("required"):
            raise Invalid(_l("This field is required."))
        return None
    if kind == FieldKind.TEXT:
        if not isinstance(raw, str):
            raise Invalid(_l("Write some text."))
        if len(raw) > MAX_TEXT_ANSWER:
            raise Invalid(_l("At most %(max)s characters.", max=MAX_TEXT_ANSWER))
        return raw
    if kind == FieldKind.NUMBER:
        if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
            raise Invalid(_l("Give a number, such as 1200 or 12.50."))
        text = str(raw).replace(",", ".").replace(" ", "").replace("\u202f", "")
        try:
            number = Decimal(text)
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite() or len(text) > 20:
            raise Invalid(
                _l("“%(value)s” is not a number (such as 1200 or 12.50).", value=str(raw)[:20])
            )
        if abs(number) >= NUMBER_LIMIT or int(number.as_tuple().exponent) < -NUMBER_DECIMALS:
            raise Invalid(
                _l("Give a number of at most 15 digits before the decimal point and 6 after.")
            )
        return format(number.normalize(), "f") if number == number.to_integral() else str(number)
    if kind == FieldKind.DATE:
        try:
            day = date.fromisoformat(raw) if isinstance(raw, str) and len(raw) <= 10 else None
        except ValueError:
            day = None
        if day is None or not 1900 <= day.year < 3000:
            raise Invalid(_l("“%(value)s” is not a date (YYYY-MM-DD).", value=str(raw)[:20]))
        return day.isoformat()
    if kind == FieldKind.CHOICE:
        if raw not in spec.get("choices", []):
            raise Invalid(
                _l("Choose one of: %(choices)s.", choices=", ".join(spec.get("choices", [])))
            )
        return raw
    raise Invalid(_l("Join a file."))  # FILE: handled with the uploads


def clean_answers(
    service: Service, raw: Any, uploads: dict[str, list[Upload]]
) -> tuple[dict[str, Any], dict[str, list[Upload]]]:
    """(answers, uploads by file field) of a request form; every wrong field at once in one
    `Invalid` keyed `answers.<key>`."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise Invalid(fields={"answers": _l("Give the answers as an object.")})
    errors: dict[str, Any] = {}
    answers: dict[str, Any] = {}
    files: dict[str, list[Upload]] = {}
    for spec in service.fields:
        key = spec["key"]
        if spec["kind"] == FieldKind.FILE:
            given = uploads.get(key) or []
            if not given and spec.get("required"):
                errors[f"answers.{key}"] = _l("Join a file.")
            files[key] = given
            continue
        try:
            value = _answer(spec, raw.get(key))
        except Invalid as error:
            errors[f"answers.{key}"] = error.message
            continue
        if value is not None:
            answers[key] = value
    unknown = set(raw) - {spec["key"] for spec in service.fields}
    if unknown:
        errors[f"answers.{sorted(unknown)[0][:40]}"] = _l("This service asks no such field.")
    if errors:
        raise Invalid(fields=errors)
    return answers, files


#: A member's writes to the desk (requests and messages): enough for anyone typing, not for a
#: script flooding the support team. The team itself is not limited.
WRITES_PER_MINUTE = RateLimitItemPerMinute(20)


def _check_rate(actor: Any) -> None:
    if not is_staff(actor) and not ratelimit.allow(WRITES_PER_MINUTE, "desk-write", actor.id):
        raise TooManyRequests(_l("You are writing too fast: wait a moment and try again."))


def _check_client_id(client_id: Any) -> str:
    if not isinstance(client_id, str) or not CLIENT_ID.fullmatch(client_id):
        raise Invalid(fields={"client_id": _l("Give a unique id of 1 to 64 letters or digits.")})
    return client_id


def _previous_request(actor: Any, client_id: str) -> ServiceRequest | None:
    return db.session.scalar(
        select(ServiceRequest).where(
            ServiceRequest.member_id == actor.id, ServiceRequest.client_id == client_id
        )
    )


def _event(
    service_request: ServiceRequest,
    actor: Any,
    action: str,
    *,
    from_state: Any = None,
    to_state: Any = None,
    **details: Any,
) -> None:
    db.session.add(
        RequestEvent(
            request_id=service_request.id,
            actor_id=getattr(actor, "id", None),
            action=action,
            from_state=str(from_state) if from_state else None,
            to_state=str(to_state) if to_state else None,
            details=details,
            created_at=utcnow(),
        )
    )


def _save_files(
    service_request: ServiceRequest,
    stored: Iterable[Stored],
    *,
    message: RequestMessage | None = None,
    field_key: str | None = None,
) -> list[RequestFile]:
    rows = [
        RequestFile(
            request_id=service_request.id,
            message_id=message.id if message else None,
            field_key=field_key,
            key=s.key,
            name=s.name,
            content_type=s.content_type,
            size=s.size,
        )
        for s in stored
    ]
    db.session.add_all(rows)
    return rows


#: A number field's answer: fewer than 15 digits before the point, at most 6 after (so that
#: "1e309" is not stored as 310 digits).
NUMBER_LIMIT = Decimal(10) ** 15
NUMBER_DECIMALS = 6


def open_request(
    actor: Any,
    service: Service,
    subject: Any,
    answers: Any,
    client_id: Any,
    uploads: dict[str, list[Upload]] | None = None,
    body: Any = None,
) -> tuple[ServiceRequest, bool]:
    """Open a request, or return the one this member already opened with `client_id`
    (a double-clicked submit makes one request). (request, created?)."""
    client_id = _check_client_id(client_id)
    previous = _previous_request(actor, client_id)
    if previous is not None:
        if previous.service_id != service.id:
            raise Conflict(fields={"client_id": _l("This id was used for another request.")})
        return previous, False
    if not may_see_service(actor, service) or service.retired_at is not None:
        raise NotFound(_l("This service does not exist."))
    errors: dict[str, Any] = {}
    try:
        text = text_field(subject, "subject", MAX_SUBJECT)
    except Invalid as error:
        errors.update(error.fields)
    try:
        first = text_field(body, "body", MAX_BODY, required=False) if body is not None else ""
    except Invalid as error:
        errors.update(error.fields)
    try:
        cleaned, files = clean_answers(service, answers, uploads or {})
    except Invalid as error:
        errors.update(error.fields)
    if errors:
        raise Invalid(fields=errors)
    _check_rate(actor)
    stored = {
        key: store_uploads(db.session, given, f"answers.{key}") for key, given in files.items()
    }
    now = utcnow()
    opened_on = to_local(now).date()
    service_request = ServiceRequest(
        service_id=service.id,
        member_id=actor.id,
        client_id=client_id,
        subject=text,
        answers=cleaned,
        state=RequestState.NEW,
        is_open=True,
        opened_at=now,
        opened_on=opened_on,
        due_on=add_working_days(opened_on, service.response_days),
        updated_at=now,
        message_count=0,
    )
    db.session.add(service_request)
    try:
        db.session.flush()
    except IntegrityError:  # the same submit, at the same moment: the first one stands
        db.session.rollback()
        previous = _previous_request(actor, client_id)
        if previous is None:
            raise
        return previous, False
    for key, saved in stored.items():
        rows = _save_files(service_request, saved, field_key=key)
        if rows:
            service_request.answers = {**service_request.answers, key: [r.name for r in rows]}
    _event(service_request, actor, "opened", to_state=RequestState.NEW)
    if first:
        _add_message(actor, service_request, first, internal=False, stored=[])
    db.session.flush()
    return service_request, True


def _staff_lookup(keys: list[str], extra_ids: set[int]) -> dict[str, int]:
    condition: Any = Member.role.in_([Role.STAFF, Role.ADMIN])
    if extra_ids:
        condition = condition | Member.id.in_(extra_ids)
    rows = db.session.execute(
        select(Member.name_key, Member.id).where(
            Member.name_key.in_(keys), Member.is_active.is_(True), condition
        )
    )
    return {key: member_id for key, member_id in rows}


def _add_message(
    actor: Any, service_request: ServiceRequest, text: str, *, internal: bool, stored: list
) -> tuple[RequestMessage, set[int]]:
    """The message and the ids of the members it mentions (the support team, and the
    request's member when the message is not internal)."""
    extra = set() if internal else {service_request.member_id}
    named = resolve(text, lambda keys: _staff_lookup(keys, extra)) if text else {}
    urls = {name: url_for("members.profile", member_id=i) for name, i in named.items()}
    message = RequestMessage(
        request_id=service_request.id,
        author_id=actor.id,
        body=text,
        body_html=render_markdown(link_mentions(text, urls)) if text else "",
        is_internal=internal,
        created_at=utcnow(),
    )
    db.session.add(message)
    db.session.flush()
    _save_files(service_request, stored, message=message)
    service_request.message_count = (service_request.message_count or 0) + 1
    service_request.updated_at = message.created_at
    return message, set(named.values()) - {actor.id}


def _notify(
    member_ids: Iterable[int], kind: str, text: Any, service_request: ServiceRequest, actor: Any
) -> None:
    wanted = sorted(set(member_ids) - {getattr(actor, "id", None)})
    if not wanted:
        return
    url = url_for("services_desk.request_page", request_id=service_request.id)
    signals.notifications_requested.send(
        tuple(wanted), kind=kind, text=text, url=url, actor=actor, details=service_request.subject
    )


def post_message(
    actor: Any,
    service_request: ServiceRequest,
    body: Any,
    *,
    internal: bool = False,
    uploads: list[Upload] | None = None,
) -> RequestMessage:
    """A message of the thread (with files). Only the support team writes internal notes.
    The team's first public message is the request's first answer (and takes a new request
    in hand); the member's answer to a request waiting for them puts it back in progress."""
    staff = is_staff(actor)
    if internal and not staff:
        raise Forbidden(_l("Only the support team writes internal notes."))
    if service_request.state == RequestState.CLOSED and not staff:
        raise Conflict(_l("This request is closed: reopen it to write again."))
    text = text_field(body, "body", MAX_BODY, required=not uploads)
    _check_rate(actor)
    stored = store_uploads(db.session, uploads or [], "files")
    message, mentioned = _add_message(
        actor, service_request, text, internal=internal, stored=stored
    )
    before = service_request.state
    if staff and not internal and service_request.member_id != actor.id:
        if service_request.first_answer_at is None:
            _first_answer(service_request, message.created_at)
        if before == RequestState.NEW:
            _move(actor, service_request, RequestState.IN_PROGRESS)
        _notify(
            [service_request.member_id],
            "service_request_answered",
            _l(
                "The support team answered your request “%(subject)s”",
                subject=service_request.subject,
            ),
            service_request,
            actor,
        )
    elif not staff:
        if before == RequestState.WAITING_MEMBER:
            _move(actor, service_request, RequestState.IN_PROGRESS)
        if service_request.assignee_id:
            _notify(
                [service_request.assignee_id],
                "service_request_reply",
                _l(
                    "%(name)s answered in the request “%(subject)s”",
                    name=actor.display_name,
                    subject=service_request.subject,
                ),
                service_request,
                actor,
            )
    if mentioned:
        _notify(
            mentioned,
            "service_request_mention",
            _l(
                "%(name)s mentions you in the request “%(subject)s”",
                name=actor.display_name,
                subject=service_request.subject,
            ),
            service_request,
            actor,
        )
    db.session.flush()
    return message


def _first_answer(service_request: ServiceRequest, at: datetime) -> None:
    service_request.first_answer_at = at
    service_request.first_answer_minutes = _minutes(service_request.opened_at, at)


def _minutes(start: datetime, end: datetime) -> int:
    return max(0, int((end - start).total_seconds() // 60))


def _move(actor: Any, service_request: ServiceRequest, to: RequestState, **details: Any) -> None:
    """Set the state and what goes with it (dates, durations), and record who did it."""
    before = service_request.state
    now = utcnow()
    service_request.state = to
    service_request.is_open = to in OPEN_STATES
    service_request.updated_at = now
    if to == RequestState.RESOLVED:
        service_request.resolved_at = now
        service_request.resolved_on = to_local(now).date()
        service_request.resolution_minutes = _minutes(service_request.opened_at, now)
        if service_request.first_answer_at is None:
            _first_answer(service_request, now)
    elif to == RequestState.CLOSED:
        service_request.closed_at = now
    elif to in OPEN_STATES and before in (RequestState.RESOLVED, RequestState.CLOSED):
        service_request.resolved_at = service_request.resolved_on = None
        service_request.resolution_minutes = None
        service_request.closed_at = None
        service_request.satisfaction = None
        service_request.satisfaction_comment = ""
    if to == RequestState.WAITING_MEMBER and service_request.first_answer_at is None:
        _first_answer(service_request, now)
    _event(service_request, actor, "state", from_state=before, to_state=to, **details)


def _parse_state(raw: Any) -> RequestState:
    try:
        return RequestState(raw)
    except ValueError:
        raise Invalid(
            fields={
                "state": _l(
                    "Unknown state: one of new, in_progress, waiting_member, resolved, closed."
                )
            }
        ) from None


def change_state(actor: Any, service_request: ServiceRequest, raw_state: Any) -> None:
    """Staff move a request along its lifecycle; a move the lifecycle does not allow is a
    `Conflict`. Members close (`close_request`) and reopen (`reopen_request`)."""
    to = _parse_state(raw_state)
    if not is_staff(actor):
        if to == RequestState.CLOSED:
            close_request(actor, service_request)
            return
        if to == RequestState.IN_PROGRESS and service_request.state in (
            RequestState.RESOLVED,
            RequestState.CLOSED,
        ):
            reopen_request(actor, service_request)
            return
        raise Forbidden(_l("Only the support team moves a request along."))
    if to == service_request.state:
        return
    if to not in STAFF_MOVES[service_request.state]:
        raise Conflict(
            _l(
                "A request that is “%(current)s” cannot become “%(wanted)s”.",
                current=STATE_LABELS[service_request.state],
                wanted=STATE_LABELS[to],
            )
        )
    _move(actor, service_request, to)
    kind_text = {
        RequestState.WAITING_MEMBER: (
            "service_request_waiting",
            _l(
                "The support team waits for your answer on “%(subject)s”",
                subject=service_request.subject,
            ),
        ),
        RequestState.RESOLVED: (
            "service_request_resolved",
            _l("Your request “%(subject)s” is resolved", subject=service_request.subject),
        ),
    }.get(to)
    if kind_text:
        _notify([service_request.member_id], kind_text[0], kind_text[1], service_request, actor)
    db.session.flush()


def resolve_request(actor: Any, service_request: ServiceRequest) -> None:
    require_staff(actor)
    change_state(actor, service_request, RequestState.RESOLVED)


def _satisfaction(raw: Any) -> int | None:
    if raw in (None, ""):
        return None
    value = parse_id(raw) if not isinstance(raw, bool) else None
    if value is None or value > 5:
        raise Invalid(fields={"satisfaction": _l("Give a mark from 1 to 5.")})
    return value


def close_request(
    actor: Any, service_request: ServiceRequest, satisfaction: Any = None, comment: Any = None
) -> None:
    """The member closes their request (with an optional mark from 1 to 5 and a comment);
    the support team closes a resolved one."""
    mark = _satisfaction(satisfaction)
    text = text_field(comment, "comment", 2000, required=False) if comment is not None else ""
    own = service_request.member_id == getattr(actor, "id", None)
    if not own:
        require_staff(actor)
        if service_request.state != RequestState.RESOLVED:
            raise Conflict(_l("Resolve the request before closing it."))
    if service_request.state == RequestState.CLOSED:
        raise Conflict(_l("This request is already closed."))
    _move(actor, service_request, RequestState.CLOSED)
    if own and (mark is not None or text):
        service_request.satisfaction = mark
        service_request.satisfaction_comment = text
        _event(service_request, actor, "satisfaction", mark=mark)
    db.session.flush()


def reopen_request(actor: Any, service_request: ServiceRequest) -> None:
    """The member reopens their resolved or closed request within the cooperative's number
    of days (`services_reopen_days`); the support team at any time."""
    if service_request.state not in (RequestState.RESOLVED, RequestState.CLOSED):
        raise Conflict(_l("This request is not resolved: there is nothing to reopen."))
    if not is_staff(actor):
        if service_request.member_id != actor.id:
            raise NotFound()
        days = int(current_settings()["services_reopen_days"])
        since = service_request.resolved_at or service_request.closed_at or utcnow()
        if utcnow() - since > timedelta(days=days):
            raise Conflict(
                _l(
                    "A request can be reopened within %(days)s days; please open a new one.",
                    days=days,
                )
            )
    _move(actor, service_request, RequestState.IN_PROGRESS, reopened=True)
    if service_request.assignee_id:
        _notify(
            [service_request.assignee_id],
            "service_request_reply",
            _l("The request “%(subject)s” is reopened", subject=service_request.subject),
            service_request,
            actor,
        )
    db.session.flush()


def _staff_member(raw: Any) -> Member | None:
    if raw in (None, ""):
        return None
    member_id = raw if is_id(raw) else parse_id(raw) if isinstance(raw, str) else None
    member = db.session.get(Member, member_id) if member_id else None
    if member is None or not member.is_active or not is_staff(member):
        raise Invalid(fields={"assignee_id": _l("Choose a member of the support team.")})
    return member


def assign_request(actor: Any, service_request: ServiceRequest, assignee_id: Any) -> None:
    """Staff give the request to a member of the team (None: back to the service's team)."""
    require_staff(actor)
    assignee = _staff_member(assignee_id)
    new_id = assignee.id if assignee else None
    if new_id == service_request.assignee_id:
        return
    service_request.assignee_id = new_id
    service_request.updated_at = utcnow()
    _event(service_request, actor, "assigned", assignee_id=new_id)
    if assignee is not None:
        _notify(
            [assignee.id],
            "service_request_assigned",
            _l("The request “%(subject)s” is assigned to you", subject=service_request.subject),
            service_request,
            actor,
        )
    db.session.flush()


def assign_many(actor: Any, request_ids: Any, assignee_id: Any) -> int:
    """Bulk assignment from the queue; the number of requests assigned."""
    require_staff(actor)
    if not isinstance(request_ids, list) or not request_ids or len(request_ids) > 500:
        raise Invalid(fields={"request_ids": _l("Choose from 1 to 500 requests.")})
    ids = [parse_id(i) if not isinstance(i, int) else i for i in request_ids]
    if not all(is_id(i) for i in ids):
        raise Invalid(fields={"request_ids": _l("Choose from 1 to 500 requests.")})
    assignee = _staff_member(assignee_id)
    found = list(db.session.scalars(select(ServiceRequest).where(ServiceRequest.id.in_(ids))))
    for service_request in found:
        if service_request.assignee_id != (assignee.id if assignee else None):
            service_request.assignee_id = assignee.id if assignee else None
            _event(service_request, actor, "assigned", assignee_id=service_request.assignee_id)
    if assignee is not None and found:
        first = found[0]
        text = (
            _l("The request “%(subject)s” is assigned to you", subject=first.subject)
            if len(found) == 1
            else _l("%(count)s requests are assigned to you", count=len(found))
        )
        url = url_for("services_desk.queue", assignee="me")
        if assignee.id != actor.id:
            signals.notifications_requested.send(
                (assignee.id,), kind="service_request_assigned", text=text, url=url, actor=actor
            )
    db.session.flush()
    return len(found)


# --- FAQ --------------------------------------------------------------------------------


def publish_faq(
    actor: Any, service_request: ServiceRequest, question: Any, answer: Any
) -> FaqEntry:
    """Staff publish an answer for every member from a resolved (or closed) request. The
    text is the team's own wording: nothing of the member is copied by the code."""
    require_staff(actor)
    if service_request.state not in (RequestState.RESOLVED, RequestState.CLOSED):
        raise Conflict(_l("Only a resolved request can become a FAQ entry."))
    entry = FaqEntry(
        service_id=service_request.service_id,
        request_id=service_request.id,
        author_id=actor.id,
        question=text_field(question, "question", MAX_QUESTION),
        answer=(text := text_field(answer, "answer", MAX_BODY)),
        answer_html=render_markdown(text),
        published_at=utcnow(),
    )
    db.session.add(entry)
    db.session.flush()
    _event(service_request, actor, "faq_published", faq_id=entry.id)
    index_later("faq", entry.id, new=True, obj=entry)
    publish("faq", entry.id, actor.id)
    return entry


def withdraw_faq(actor: Any, entry: FaqEntry) -> None:
    require_staff(actor)
    if entry.withdrawn_at is not None:
        raise Conflict(_l("This entry is already withdrawn."))
    entry.withdrawn_at = utcnow()
    index_later("faq", entry.id)
    withdraw("faq", [entry.id])
    db.session.flush()


def get_faq(viewer: Any, faq_id: Any) -> FaqEntry:
    entry = db.session.get(FaqEntry, faq_id) if is_id(faq_id) else None
    if entry is None or (entry.withdrawn_at is not None and not is_staff(viewer)):
        raise NotFound()
    return entry


# --- the cron ----------------------------------------------------------------------------


def overdue_clause(today: date) -> Any:
    return (
        ServiceRequest.is_open.is_(True)
        & (ServiceRequest.due_on < today)
        & ServiceRequest.first_answer_at.is_(None)
    )


def close_resolved() -> int:
    """Close the requests resolved longer ago than `services_autoclose_days` (0: never)."""
    days = int(current_settings()["services_autoclose_days"])
    if not days:
        return 0
    limit = utcnow() - timedelta(days=days)
    found = list(
        db.session.scalars(
            select(ServiceRequest).where(
                ServiceRequest.state == RequestState.RESOLVED, ServiceRequest.resolved_at < limit
            )
        )
    )
    for service_request in found:
        _move(None, service_request, RequestState.CLOSED, automatic=True)
    db.session.flush()
    return len(found)


def send_overdue_digest() -> int:
    """Tell each member of the support team what is overdue: the requests assigned to them
    and those nobody holds yet. The number of members told."""
    today = cooperative_today()
    rows = db.session.execute(
        select(ServiceRequest.assignee_id, func.count())
        .where(overdue_clause(today))
        .group_by(ServiceRequest.assignee_id)
    ).all()
    counts = {assignee: count for assignee, count in rows}
    unassigned = counts.pop(None, 0)
    staff = [
        member_id
        for member_id, active in db.session.execute(
            select(Member.id, Member.is_active).where(STAFF_ROLES)
        )
        if active
    ]
    told = 0
    for member_id in staff:
        mine = counts.get(member_id, 0)
        if not mine and not unassigned:
            continue
        text = _l(
            "Overdue requests: %(mine)s assigned to you, %(free)s not assigned",
            mine=mine,
            free=unassigned,
        )
        url = url_for("services_desk.queue", overdue="1")
        signals.notifications_requested.send(
            (member_id,), kind="service_overdue_digest", text=text, url=url, actor=None
        )
        told += 1
    return told


def open_for_team(team: str, subject: str, body: str, requester: Any) -> str | None:
    """The kernel's service-request hook (e.g. a co-contract declared to accounting): a
    request to the team's first open service whose form asks nothing required, `body` as
    its first message, in the caller's transaction; its page's URL, or None when the team
    has no such service."""
    services = db.session.scalars(
        select(Service)
        .where(Service.team == team, Service.is_hidden.is_(False), Service.retired_at.is_(None))
        .order_by(Service.position, Service.id)
    )
    service = next((s for s in services if not any(f.get("required") for f in s.fields)), None)
    if service is None:
        return None
    client_id = f"hook-{uuid.uuid4().hex[:24]}"
    found, _created = open_request(
        requester, service, subject[:MAX_SUBJECT], {}, client_id, body=body
    )
    return url_for("services_desk.request_page", request_id=found.id)
