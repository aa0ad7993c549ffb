"""/api/v1 routes of the service desk: the catalogue, requests with their thread, their
lifecycle and assignment, and the FAQ. A request answers 404 to anyone but its member and
the support team; staff-only actions answer 403 to members.

Bodies are JSON, or multipart/form-data where files are joined (a request's file fields as
`answers.<key>`, a message's as `files`)."""

from typing import Any

from flask import request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from network.api.core import (
    BOOLEAN,
    INTEGER,
    NULLABLE_DATE_TIME,
    STRING,
    bp,
    doc,
    iso_or_none,
    items_of,
    json_body,
    limit_param,
    obj,
    query_param,
)
from network.core.errors import Invalid
from network.core.ids import ID_SCHEMA, parse_id, url_before_id
from network.core.permissions import is_staff, require_staff
from network.extensions import db
from network.services.desk import operations, queries
from network.services.desk.files import Upload
from network.services.desk.models import (
    FaqEntry,
    FieldKind,
    RequestMessage,
    RequestState,
    Service,
    ServiceRequest,
    Team,
)

STATES = [s.value for s in RequestState]
FIELD = obj(
    key=STRING,
    kind={"type": "string", "enum": [k.value for k in FieldKind]},
    label_fr=STRING,
    label_en=STRING,
    required=BOOLEAN,
    choices={"type": "array", "items": STRING},
)
SERVICE = obj(
    id=INTEGER,
    name=STRING,
    name_fr=STRING,
    name_en=STRING,
    description=STRING,
    team={"type": "string", "enum": [t.value for t in Team]},
    response_days=INTEGER,
    fields={"type": "array", "items": FIELD},
    hidden=BOOLEAN,
    retired=BOOLEAN,
)
FILE = obj(id=INTEGER, name=STRING, size=INTEGER, content_type=STRING, url=STRING)
MESSAGE = obj(
    id=INTEGER,
    author=obj(id=INTEGER, name=STRING),
    body=STRING,
    body_html=STRING,
    internal=BOOLEAN,
    created_at={"type": "string", "format": "date-time"},
    files={"type": "array", "items": FILE},
)
REQUEST = obj(
    id=INTEGER,
    service=obj(id=INTEGER, name=STRING, team=STRING),
    member=obj(id=INTEGER, name=STRING),
    subject=STRING,
    answers={"type": "object"},
    state={"type": "string", "enum": STATES},
    assignee={"type": ["object", "null"], "properties": {"id": INTEGER, "name": STRING}},
    opened_at={"type": "string", "format": "date-time"},
    due_on={"type": "string", "format": "date"},
    overdue=BOOLEAN,
    first_answer_at=NULLABLE_DATE_TIME,
    resolved_at=NULLABLE_DATE_TIME,
    closed_at=NULLABLE_DATE_TIME,
    satisfaction={"type": ["integer", "null"]},
    satisfaction_comment=STRING,
    message_count=INTEGER,
    url=STRING,
)
REQUEST_BODY = {
    "type": "object",
    "required": ["service_id", "subject", "client_id"],
    "properties": {
        "service_id": ID_SCHEMA,
        "subject": {"type": "string", "maxLength": operations.MAX_SUBJECT},
        "body": {"type": "string", "maxLength": operations.MAX_BODY},
        "answers": {"type": "object", "description": "field key → value, per the service"},
        "client_id": {
            "type": "string",
            "pattern": "^[A-Za-z0-9_-]{1,64}$",
            "description": "a unique id per submit: sent twice, it answers the same request",
        },
    },
}
FAQ = obj(
    id=INTEGER,
    question=STRING,
    answer=STRING,
    answer_html=STRING,
    service=obj(id=INTEGER, name=STRING),
    published_at={"type": "string", "format": "date-time"},
    url=STRING,
)


def service_json(service: Service) -> dict[str, Any]:
    return {
        "id": service.id,
        "name": operations.service_name(service),
        "name_fr": service.name_fr,
        "name_en": service.name_en,
        "description": operations.service_description(service),
        "team": service.team.value,
        "response_days": service.response_days,
        "fields": service.fields,
        "hidden": service.is_hidden,
        "retired": service.retired_at is not None,
    }


def request_json(found: ServiceRequest, today: Any = None) -> dict[str, Any]:
    from network.cooperative import cooperative_today

    today = today or cooperative_today()
    assignee = found.assignee
    return {
        "id": found.id,
        "service": {
            "id": found.service_id,
            "name": operations.service_name(found.service),
            "team": found.service.team.value,
        },
        "member": {"id": found.member_id, "name": found.member.display_name},
        "subject": found.subject,
        "answers": found.answers,
        "state": found.state.value,
        "assignee": {"id": assignee.id, "name": assignee.display_name} if assignee else None,
        "opened_at": iso_or_none(found.opened_at),
        "due_on": found.due_on.isoformat(),
        "overdue": is_overdue(found, today),
        "first_answer_at": iso_or_none(found.first_answer_at),
        "resolved_at": iso_or_none(found.resolved_at),
        "closed_at": iso_or_none(found.closed_at),
        "satisfaction": found.satisfaction,
        "satisfaction_comment": found.satisfaction_comment,
        "message_count": found.message_count,
        "url": url_for("services_desk.request_page", request_id=found.id),
    }


