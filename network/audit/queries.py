"""The staff's view of the audit log: filters, newest-first pages, the chain's state."""

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from network.cooperative.times import at_minutes, parse_date
from network.core import audit
from network.core.audit import AuditEvent
from network.core.errors import Invalid
from network.core.ids import is_id
from network.core.pagination import Page, decode_cursor, encode_cursor, parse_limit
from network.core.permissions import Actor, require_staff
from network.extensions import db

PAGE_SIZE = 50
ACTION = re.compile(r"^[a-z][a-z0-9_.]{0,63}$")


@dataclass
class Filters:
    action: str | None = None
    actor_id: int | None = None
    subject_id: int | None = None
    since: datetime | None = None  # from local midnight of the first day
    until: datetime | None = None  # to local midnight after the last day (excluded)

    def query_args(self, raw: Any) -> dict[str, str]:
        """The filters as given, for the next page's link."""
        keys = ("action", "actor", "subject", "from", "to")
        return {k: raw[k] for k in keys if raw.get(k)}


def parse_filters(args: Any) -> Filters:
    """Filters from query arguments: `action`, `actor`, `subject` (member ids), `from` and
    `to` (dates, the cooperative's days, both included); `Invalid` naming the bad one."""
    filters, errors = Filters(), {}
    action = (args.get("action") or "").strip()
    if action:
        if ACTION.match(action):
            filters.action = action
        else:
            errors["action"] = _l("Unknown action.")
    for key, attribute in (("actor", "actor_id"), ("subject", "subject_id")):
        raw = (args.get(key) or "").strip()
        if raw:
            if raw.isdigit() and is_id(int(raw)):
                setattr(filters, attribute, int(raw))
            else:
                errors[key] = _l("Give a member number.")
    for key, attribute, shift in (("from", "since", 0), ("to", "until", 24 * 60)):
        raw = (args.get(key) or "").strip()
        if raw:
            try:
                setattr(filters, attribute, at_minutes(parse_date(raw, key), shift))
            except Invalid as error:
                errors.update(error.fields)
    if filters.since and filters.until and filters.until <= filters.since:
        errors["to"] = _l("The end comes before the start.")
    if errors:
        raise Invalid(fields=errors)
    return filters


def events_page(
    actor: Actor | None, filters: Filters, before: str | None = None, limit: Any = None
) -> Page[AuditEvent]:
    """Entries matching `filters`, newest first (staff only)."""
    require_staff(actor)
    size = parse_limit(limit, PAGE_SIZE, 200)
    query = select(AuditEvent).order_by(AuditEvent.id.desc())
    if filters.action:
        query = query.where(AuditEvent.action == filters.action)
    if filters.actor_id is not None:
        query = query.where(AuditEvent.actor_id == filters.actor_id)
    if filters.subject_id is not None:
        query = query.where(AuditEvent.subject_id == filters.subject_id)
    if filters.since:
        query = query.where(AuditEvent.created_at >= filters.since)
    if filters.until:
        query = query.where(AuditEvent.created_at < filters.until)
    after = decode_cursor(before, (int,))
    if after:
        query = query.where(AuditEvent.id < after[0])
    rows = list(db.session.scalars(query.limit(size + 1)))
    more = len(rows) > size
    rows = rows[:size]
    return Page(rows, encode_cursor([rows[-1].id]) if more and rows else None)


def actions() -> list[str]:
    """The actions the log holds, for the filter's choices."""
    return list(db.session.scalars(select(AuditEvent.action).distinct().order_by("action")))


def chain_state(actor: Actor | None, check: bool) -> tuple[Any, audit.Verdict | None]:
    """The head row (None before any entry) and, when `check`, the verification's verdict."""
    require_staff(actor)
    head = audit.head_of(db.session)
    return head, audit.verify(db.session) if check else None
