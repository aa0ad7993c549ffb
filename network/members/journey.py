"""The CAE journey's rules: which career stage may follow which, and the associate deadline.

Pure functions over stages and settings, so the rules are easy to read and to test.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from network.members.models import CareerStage, StageKind, Status

S = Status
NOT_ALUMNI: set[Status | None] = {status for status in S if status is not S.ALUMNUS}
ALLOWED_TRANSITIONS: dict[StageKind, tuple[set[Status | None], set[Status]]] = {
    StageKind.ENTRY: ({None, S.ALUMNUS}, set(S) - {S.ALUMNUS}),
    StageKind.CONTRACT: (
        {S.CANDIDATE, S.SUPPORT_CONTRACT},
        {S.SUPPORT_CONTRACT, S.EMPLOYEE_ENTREPRENEUR},
    ),
    StageKind.AMENDMENT: (
        {S.SUPPORT_CONTRACT, S.EMPLOYEE_ENTREPRENEUR, S.ASSOCIATE},
        {S.SUPPORT_CONTRACT, S.EMPLOYEE_ENTREPRENEUR, S.ASSOCIATE},
    ),
    StageKind.ASSOCIATE_ADMISSION: ({S.EMPLOYEE_ENTREPRENEUR}, {S.ASSOCIATE}),
    StageKind.EXIT: (NOT_ALUMNI, {S.ALUMNUS}),
}
#: The resulting status when a stage kind has only one possible outcome.
IMPLIED_STATUS = {StageKind.ASSOCIATE_ADMISSION: S.ASSOCIATE, StageKind.EXIT: S.ALUMNUS}


@dataclass(frozen=True)
class Period:
    status: Status
    start: date
    end: date | None  # None: still running


def ordered(stages: Sequence[CareerStage]) -> list[CareerStage]:
    return sorted(stages, key=lambda s: (s.effective_on, s.id or 0))


def periods(stages: Sequence[CareerStage]) -> list[Period]:
    """Consecutive periods of one status (amendments do not split a period)."""
    result: list[Period] = []
    for stage in ordered(stages):
        if result and result[-1].status == stage.status:
            continue
        if result:
            last = result[-1]
            result[-1] = Period(last.status, last.start, stage.effective_on)
        result.append(Period(stage.status, stage.effective_on, None))
    return result


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate_day in (day.day, 30, 29, 28):
        try:
            return date(year, month, candidate_day)
        except ValueError:
            continue
    raise ValueError(day)


def associate_deadline(stages: Sequence[CareerStage], years: int, deduct_cape: bool) -> date | None:
    """CESA start + `years`, minus the days spent under CAPE before it (when `deduct_cape`).

    Only for a member currently under CESA; the current CESA period counts, and CAPE periods
    since the member's latest entry.
    """
    spans = periods(stages)
    if not spans or spans[-1].status != Status.EMPLOYEE_ENTREPRENEUR:
        return None
    cesa_start = spans[-1].start
    journey_start = max((p.start for p in spans if p.status == Status.CANDIDATE), default=None)
    cape_days = 0
    if deduct_cape:
        for period in spans[:-1]:
            after_entry = journey_start is None or period.start >= journey_start
            if period.status == Status.SUPPORT_CONTRACT and period.end and after_entry:
                cape_days += (period.end - period.start).days
    return add_years(cesa_start, years) - timedelta(days=cape_days)


def cape_renewals(stages: Sequence[CareerStage]) -> int:
    """Amendments recorded during the current CAPE period."""
    spans = periods(stages)
    if not spans or spans[-1].status != Status.SUPPORT_CONTRACT:
        return 0
    start = spans[-1].start
    return sum(
        1
        for s in stages
        if s.kind == StageKind.AMENDMENT
        and s.effective_on >= start
        and s.status == Status.SUPPORT_CONTRACT
    )


def cape_end(stages: Sequence[CareerStage], months: int) -> date | None:
    """The end of the current CAPE term: the latest CAPE contract or amendment + `months`."""
    spans = periods(stages)
    if not spans or spans[-1].status != Status.SUPPORT_CONTRACT:
        return None
    latest = max(s.effective_on for s in stages if s.status == Status.SUPPORT_CONTRACT)
    return add_months(latest, months)
