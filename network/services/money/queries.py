"""Reads of money requests: lists, where a repayment schedule stands, and the amounts
outstanding per month for the support team."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import BigInteger, case, func, select, type_coerce
from sqlalchemy.orm import selectinload

from network.core.money import Money
from network.core.pagination import Page, decode_cursor, encode_cursor, parse_limit
from network.extensions import db
from network.services.money.models import (
    CommitteeMember,
    Instalment,
    MoneyRequest,
    Opinion,
    RequestState,
    Schedule,
)

PAGE_SIZE = 50  # requests per page of a list (the API: `limit`, at most 100)


@dataclass(frozen=True)
class InstalmentStatus:
    number: int
    due_on: date
    amount: Money
    paid: Money  # the part of it covered by repayments so far
    outstanding: Money


def instalment_status(request: MoneyRequest) -> list[InstalmentStatus]:
    """The agreed schedule with the repayments applied to the oldest instalments first."""
    left = request.repaid.cents
    rows = []
    for instalment in request.schedule(Schedule.AGREED):
        covered = min(left, instalment.amount.cents)
        left -= covered
        rows.append(
            InstalmentStatus(
                instalment.number,
                instalment.due_on,
                instalment.amount,
                Money(covered),
                Money(instalment.amount.cents - covered),
            )
        )
    return rows


def next_due(request: MoneyRequest, count: int = 3) -> list[InstalmentStatus]:
    """The next instalments still (partly) to repay."""
    if request.state != RequestState.APPROVED:
        return []
    return [row for row in instalment_status(request) if row.outstanding][:count]


def _loaded(details: bool) -> Any:
    """Requests with their requester; `details`: their schedules and opinions too (the API
    answers them; the list pages show neither)."""
    options = [selectinload(MoneyRequest.requester)]
    if details:
        options += [
            selectinload(MoneyRequest.instalments),
            selectinload(MoneyRequest.opinions).selectinload(Opinion.reviewer),
        ]
    return select(MoneyRequest).options(*options)


def requests_page(
    *,
    member: Any = None,
    states: tuple[RequestState, ...] | None = None,
    before: str | None = None,
    limit: Any = None,
    details: bool = False,
) -> Page[MoneyRequest]:
    """Requests newest first, a page at a time (`before`: the cursor of the previous page):
    `member`'s own when given, else every one (committee and staff); only `states` when
    given."""
    size = parse_limit(limit, PAGE_SIZE)
    query = _loaded(details).order_by(MoneyRequest.id.desc())
    if member is not None:
        query = query.where(MoneyRequest.requester_id == member.id)
    if states:
        query = query.where(MoneyRequest.state.in_(states))
    after = decode_cursor(before, (int,))
    if after is not None:
        query = query.where(MoneyRequest.id < after[0])
    rows = list(db.session.scalars(query.limit(size + 1)))
    more = len(rows) > size
    rows = rows[:size]
    return Page(rows, encode_cursor([rows[-1].id]) if more else None)


def committee_members() -> list[CommitteeMember]:
    return list(
        db.session.scalars(
            select(CommitteeMember)
            .options(selectinload(CommitteeMember.member))
            .order_by(CommitteeMember.added_at)
        )
    )


@dataclass(frozen=True)
class MonthTotal:
    month: date  # its first day
    due: Money  # the instalments falling due that month
    outstanding: Money  # the part of them not yet repaid


def outstanding_by_month() -> list[MonthTotal]:
    """Per month of the agreed schedules of requests being repaid: what falls due and what
    of it is still outstanding (repayments cover each request's oldest instalments first).

    Counted by the database, in whole cents: an instalment's outstanding part is what its
    request's instalments up to it add up to, less what was repaid, between 0 and its amount
    (a running sum per request); summed per due day, then per month here."""
    amount = type_coerce(Instalment.amount, BigInteger)
    running = func.sum(amount).over(partition_by=Instalment.request_id, order_by=Instalment.number)
    left = running - type_coerce(MoneyRequest.repaid, BigInteger)
    per_instalment = (
        select(
            Instalment.due_on.label("due_on"),
            amount.label("amount"),
            case((left <= 0, 0), (left >= amount, amount), else_=left).label("outstanding"),
        )
        .join(MoneyRequest, MoneyRequest.id == Instalment.request_id)
        .where(MoneyRequest.state == RequestState.APPROVED, Instalment.schedule == Schedule.AGREED)
        .subquery()
    )
    rows = db.session.execute(
        select(
            per_instalment.c.due_on,
            func.sum(per_instalment.c.amount),
            func.sum(per_instalment.c.outstanding),
        ).group_by(per_instalment.c.due_on)
    )
    due: dict[date, int] = {}
    outstanding: dict[date, int] = {}
    for day, day_due, day_outstanding in rows:
        month = day.replace(day=1)
        due[month] = due.get(month, 0) + int(day_due)
        outstanding[month] = outstanding.get(month, 0) + int(day_outstanding)
    return [MonthTotal(m, Money(due[m]), Money(outstanding[m])) for m in sorted(due)]


def total_outstanding() -> Money:
    totals = outstanding_by_month()
    return Money(sum(t.outstanding.cents for t in totals))
