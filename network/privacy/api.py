"""/api/v1 routes of privacy: download my data, consents, and the staff's exit of a member."""

from typing import Any

from flask import url_for
from flask_login import current_user

from network.api.core import (
    BOOLEAN,
    INTEGER,
    NULLABLE_DATE_TIME,
    STRING,
    bp,
    doc,
    iso_or_none,
    json_body,
    obj,
)
from network.core.consent import Purpose, current_consents
from network.core.errors import NotFound
from network.extensions import db
from network.members.models import Member
from network.privacy import operations
from network.privacy.models import DataExport, ExportState, MemberExit

EXPORT_SCHEMA = obj(
    id=INTEGER,
    state={"type": "string", "enum": [s.value for s in ExportState]},
    progress={"type": "integer", "minimum": 0, "maximum": 100},
    size=INTEGER,
    created_at={"type": "string", "format": "date-time"},
    ready_at=NULLABLE_DATE_TIME,
    expires_at=NULLABLE_DATE_TIME,
    download_url={"type": ["string", "null"], "description": "while ready and not expired"},
    url=STRING,
)
EXIT_REQUEST = {
    "type": "object",
    "properties": {
        "reason": {
            "type": "string",
            "enum": list(operations.EXIT_REASONS),
            "description": "alumnus (status former member) or erasure (the member asked)",
        },
        "delete_writings": {
            "type": "boolean",
            "description": "blank the member's messages and posts instead of keeping them",
        },
    },
    "required": ["reason"],
}
EXIT_SCHEMA = obj(
    member_id=INTEGER,
    display_name=STRING,
    reason=STRING,
    writings_deleted=BOOLEAN,
    run_at={"type": "string", "format": "date-time"},
    removed={"type": "object", "description": "kind of data → rows erased or changed"},
)
CONSENTS_SCHEMA = obj(**{p.value: BOOLEAN for p in Purpose})


def export_json(export: DataExport) -> dict[str, Any]:
    ready = export.state == ExportState.READY
    return {
        "id": export.id,
        "state": export.state.value,
        "progress": export.progress,
        "size": export.size,
        "created_at": export.created_at.isoformat(),
        "ready_at": iso_or_none(export.ready_at),
        "expires_at": iso_or_none(export.expires_at),
        "download_url": (url_for("api.download_my_export", export_id=export.id) if ready else None),
        "url": url_for("api.get_my_export", export_id=export.id),
    }


@bp.post("/me/export")
@doc(
    "Ask for an export of all my data (a ZIP); a notification tells when it is ready",
    response=EXPORT_SCHEMA,
    status=202,
)
def create_my_export():
    export = operations.request_export(current_user)
    db.session.commit()
    return export_json(export), 202, {"Location": url_for("api.get_my_export", export_id=export.id)}


@bp.get("/me/exports/<int:export_id>")
@doc(
    "One of my data exports: its progress and download link", response=EXPORT_SCHEMA, errors=(404,)
)
def get_my_export(export_id: int):
    return export_json(operations.get_export(current_user, export_id))


@bp.get("/me/exports/<int:export_id>/download")
@doc(
    "Download a ready export (a ZIP) until its link expires",
    response={"type": "string", "format": "binary"},
    errors=(404,),
)
def download_my_export(export_id: int):
    return operations.send_export(current_user, export_id)


@bp.get("/me/consents")
@doc("My consents (e-convocation, e-mail digests, presence)", response=CONSENTS_SCHEMA)
def get_my_consents():
    return {p.value: current_consents([current_user.id], p)[current_user.id] for p in Purpose}


@bp.patch("/me/consents")
@doc(
    "Give or revoke consents (each change is dated)",
    request_schema=CONSENTS_SCHEMA,
    response=CONSENTS_SCHEMA,
    errors=(400, 422),
)
def patch_my_consents():
    body = json_body()
    for purpose, granted in body.items():
        operations.set_consent(current_user, current_user, purpose, granted, source="api")
    db.session.commit()
    return get_my_consents()


def exit_json(exit_row: MemberExit, member: Member) -> dict[str, Any]:
    return {
        "member_id": member.id,
        "display_name": member.display_name,
        "reason": exit_row.reason,
        "writings_deleted": exit_row.writings_deleted,
        "run_at": exit_row.run_at.isoformat(),
        "removed": exit_row.report,
    }


@bp.post("/admin/members/<int:member_id>/exit")
@doc(
    "Run a member's exit: erase or anonymise their personal data (staff)",
    request_schema=EXIT_REQUEST,
    response=EXIT_SCHEMA,
    errors=(400, 403, 404, 409, 422),
)
def run_member_exit(member_id: int):
    from network.core.permissions import require_staff

    require_staff(current_user)
    member = db.session.get(Member, member_id)
    if member is None:
        raise NotFound()
    body = json_body()
    exit_row = operations.run_exit(
        current_user, member, body.get("reason"), body.get("delete_writings", False)
    )
    db.session.commit()
    return exit_json(exit_row, member)
