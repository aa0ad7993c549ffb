"""Reads of the service desk: the catalogue, a member's requests, the staff queue (keyset
pages on the indexes of `ServiceRequest`), a request's thread, the dashboard and the FAQ."""

import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, bindparam, func, or_, select
from sqlalchemy.orm import aliased, joinedload, selectinload

from network.cooperative import cooperative_today
from network.core.errors import Invalid
from network.core.ids import parse_id
from network.core.pagination import Page, decode_cursor, encode_cursor, parse_limit
from network.core.permissions import is_staff
from network.core.text import fold
from network.extensions import db
from network.members.models import Member
from network.services.desk.models import (
    COMMENTED,
    FaqEntry,
    RequestEvent,
    RequestFile,
    RequestMessage,
    RequestState,
    Service,
    ServiceRequest,
)
from network.services.desk.operations import STAFF_ROLES, overdue_clause, reads_english


def catalogue(viewer: Any, *, everything: bool = False) -> list[Service]:
    """The services a member may ask, in the team's order (`everything`: staff's view with
    the hidden and retired ones)."""
    query = select(Service).order_by(Service.position, Service.id)
    if not (everything and is_staff(viewer)):
        query = query.where(Service.is_hidden.is_(False), Service.retired_at.is_(None))
    return list(db.session.scalars(query))


def service_teams() -> dict[int, tuple[str, str]]:
    """id → (name in the reader's language, team) of every service."""
    english = reads_english()
    return {
        service_id: (name_en if english and name_en else name_fr, team.value)
        for service_id, name_fr, name_en, team in db.session.execute(
            select(Service.id, Service.name_fr, Service.name_en, Service.team)
        )
    }


def service_choices(*, visible_only: bool = False) -> list[tuple[int, str]]:
    """(id, name in the reader's language) of every service (`visible_only`: those members
    may ask), in the catalogue's order."""
    english = reads_english()
    query = select(Service.id, Service.name_fr, Service.name_en)
    if visible_only:
        query = query.where(Service.is_hidden.is_(False), Service.retired_at.is_(None))
    return [
        (service_id, name_en if english and name_en else name_fr)
        for service_id, name_fr, name_en in db.session.execute(
            query.order_by(Service.position, Service.id)
        )
    ]


def staff_choices() -> list[tuple[int, str]]:
    """(id, name) of the active members of the support team, by name."""
    rows = db.session.execute(
        select(Member.id, Member.display_name, Member.is_active).where(STAFF_ROLES)
    )
    return sorted(
        ((member_id, name) for member_id, name, active in rows if active),
        key=lambda row: fold(row[1]),
    )


def staff_members() -> list[Member]:
    found = db.session.scalars(select(Member).where(STAFF_ROLES))
    return sorted((m for m in found if m.is_active), key=lambda m: fold(m.display_name))


def _after(query: Any, cursor: str | None) -> Any:
    after = decode_cursor(cursor, (str, int))
    if after is None:
        return query
    try:
        due = date.fromisoformat(after[0])
    except ValueError:
        raise Invalid(fields={"cursor": _l("Unknown cursor.")}) from None
    return query.where(
        or_(
            ServiceRequest.due_on > due,
            and_(ServiceRequest.due_on == due, ServiceRequest.id > after[1]),
        )
    )


def _cut(rows: list[Any], size: int) -> Page[Any]:
    more = len(rows) > size
    rows = rows[:size]
    next_cursor = encode_cursor([rows[-1].due_on.isoformat(), rows[-1].id]) if more else None
    return Page(rows, next_cursor)


def _page(query: Any, cursor: str | None, limit: Any, default: int) -> Page[ServiceRequest]:
    size = parse_limit(limit, default)
    rows = list(
        db.session.scalars(
            _after(query, cursor)
            .order_by(ServiceRequest.due_on, ServiceRequest.id)
            .limit(size + 1)
            .options(*LIGHT)
        )
    )
    return _cut(rows, size)


#: A list of requests loads only what their JSON shows of their service and members (a
#: member row has JSON columns of its own: decoding them cost more than the rest).
LIGHT = (
    joinedload(ServiceRequest.service, innerjoin=True).load_only(
        Service.id, Service.name_fr, Service.name_en, Service.team
    ),
    selectinload(ServiceRequest.member).load_only(Member.id, Member.display_name),
    selectinload(ServiceRequest.assignee).load_only(Member.id, Member.display_name),
)
_ASSIGNEE = aliased(Member)
#: What a row of the queue page shows, read as plain columns (no objects: the page lists 50).
QUEUE_COLUMNS = (
    ServiceRequest.id,
    ServiceRequest.subject,
    ServiceRequest.service_id,
    ServiceRequest.state,
    ServiceRequest.is_open,
    ServiceRequest.due_on,
    ServiceRequest.first_answer_at,
    ServiceRequest.opened_on,
    Member.display_name.label("member_name"),
    _ASSIGNEE.display_name.label("assignee_name"),
    ServiceRequest.member_id,
    ServiceRequest.assignee_id,
    ServiceRequest.answers,
    ServiceRequest.opened_at,
    ServiceRequest.resolved_at,
    ServiceRequest.closed_at,
    ServiceRequest.satisfaction,
    ServiceRequest.satisfaction_comment,
    ServiceRequest.message_count,
)