def row_json(row: Any, services: dict[int, tuple[str, str]], today: Any) -> dict[str, Any]:
    """`request_json` of a row of the queue (`queries.QUEUE_COLUMNS`)."""
    name, team = services[row.service_id]
    return {
        "id": row.id,
        "service": {"id": row.service_id, "name": name, "team": team},
        "member": {"id": row.member_id, "name": row.member_name},
        "subject": row.subject,
        "answers": row.answers,
        "state": row.state.value,
        "assignee": {"id": row.assignee_id, "name": row.assignee_name} if row.assignee_id else None,
        "opened_at": iso_or_none(row.opened_at),
        "due_on": row.due_on.isoformat(),
        "overdue": is_overdue(row, today),
        "first_answer_at": iso_or_none(row.first_answer_at),
        "resolved_at": iso_or_none(row.resolved_at),
        "closed_at": iso_or_none(row.closed_at),
        "satisfaction": row.satisfaction,
        "satisfaction_comment": row.satisfaction_comment,
        "message_count": row.message_count,
        "url": _request_url() + str(row.id),
    }


def _request_url() -> str:
    from flask import g

    if "desk_request_url" not in g:
        g.desk_request_url = url_before_id("services_desk.request_page", "request_id")
    return g.desk_request_url


def is_overdue(found: Any, today: Any) -> bool:
    return found.is_open and found.first_answer_at is None and found.due_on < today


def message_json(message: RequestMessage) -> dict[str, Any]:
    return {
        "id": message.id,
        "author": {"id": message.author_id, "name": message.author.display_name},
        "body": message.body,
        "body_html": message.body_html,
        "internal": message.is_internal,
        "created_at": iso_or_none(message.created_at),
        "files": [
            {
                "id": f.id,
                "name": f.name,
                "size": f.size,
                "content_type": f.content_type,
                "url": url_for("services_desk.file", file_id=f.id),
            }
            for f in message.files
        ],
    }


def faq_json(entry: FaqEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "question": entry.question,
        "answer": entry.answer,
        "answer_html": entry.answer_html,
        "service": {"id": entry.service_id, "name": operations.service_name(entry.service)},
        "published_at": iso_or_none(entry.published_at),
        "url": url_for("services_desk.faq_entry", faq_id=entry.id),
    }


def _body_and_files(
    file_field: str | None = None,
) -> tuple[dict[str, Any], dict[str, list[Upload]]]:
    """The JSON body, or a multipart form's values and files."""
    if request.mimetype == "multipart/form-data":
        data: dict[str, Any] = {}
        answers: dict[str, Any] = {}
        for key, value in request.form.items():
            if key.startswith("answers."):
                answers[key[len("answers.") :]] = value
            else:
                data[key] = value
        if answers:
            data["answers"] = answers
        uploads: dict[str, list[Upload]] = {}
        for key in request.files:
            name = key[len("answers.") :] if key.startswith("answers.") else key
            uploads[name] = [
                Upload(f.filename or "file", f.read()) for f in request.files.getlist(key) if f
            ]
        return data, uploads
    return json_body(), {}


@bp.get("/services")
@doc(
    "The catalogue of services a member may ask (staff: `all=1` for hidden and retired ones)",
    params=[query_param("all", "1: every service (staff)", {"type": "string", "enum": ["0", "1"]})],
    response=items_of(SERVICE),
    errors=(403,),
)
def list_services():
    everything = request.args.get("all") == "1"
    if everything:
        require_staff(current_user)
    return {
        "items": [service_json(s) for s in queries.catalogue(current_user, everything=everything)]
    }


@bp.get("/requests")
@doc(
    "My requests, newest first; the support team reads the queue (soonest due first) with "
    "its filters",
    params=[
        query_param("service", "staff: only this service", ID_SCHEMA),
        query_param(
            "state",
            "staff: open (default), all, or one state",
            {"type": "string", "enum": ["open", "all", *STATES]},
        ),
        query_param("assignee", "staff: me, none or a member id"),
        query_param("overdue", "staff: 1 for overdue only", {"type": "string", "enum": ["0", "1"]}),
        query_param(
            "mine",
            "staff: 1 for the requests I opened myself",
            {"type": "string", "enum": ["0", "1"]},
        ),
        query_param("cursor", "the `next` value of the previous page"),
        limit_param(50, 100),
    ],
    response=items_of(REQUEST, next={"type": ["string", "null"]}),
    errors=(422,),
)
def list_service_requests():
    from network.cooperative import cooperative_today

    today = cooperative_today()
    if is_staff(current_user) and request.args.get("mine") != "1":
        filters = queries.parse_queue_filters(request.args)
        rows = queries.queue_rows(
            current_user, filters, request.args.get("cursor"), request.args.get("limit")
        )
        services = queries.service_teams()
        return {
            "items": [row_json(r, services, today) for r in rows.items],
            "next": rows.next_cursor,
        }
    page = queries.member_requests(
        current_user, request.args.get("cursor"), request.args.get("limit")
    )
    return {"items": [request_json(r, today) for r in page.items], "next": page.next_cursor}


