"""Reads of money requests: lists, where a repayment schedule stands, and the amounts
outstanding per month for the support team."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from network.core.money import Money
from network.extensions import db
from network.services.money.models import (
    CommitteeMember,
    Instalment,
    MoneyRequest,
    RequestState,
    Schedule,
)

LIST_LIMIT = 200


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


def _loaded() -> Any:
    return select(MoneyRequest).options(
        selectinload(MoneyRequest.requester),
        selectinload(MoneyRequest.instalments),
        selectinload(MoneyRequest.opinions),
    )


def requests_of(member: Any) -> list[MoneyRequest]:
    """The member's own requests, newest first."""
    return list(
        db.session.scalars(
            _loaded()
            .where(MoneyRequest.requester_id == member.id)
            .order_by(MoneyRequest.id.desc())
            .limit(LIST_LIMIT)
        )
    )


def all_requests(states: tuple[RequestState, ...] | None = None) -> list[MoneyRequest]:
    """Every request (committee and staff), newest first; only `states` when given."""
    query = _loaded().order_by(MoneyRequest.id.desc()).limit(LIST_LIMIT)
    if states:
        query = query.where(MoneyRequest.state.in_(states))
    return list(db.session.scalars(query))


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
    Sums in whole cents."""
    rows = db.session.execute(
        select(MoneyRequest.id, MoneyRequest.repaid, Instalment.due_on, Instalment.amount)
        .join(Instalment, Instalment.request_id == MoneyRequest.id)
        .where(MoneyRequest.state == RequestState.APPROVED, Instalment.schedule == Schedule.AGREED)
        .order_by(MoneyRequest.id, Instalment.number)
    ).all()
    left: dict[int, int] = {}
    due: dict[date, int] = {}
    outstanding: dict[date, int] = {}
    for request_id, repaid, due_on, amount in rows:
        left.setdefault(request_id, repaid.cents)
        covered = min(left[request_id], amount.cents)
        left[request_id] -= covered
        month = due_on.replace(day=1)
        due[month] = due.get(month, 0) + amount.cents
        outstanding[month] = outstanding.get(month, 0) + amount.cents - covered
    return [MonthTotal(m, Money(due[m]), Money(outstanding[m])) for m in sorted(due)]


def total_outstanding() -> Money:
    totals = outstanding_by_month()
    return Money(sum(t.outstanding.cents for t in totals))
