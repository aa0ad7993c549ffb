"""The members' follow-up lists on the staff home: associate deadlines and CAPE contracts
ending (see `network.core.staff_lists`)."""

from datetime import date, timedelta
from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from network.cooperative import cooperative_today, current_settings
from network.core.staff_lists import Column, StaffList, register_staff_list
from network.extensions import db
from network.members import journey, queries
from network.members.models import Member, Status

MEMBER = Column("member", _l("Member"))
EMAIL = Column("email", _l("E-mail"))
DAYS = Column("days_left", _l("Days left (negative: overdue)"), "days")


def _member_cells(member: Member) -> dict[str, Any]:
    return {
        "member_id": member.id,
        "member": member.display_name,
        "email": member.email,
        "_url": url_for("staff.member_detail", member_id=member.id),
    }


def associate_deadlines(full: bool = False, today: date | None = None) -> list[dict[str, Any]]:
    """CESA members whose associate deadline is past or within the warning window,
    the most overdue first."""
    today = today or cooperative_today()
    return [
        {
            **_member_cells(member),
            "deadline": member.associate_deadline,
            "days_left": (member.associate_deadline - today).days,
        }
        for member in queries.members_nearing_deadline(today)
        if member.associate_deadline is not None
    ]


def cape_contracts_ending(full: bool = False, today: date | None = None) -> list[dict[str, Any]]:
    """Members under CAPE whose current term ends within `cape_ending_warning_days` (or has
    ended without a new stage recorded), the soonest first."""
    today = today or cooperative_today()
    settings = current_settings()
    horizon = today + timedelta(days=settings["cape_ending_warning_days"])
    members = db.session.scalars(
        select(Member)
        .where(Member.is_active.is_(True), Member.status == Status.SUPPORT_CONTRACT)
        .options(selectinload(Member.stages))
    )
    rows = []
    for member in members:
        end = journey.cape_end(member.stages, settings["cape_max_months"])
        if end is None or end > horizon:
            continue
        renewals = journey.cape_renewals(member.stages)
        rows.append(
            {
                **_member_cells(member),
                "ends_on": end,
                "days_left": (end - today).days,
                "renewals": renewals,
                "renewals_left": max(0, settings["cape_max_renewals"] - renewals),
            }
        )
    return sorted(rows, key=lambda row: (row["ends_on"], row["member"]))


register_staff_list(
    StaffList(
        name="associate-deadlines",
        title=_l("Associate deadlines"),
        description=_l(
            "Entrepreneurs salariés (CESA) who must become associates: deadlines past or "
            "within the warning window."
        ),
        columns=(MEMBER, EMAIL, Column("deadline", _l("Deadline"), "date"), DAYS),
        load=associate_deadlines,
        empty=_l("Nobody is nearing the deadline."),
        position=10,
    )
)
register_staff_list(
    StaffList(
        name="cape-ending",
        title=_l("CAPE contracts ending"),
        description=_l(
            "Porteurs de projet whose CAPE term ends soon: renew it or plan what follows."
        ),
        columns=(
            MEMBER,
            EMAIL,
            Column("ends_on", _l("Term ends"), "date"),
            DAYS,
            Column("renewals", _l("Renewals used"), "count"),
            Column("renewals_left", _l("Renewals left"), "count"),
        ),
        load=cape_contracts_ending,
        empty=_l("No CAPE contract ends soon."),
        position=20,
    )
)
