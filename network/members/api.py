"""/api/v1 routes for tokens, the current member and the members directory."""

from typing import Any

from flask import g, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from network.api.core import bp, doc, json_body, limit_param, query_param
from network.core import staff_lists
from network.core.errors import Invalid
from network.core.registries import MEMBER_FILTERS
from network.extensions import db
from network.members import operations, queries
from network.members import welcome as first_run
from network.members.auth import sign_in
from network.members.models import PROFILE_GROUPS, Member, OpenTo, Status

MEMBER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "display_name": {"type": "string"},
        "status": {"type": "string", "enum": [s.value for s in Status]},
        "avatar_url": {"type": ["string", "null"]},
        "headline": {"type": "string"},
        "bio": {"type": "string"},
        "bio_html": {"type": "string"},
        "trading_name": {"type": "string"},
        "trade": {"type": "string"},
        "sector": {"type": "string"},
        "website": {"type": "string"},
        "city": {"type": "string"},
        "postcode": {"type": "string"},
        "languages": {"type": "array", "items": {"type": "string"}},
        "links": {"type": "array", "items": {"type": "string"}},
        "open_to": {"type": "array", "items": {"type": "string"}},
        "url": {"type": "string"},
    },
    "required": ["id", "display_name", "status"],
}
PROFILE_PATCH_SCHEMA = {
    "type": "object",
    "properties": {
        **{
            k: v
            for k, v in MEMBER_SCHEMA["properties"].items()
            if k not in {"id", "status", "avatar_url", "bio_html", "url"}
        },
        "locale": {"type": ["string", "null"], "enum": ["fr", "en", None]},
        "visibility": {
            "type": "object",
            "additionalProperties": {"type": "string", "enum": ["members", "staff"]},
        },
    },
    "additionalProperties": False,
}


def member_json(member: Member, viewer: Member) -> dict[str, Any]:
    data = queries.visible_profile(member, viewer)
    data["url"] = url_for("members.profile", member_id=member.id)
    return data


def me_json(member: Member) -> dict[str, Any]:
    data = member_json(member, member)
    data.update(
        email=member.email,
        role=member.role.value,
        locale=member.locale,
        associate_deadline=member.associate_deadline.isoformat()
        if member.associate_deadline
        else None,
        visibility={group: member.visibility(group).value for group in PROFILE_GROUPS},
    )
    return data


@bp.post("/auth/token")
@doc(
    "Exchange e-mail and password for a bearer token",
    public=True,
    status=201,
    request_schema={
        "type": "object",
        "required": ["email", "password"],
        "properties": {"email": {"type": "string"}, "password": {"type": "string"}},
    },
    response={
        "type": "object",
        "properties": {"token": {"type": "string"}, "expires_at": {"type": "string"}},
    },
    errors=(401, 422, 429),
)
def create_token():
    body = json_body()
    member = sign_in(body.get("email"), body.get("password"))
    token, raw = operations.create_api_token(member, name="api")
    db.session.commit()
    return {"token": raw, "expires_at": token.expires_at.isoformat()}, 201


@bp.delete("/auth/token")
@doc("Revoke the token used for this request", status=204, errors=(422,))
def revoke_token():
    if "api_token" not in g:
        raise Invalid(_l("This call revokes the bearer token it is sent with."))
    operations.revoke_api_token(current_user, g.api_token.id)
    db.session.commit()
    return "", 204


@bp.get("/me")
@doc("The signed-in member's own profile", response=MEMBER_SCHEMA)
def get_me():
    return me_json(current_user)


@bp.patch("/me")
@doc(
    "Update the signed-in member's profile",
    request_schema=PROFILE_PATCH_SCHEMA,
    response=MEMBER_SCHEMA,
    errors=(400, 422),
)
def patch_me():
    body = json_body()
    visibility = body.pop("visibility", {}) or {}
    if not isinstance(visibility, dict):
        raise Invalid(fields={"visibility": _l('Give an object such as {"bio": "staff"}.')})
    for group, value in visibility.items():
        if group not in PROFILE_GROUPS:
            raise Invalid(fields={f"visibility.{group}": _l("Unknown field.")})
        body[f"vis_{group}"] = value
    operations.update_profile(current_user, current_user, body)
    db.session.commit()
    return me_json(current_user)


