"""What the services keep about a member: requests to the support desk and their thread,
money requests (see `network.core.member_data`). Requests stay at a member's exit (the
accounting and legal follow-up needs them); the member's messages in their threads are
blanked when they chose their writings deleted."""

from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from network.core.member_data import (
    Erase,
    MemberData,
    register_member_data,
    register_member_reference,
)
from network.extensions import db
from network.services.desk.models import (
    FaqEntry,
    RequestEvent,
    RequestFile,
    RequestMessage,
    ServiceRequest,
)
from network.services.money.models import CommitteeMember, MoneyRequest, Opinion, Repayment


def _request_files(member_id: int) -> list[tuple[str, str]]:
    """The files the member joined to their requests (a form's fields or their messages)."""
    rows = db.session.execute(
        select(RequestFile.id, RequestFile.key, RequestFile.name)
        .join(ServiceRequest, ServiceRequest.id == RequestFile.request_id)
        .outerjoin(RequestMessage, RequestMessage.id == RequestFile.message_id)
        .where(
            ServiceRequest.member_id == member_id,
            or_(RequestFile.message_id.is_(None), RequestMessage.author_id == member_id),
        )
    )
    return [(f"files/requests/{file_id}-{Path(name).name}", key) for file_id, key, name in rows]


def register() -> None:
    register_member_data(
        MemberData(
            "service_requests",
            ServiceRequest,
            "member_id",
            _l("Your requests to the shared services (accounting, payroll, legal…)."),
            exclude=("assignee_id",),
            files=_request_files,
        )
    )
    register_member_reference(ServiceRequest, "assignee_id")
    register_member_data(
        MemberData(
            "service_request_messages",
            RequestMessage,
            "author_id",
            _l("The messages you wrote in the threads of service requests."),
            erase=Erase.WRITINGS,
            blank={"body": "", "body_html": ""},
        )
    )
    register_member_reference(RequestEvent, "actor_id")
    register_member_reference(FaqEntry, "author_id")
    register_member_data(
        MemberData(
            "money_requests",
            MoneyRequest,
            "requester_id",
            _l("Your requests for money (advances, loans)."),
            exclude=("decided_by_id",),
        )
    )
    register_member_reference(MoneyRequest, "decided_by_id")
    register_member_data(
        MemberData(
            "money_committee",
            CommitteeMember,
            "member_id",
            _l("Your seat on the money requests committee."),
            exclude=("added_by_id",),
            erase=Erase.DELETE,
        )
    )
    register_member_reference(CommitteeMember, "added_by_id")
    register_member_data(
        MemberData(
            "money_opinions",
            Opinion,
            "reviewer_id",
            _l("Your opinions as a member of the money requests committee."),
        )
    )
    register_member_reference(Repayment, "recorded_by_id")
