"""GET /api/v1/admin/audit: the audit log for the support team, filtered, a page at a time."""

from typing import Any

from flask import request
from flask_login import current_user

from network.api.core import (
    DATE_TIME,
    INTEGER,
    STRING,
    bp,
    doc,
    items_of,
    limit_param,
    obj,
    query_param,
)
from network.audit import queries
from network.core.audit import AuditEvent

NULLABLE_INTEGER: dict[str, Any] = {"type": ["integer", "null"]}
EVENT_SCHEMA = obj(
    id=INTEGER,
    seq=NULLABLE_INTEGER,
    created_at=DATE_TIME,
    action=STRING,
    actor_id=NULLABLE_INTEGER,
    subject_id=NULLABLE_INTEGER,
    ip={"type": ["string", "null"]},
    details={"type": "object", "description": "ids and short values; text neutralised"},
    prev_hash={"type": ["string", "null"]},
    hash={"type": ["string", "null"]},
)
HEAD_SCHEMA = obj(seq=INTEGER, hash=STRING, base_seq=INTEGER, base_hash=STRING)


def event_json(event: AuditEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "seq": event.seq,
        "created_at": event.created_at.isoformat(),
        "action": event.action,
        "actor_id": event.actor_id,
        "subject_id": event.subject_id,
        "ip": event.ip,
        "details": event.details,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }


@bp.get("/admin/audit")
@doc(
    "The audit log, newest first (staff only): filter by action, actor, subject and days; "
    "`head` is the chain head (last seq and hash, and the checkpoint left by purges)",
    params=[
        query_param("action", "only this action (e.g. login_failed)"),
        query_param("actor", "only entries by this member id", INTEGER),
        query_param("subject", "only entries about this member id", INTEGER),
        query_param(
            "from",
            "from this day (the cooperative's, included)",
            {"type": "string", "format": "date"},
        ),
        query_param("to", "to this day (included)", {"type": "string", "format": "date"}),
        query_param("before", "the `next` cursor of the previous page"),
        limit_param(queries.PAGE_SIZE, 200),
    ],
    response=items_of(
        EVENT_SCHEMA,
        next={"type": ["string", "null"]},
        head={"oneOf": [HEAD_SCHEMA, {"type": "null"}]},
    ),
    errors=(403, 422),
)
def list_audit_events():
    head, _verdict = queries.chain_state(current_user, check=False)
    filters = queries.parse_filters(request.args)
    page = queries.events_page(
        current_user, filters, before=request.args.get("before"), limit=request.args.get("limit")
    )
    return {
        "items": [event_json(e) for e in page.items],
        "next": page.next_cursor,
        "head": {
            "seq": head.seq,
            "hash": head.hash,
            "base_seq": head.base_seq,
            "base_hash": head.base_hash,
        }
        if head
        else None,
    }