@dataclass
class QueueFilters:
    service_id: int | None = None
    state: str = "open"  # "open", "all" or a RequestState
    assignee: str = ""  # "", "me", "none" or a member id
    overdue: bool = False
    errors: dict[str, Any] = field(default_factory=dict)


def parse_queue_filters(args: Any) -> QueueFilters:
    """The queue's filters from a query string; `Invalid` for an unknown value."""
    filters = QueueFilters()
    raw_service = args.get("service") or ""
    if raw_service:
        filters.service_id = parse_id(raw_service)
        if filters.service_id is None:
            raise Invalid(fields={"service": _l("Unknown service.")})
    state = args.get("state") or "open"
    if state not in {"open", "all", *(s.value for s in RequestState)}:
        raise Invalid(fields={"state": _l("Unknown state.")})
    filters.state = state
    assignee = args.get("assignee") or ""
    if assignee not in ("", "me", "none") and parse_id(assignee) is None:
        raise Invalid(fields={"assignee": _l("Unknown assignee.")})
    filters.assignee = assignee
    filters.overdue = args.get("overdue") in ("1", "true")
    return filters


def _queue_query(viewer: Any, filters: QueueFilters, query: Any) -> Any:
    if filters.state == "open":
        query = query.where(ServiceRequest.is_open.is_(True))
    elif filters.state != "all":
        query = query.where(ServiceRequest.state == RequestState(filters.state))
    if filters.service_id:
        query = query.where(ServiceRequest.service_id == filters.service_id)
    if filters.assignee == "me":
        query = query.where(ServiceRequest.assignee_id == viewer.id)
    elif filters.assignee == "none":
        query = query.where(ServiceRequest.assignee_id.is_(None))
    elif filters.assignee:
        query = query.where(ServiceRequest.assignee_id == int(filters.assignee))
    if filters.overdue:
        query = query.where(overdue_clause(cooperative_today()))
    return query


def queue(
    viewer: Any, filters: QueueFilters, cursor: str | None = None, limit: Any = None
) -> Page[ServiceRequest]:
    """The staff queue, soonest due first (staff only: the caller checks)."""
    return _page(_queue_query(viewer, filters, select(ServiceRequest)), cursor, limit, 50)


def queue_rows(
    viewer: Any, filters: QueueFilters, cursor: str | None = None, limit: Any = None
) -> Page[Any]:
    """The queue's rows (`QUEUE_COLUMNS`, for its page and the API), 50 at a time by
    default, in one statement."""
    size = parse_limit(limit, 50)
    query = (
        select(*QUEUE_COLUMNS)
        .join(Member, Member.id == ServiceRequest.member_id)
        .outerjoin(_ASSIGNEE, _ASSIGNEE.id == ServiceRequest.assignee_id)
    )
    query = _after(_queue_query(viewer, filters, query), cursor)
    rows = db.session.execute(
        query.order_by(ServiceRequest.due_on, ServiceRequest.id).limit(size + 1)
    ).all()
    return _cut(list(rows), size)


def member_requests(
    viewer: Any, before: str | None = None, limit: Any = None, member_id: int | None = None
) -> Page[ServiceRequest]:
    """A member's own requests, newest first."""
    size = parse_limit(limit, 30)
    query = select(ServiceRequest).where(ServiceRequest.member_id == (member_id or viewer.id))
    after = decode_cursor(before, (int,))
    if after is not None:
        query = query.where(ServiceRequest.id < after[0])
    rows = list(
        db.session.scalars(query.order_by(ServiceRequest.id.desc()).limit(size + 1).options(*LIGHT))
    )
    more = len(rows) > size
    rows = rows[:size]
    return Page(rows, encode_cursor([rows[-1].id]) if more else None)


def thread(viewer: Any, service_request: ServiceRequest) -> list[RequestMessage]:
    """The messages the viewer may read (internal notes: staff only), with their files."""
    query = (
        select(RequestMessage)
        .where(RequestMessage.request_id == service_request.id)
        .order_by(RequestMessage.id)
        .options(selectinload(RequestMessage.author), selectinload(RequestMessage.files))
    )
    if not is_staff(viewer):
        query = query.where(RequestMessage.is_internal.is_(False))
    return list(db.session.scalars(query))


