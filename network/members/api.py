"""/api/v1 routes for tokens, the current member and the members directory."""

from typing import Any

from flask import g, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from network.api.core import bp, doc, json_body, limit_param, query_param
from network.core.errors import Invalid
from network.extensions import db, limiter
from network.members import operations, queries
from network.members.auth import account_limit, login_email_key, login_limit
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
@limiter.limit(login_limit)
@limiter.limit(account_limit, key_func=login_email_key)
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
    try:
        member = operations.authenticate(body.get("email"), body.get("password"))
    except Exception:
        db.session.commit()  # keep the audit of the failed attempt
        raise
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
            for name, hooks in queries.FILTER_HOOKS.items()
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