@bp.post("/requests")
@doc(
    "Open a request to a service (JSON, or multipart/form-data with files as "
    "`answers.<key>`); the same `client_id` again answers the first request (200)",
    status=201,
    also={200: "Already opened with this client_id"},
    request_schema=REQUEST_BODY,
    response=REQUEST,
    errors=(404, 409, 413, 422),
)
def create_service_request():
    data, uploads = _body_and_files()
    service_id = data.get("service_id")
    service_id = parse_id(service_id) if isinstance(service_id, str) else service_id
    if service_id is None:
        raise Invalid(fields={"service_id": _l("Choose a service.")})
    service = operations.get_service(current_user, service_id)
    found, created = operations.open_request(
        current_user,
        service,
        data.get("subject"),
        data.get("answers"),
        data.get("client_id"),
        uploads,
        data.get("body"),
    )
    db.session.commit()
    return request_json(found), 201 if created else 200


@bp.get("/requests/<int:request_id>")
@doc("A request (404: not yours)", response=REQUEST, errors=(404,))
def get_service_request(request_id: int):
    return request_json(operations.get_request(current_user, request_id))


@bp.patch("/requests/<int:request_id>")
@doc(
    "Change a request: `state` (staff along the lifecycle; the member `closed`, with "
    "`satisfaction` 1–5 and `comment`), `assignee_id` (staff)",
    request_schema=obj(
        state={"type": "string", "enum": STATES},
        assignee_id={"type": ["integer", "null"]},
        satisfaction={"type": "integer", "minimum": 1, "maximum": 5},
        comment=STRING,
    ),
    response=REQUEST,
    errors=(403, 404, 409, 422),
)
def update_service_request(request_id: int):
    found = operations.get_request(current_user, request_id)
    data = json_body()
    if "assignee_id" in data:
        operations.assign_request(current_user, found, data["assignee_id"])
    if "state" in data:
        if data["state"] == "closed" and found.member_id == current_user.id:
            operations.close_request(
                current_user, found, data.get("satisfaction"), data.get("comment")
            )
        else:
            operations.change_state(current_user, found, data["state"])
    db.session.commit()
    return request_json(found)


@bp.get("/requests/<int:request_id>/messages")
@doc(
    "The thread of a request (internal notes for the support team only)",
    response=items_of(MESSAGE),
    errors=(404,),
)
def list_request_messages(request_id: int):
    found = operations.get_request(current_user, request_id)
    return {"items": [message_json(m) for m in queries.thread(current_user, found)]}


@bp.post("/requests/<int:request_id>/messages")
@doc(
    "Write in the thread (Markdown, @mentions; multipart/form-data with `files` to join "
    "files); `internal`: a note of the support team the member never sees",
    status=201,
    request_schema=obj(body=STRING, internal=BOOLEAN),
    response=MESSAGE,
    errors=(403, 404, 409, 413, 422),
)
def create_request_message(request_id: int):
    found = operations.get_request(current_user, request_id)
    data, uploads = _body_and_files()
    internal = data.get("internal") in (True, "1", "true", "on")
    message = operations.post_message(
        current_user, found, data.get("body"), internal=internal, uploads=uploads.get("files")
    )
    db.session.commit()
    return message_json(message), 201


@bp.post("/requests/<int:request_id>/assign")
@doc(
    "Assign the request to a member of the support team (`assignee_id` null: to the "
    "service's team)",
    request_schema=obj(assignee_id={"type": ["integer", "null"]}),
    response=REQUEST,
    errors=(403, 404, 422),
)
def assign_service_request(request_id: int):
    found = operations.get_request(current_user, request_id)
    operations.assign_request(current_user, found, json_body().get("assignee_id"))
    db.session.commit()
    return request_json(found)


@bp.post("/requests/<int:request_id>/resolve")
@doc("Resolve the request (support team)", response=REQUEST, errors=(403, 404, 409))
def resolve_service_request(request_id: int):
    found = operations.get_request(current_user, request_id)
    operations.resolve_request(current_user, found)
    db.session.commit()
    return request_json(found)


@bp.post("/requests/<int:request_id>/reopen")
@doc(
    "Reopen a resolved or closed request (its member within the cooperative's number of "
    "days, the support team at any time)",
    response=REQUEST,
    errors=(404, 409),
)
def reopen_service_request(request_id: int):
    found = operations.get_request(current_user, request_id)
    operations.reopen_request(current_user, found)
    db.session.commit()
    return request_json(found)


@bp.get("/faq")
@doc(
    "The answers the support team published, newest first",
    params=[query_param("service", "only this service", ID_SCHEMA)],
    response=items_of(FAQ),
    errors=(422,),
)
def list_faq_entries():
    raw = request.args.get("service")
    service_id = parse_id(raw) if raw else None
    if raw and service_id is None:
        raise Invalid(fields={"service": _l("Unknown service.")})
    return {"items": [faq_json(e) for e in queries.faq_entries(current_user, service_id)]}