def form_files(service_request: ServiceRequest) -> list[RequestFile]:
    return list(
        db.session.scalars(
            select(RequestFile)
            .where(RequestFile.request_id == service_request.id, RequestFile.message_id.is_(None))
            .order_by(RequestFile.id)
        )
    )


def history(service_request: ServiceRequest) -> list[RequestEvent]:
    return list(
        db.session.scalars(
            select(RequestEvent)
            .where(RequestEvent.request_id == service_request.id)
            .order_by(RequestEvent.id)
            .options(selectinload(RequestEvent.actor))
        )
    )


def readable_file(viewer: Any, file_id: int) -> RequestFile | None:
    """The file if the viewer may read it: its request is theirs (or they are staff), and it
    is not joined to an internal note (unless they are staff)."""
    found = db.session.get(RequestFile, file_id)
    if found is None:
        return None
    owner, internal = db.session.execute(
        select(ServiceRequest.member_id, RequestMessage.is_internal)
        .select_from(ServiceRequest)
        .outerjoin(RequestMessage, RequestMessage.id == found.message_id)
        .where(ServiceRequest.id == found.request_id)
    ).one()
    if is_staff(viewer):
        return found
    if owner != getattr(viewer, "id", None) or internal:
        return None
    return found


# --- the dashboard --------------------------------------------------------------------


@dataclass
class Week:
    start: date
    opened: int = 0
    resolved: int = 0


@dataclass
class ServiceFigures:
    service_id: int
    name_fr: str
    name_en: str
    opened: int = 0
    first_answer_hours: float | None = None
    resolution_hours: float | None = None
    satisfaction: float | None = None
    marks: int = 0
    comments: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Comment:
    service_id: int
    mark: int | None
    text: str
    closed_on: date | None


@dataclass
class Dashboard:
    weeks: list[Week]
    services: list[ServiceFigures]
    open_count: int
    overdue_count: int
    comments: list[Comment] = field(default_factory=list)


#: (weeks, today) → (monotonic time it expires, the dashboard): plain values, shared by the
#: requests of a process for `DESK_DASHBOARD_CACHE_SECONDS`.
_DASHBOARDS: dict[tuple[int, date], tuple[float, Dashboard]] = {}


def dashboard(weeks: int = 26) -> Dashboard:
    """Requests opened and resolved per week (Monday-started, the last `weeks`), and per
    service over the same period the medians of the time to first answer and to resolution
    and the mean satisfaction; computed at most every `DESK_DASHBOARD_CACHE_SECONDS` per
    process (two years of requests take tens of milliseconds; the charts move slowly)."""
    ttl = current_app.config.get("DESK_DASHBOARD_CACHE_SECONDS", 60)
    key = (weeks, cooperative_today())
    found = _DASHBOARDS.get(key)
    if ttl and found and found[0] > time.monotonic():
        return found[1]
    figures = _compute_dashboard(weeks, key[1])
    if ttl:
        for old in [k for k, (expires, _d) in _DASHBOARDS.items() if expires <= time.monotonic()]:
            _DASHBOARDS.pop(old, None)
        _DASHBOARDS[key] = (time.monotonic() + ttl, figures)
    return figures