FILTER_DESCRIPTIONS = {
    "q": "Part of the name",
    "status": "CAE status",
    "trade": "Trade (exact, case and accents ignored)",
    "sector": "Sector (exact, case ignored)",
    "city": "City (exact, case and accents ignored)",
    "postcode": "Postcode or its beginning (69 for the Rhône)",
    "language": "A language spoken (case and accents ignored)",
}


def member_filter_params() -> list[dict[str, Any]]:
    """The query parameters of the members list, from the filters it parses
    (`queries.MemberFilters.from_args`) and those other modules register."""
    text = {"type": "string", "maxLength": queries.MAX_FILTER_TEXT}
    return [
        *(
            query_param(
                name,
                FILTER_DESCRIPTIONS[name],
                text | {"enum": [s.value for s in Status]} if name == "status" else text,
            )
            for name in queries.TEXT_FILTERS
        ),
        query_param(
            "open_to", "Open to all of these", {"enum": [o.value for o in OpenTo]}, many=True
        ),
        query_param("sort", "Order of the list", {"type": "string", "enum": list(queries.SORTS)}),
        *(
            query_param(name, str(hooks.label)) | {"schema": hooks.schema}
            for name, hooks in MEMBER_FILTERS.items()
        ),
        query_param("cursor", "The `next` value of the previous page"),
        limit_param(30, 100),
    ]


@bp.get("/members")
@doc(
    "List members (active), filtered and cursor-paginated; with filters other modules add "
    "(e.g. skill), each item has the `reasons` it matches",
    params=lambda: member_filter_params(),
    response={
        "type": "object",
        "properties": {
            "items": {
                "type": "array",
                "items": MEMBER_SCHEMA
                | {
                    "properties": MEMBER_SCHEMA["properties"]
                    | {"reasons": {"type": "array", "items": {"type": "string"}}}
                },
            },
            "next": {"type": ["string", "null"]},
        },
    },
    errors=(422,),
)
def list_members():
    filters, page = queries.page_from_args(current_user, request.args)
    reasons = queries.match_reasons(current_user, page.items, filters) if filters.extra else {}
    items = []
    for member in page.items:
        item = member_json(member, current_user)
        if filters.extra:
            item["reasons"] = [str(r) for r in reasons.get(member.id, [])]
        items.append(item)
    return {"items": items, "next": page.next_cursor}


@bp.get("/members/<int:member_id>")
@doc(
    "One member's profile (fields hidden from you are absent)",
    response=MEMBER_SCHEMA,
    errors=(404,),
)
def get_member(member_id: int):
    return member_json(queries.member_for_viewer(current_user, member_id), current_user)


@bp.post("/invitations")
@doc(
    "Invite a person (staff; a role other than member: admins). The e-mail, in `locale`, "
    "names the cooperative and the inviter and quotes the personal `note`",
    status=201,
    request_schema={
        "type": "object",
        "required": ["email", "status"],
        "properties": {
            "email": {"type": "string"},
            "status": {"type": "string", "enum": [s.value for s in Status if s != Status.ALUMNUS]},
            "role": {"type": "string", "enum": ["member", "staff", "admin"]},
            "display_name": {"type": "string", "maxLength": 80},
            "note": {"type": "string", "maxLength": operations.MAX_NOTE},
            "locale": {"type": "string", "enum": ["fr", "en"], "default": "fr"},
        },
    },
    response={
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "email": {"type": "string"},
            "status": {"type": "string"},
            "role": {"type": "string"},
            "locale": {"type": "string"},
            "expires_at": {"type": "string", "format": "date-time"},
        },
    },
    errors=(403, 409, 422),
)
def create_invitation():
    body = json_body()
    invitation = operations.invite_member(
        current_user,
        email=body.get("email"),
        status=body.get("status"),
        role=body.get("role") or "member",
        display_name=body.get("display_name", ""),
        note=body.get("note", ""),
        locale=body.get("locale"),
        link_for=lambda token: url_for("members.join", token=token, _external=True),
    )
    db.session.commit()
    return {
        "id": invitation.id,
        "email": invitation.email,
        "status": invitation.status.value,
        "role": invitation.role.value,
        "locale": invitation.locale,
        "expires_at": invitation.expires_at.isoformat(),
    }, 201


# --- the guided first run ------------------------------------------------------------------

WELCOME_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "steps": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"name": {"type": "string"}, "title": {"type": "string"}},
            },
        },
        "current": {"type": ["string", "null"], "description": "the step to resume at"},
        "finished": {"type": "boolean"},
    },
}


def _welcome_json(member: Member) -> dict[str, Any]:
    state = first_run.welcome_state(member)
    return {
        "steps": [{"name": s.name, "title": str(s.title)} for s in state.steps],
        "current": state.current.name if state.current else None,
        "finished": state.finished,
    }


@bp.get("/me/welcome")
@doc(
    "The guided first run: its steps, where to resume, whether it is finished",
    response=WELCOME_SCHEMA,
)
def get_welcome():
    return _welcome_json(current_user)


@bp.post("/me/welcome/<name>")
@doc(
    "Complete a step of the first run with its fields (profile: headline, trade, city, "
    "postcode; skills: skills as comma-separated names; channels: channel_ids, a list), or "
    'skip it with {"skip": true}; the member moves to the next step',
    request_schema={"type": "object", "properties": {"skip": {"type": "boolean"}}},
    response=WELCOME_SCHEMA,
    errors=(404, 422),
)
def complete_welcome_step(name: str):
    body = json_body()
    skip = body.get("skip", False)
    if not isinstance(skip, bool):
        raise Invalid(fields={"skip": "true | false"})
    first_run.complete_step(current_user, name, None if skip else body)
    db.session.commit()
    return _welcome_json(current_user)


@bp.post("/me/welcome/finish")
@doc("Leave the first run (it is not offered again)", response=WELCOME_SCHEMA)
def finish_welcome():
    first_run.finish_welcome(current_user)
    db.session.commit()
    return _welcome_json(current_user)


# --- the staff home's follow-up lists -------------------------------------------------------

STAFF_LIST_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "title": {"type": "string"},
        "description": {"type": "string"},
        "columns": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "key": {"type": "string"},
                    "label": {"type": "string"},
                    "kind": {"type": "string", "enum": ["text", "date", "count", "days", "names"]},
                },
            },
        },
    },
}


def _staff_list_json(found: staff_lists.StaffList) -> dict[str, Any]:
    return {
        "name": found.name,
        "title": str(found.title),
        "description": str(found.description),
        "columns": [{"key": c.key, "label": str(c.label), "kind": c.kind} for c in found.columns],
    }


@bp.get("/staff/lists")
@doc(
    "The support team's follow-up lists (associate-deadlines, cape-ending, unread-notices…); "
    "staff only",
    response={
        "type": "object",
        "properties": {"items": {"type": "array", "items": STAFF_LIST_SCHEMA}},
    },
    errors=(403,),
)
def get_staff_lists():
    return {
        "items": [_staff_list_json(found) for found, _ in staff_lists.staff_lists(current_user)]
    }


@bp.get("/staff/lists/<name>")
@doc(
    "One follow-up list with all its rows (dates ISO 8601; `days_left` negative when "
    "overdue); staff only. The same as CSV: /staff/lists/{name}.csv",
    response={
        **STAFF_LIST_SCHEMA,
        "properties": {
            **STAFF_LIST_SCHEMA["properties"],
            "items": {"type": "array", "items": {"type": "object"}},
        },
    },
    errors=(403, 404),
)
def get_staff_list(name: str):
    found, rows = staff_lists.staff_list(current_user, name)
    return {**_staff_list_json(found), "items": [staff_lists.public_row(r) for r in rows]}