def _compute_dashboard(weeks: int, today: date) -> Dashboard:
    first_monday = today - timedelta(days=today.weekday()) - timedelta(weeks=weeks - 1)
    table = [Week(first_monday + timedelta(weeks=n)) for n in range(weeks)]

    def add(column: Any, attribute: str) -> None:
        rows = db.session.execute(
            select(column, func.count()).where(column >= first_monday).group_by(column)
        )
        for day, count in rows:
            index = (day - first_monday).days // 7
            if 0 <= index < weeks:
                setattr(table[index], attribute, getattr(table[index], attribute) + count)

    add(ServiceRequest.opened_on, "opened")
    add(ServiceRequest.resolved_on, "resolved")
    figures = {
        row.id: ServiceFigures(row.id, row.name_fr, row.name_en)
        for row in db.session.execute(
            select(Service.id, Service.name_fr, Service.name_en).order_by(
                Service.position, Service.id
            )
        )
    }
    since = ServiceRequest.opened_on >= first_monday
    for service_id, count, mean, marks in db.session.execute(
        select(
            ServiceRequest.service_id,
            func.count(),
            func.avg(ServiceRequest.satisfaction),
            func.count(ServiceRequest.satisfaction),
        )
        .where(since)
        .group_by(ServiceRequest.service_id)
    ):
        if service_id in figures:
            figures[service_id].opened = count
            if marks:
                figures[service_id].satisfaction = round(float(mean), 1)
                figures[service_id].marks = marks
    for column, attribute in (
        (ServiceRequest.first_answer_minutes, "first_answer_hours"),
        (ServiceRequest.resolution_minutes, "resolution_hours"),
    ):
        for service_id, minutes in _medians(column, first_monday).items():
            if service_id in figures:
                setattr(figures[service_id], attribute, round(minutes / 60, 1))
    open_count = db.session.scalar(
        select(func.count()).select_from(ServiceRequest).where(ServiceRequest.is_open.is_(True))
    )
    overdue = db.session.scalar(
        select(func.count()).select_from(ServiceRequest).where(overdue_clause(today))
    )
    comments = [
        Comment(service_id, mark, text, closed_at.date() if closed_at else None)
        for service_id, mark, text, closed_at in db.session.execute(
            select(
                ServiceRequest.service_id,
                ServiceRequest.satisfaction,
                ServiceRequest.satisfaction_comment,
                ServiceRequest.closed_at,
            )
            .where(since, COMMENTED)
            .order_by(ServiceRequest.closed_at.desc(), ServiceRequest.id.desc())
            .limit(20)
        )
    ]
    return Dashboard(table, list(figures.values()), open_count or 0, overdue or 0, comments)


def _medians(column: Any, since: date) -> dict[int, float]:
    """service id → the median of `column` over its requests opened since `since`: each
    service's count, then its one or two middle values read at their offset on the index
    (service, column, opened on). Window functions sorted the two years' rows each time
    (50 ms each at 50,000 requests); this reads about 1 % of the index."""
    counts = db.session.execute(
        select(ServiceRequest.service_id, func.count(column))
        .where(ServiceRequest.opened_on >= since)
        .group_by(ServiceRequest.service_id)
    ).all()
    middle = (
        select(column)
        .where(
            ServiceRequest.service_id == bindparam("service"),
            column.is_not(None),
            ServiceRequest.opened_on >= bindparam("since"),
        )
        .order_by(column)
        .limit(bindparam("size"))
        .offset(bindparam("skip"))
    )
    found = {}
    connection = db.session.connection()  # Core: a few hundred small reads, no ORM around them
    for service_id, count in counts:
        if not count:
            continue
        values = connection.scalars(
            middle,
            {
                "service": service_id,
                "since": since,
                "skip": (count - 1) // 2,
                "size": 2 - count % 2,
            },
        ).all()
        found[service_id] = sum(values) / len(values)
    return found


# --- FAQ ----------------------------------------------------------------------------------


def faq_entries(viewer: Any, service_id: int | None = None, limit: int = 200) -> list[FaqEntry]:
    query = select(FaqEntry).order_by(FaqEntry.published_at.desc(), FaqEntry.id.desc())
    if not is_staff(viewer):
        query = query.where(FaqEntry.withdrawn_at.is_(None))
    if service_id:
        query = query.where(FaqEntry.service_id == service_id)
    return list(db.session.scalars(query.limit(limit)))


STOP_WORDS = frozenset(
    (
        "le",
        "la",
        "les",
        "un",
        "une",
        "des",
        "de",
        "du",
        "et",
        "ou",
        "au",
        "aux",
        "en",
        "pour",
        "par",
        "sur",
        "dans",
        "est",
        "que",
        "qui",
        "quoi",
        "mon",
        "ma",
        "mes",
        "je",
        "il",
        "elle",
        "on",
        "nous",
        "vous",
        "ce",
        "cet",
        "cette",
        "the",
        "an",
        "of",
        "to",
        "in",
        "for",
        "is",
        "my",
        "how",
        "what",
        "do",
    )
)


def faq_matches(text: str, limit: int = 5) -> list[FaqEntry]:
    """The published FAQ entries sharing the most words with `text` (the form's check
    without JavaScript; the script asks the search index)."""
    words = [w for w in fold(text).replace("'", " ").split() if len(w) > 2 and w not in STOP_WORDS][
        :8
    ]
    if not words:
        return []
    entries = list(
        db.session.scalars(select(FaqEntry).where(FaqEntry.withdrawn_at.is_(None)).limit(500))
    )
    scored = []
    for entry in entries:
        haystack = fold(f"{entry.question} {entry.answer}")
        score = sum(1 for w in words if w in haystack)
        if score:
            scored.append((score, entry.id, entry))
    scored.sort(key=lambda item: (-item[0], -item[1]))
    return [entry for _score, _id, entry in scored[:limit]]
