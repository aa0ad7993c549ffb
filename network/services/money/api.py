"""/api/v1 routes of money requests: list, submit, read, opinions, decision, repayments.

Amounts are answered as whole cents with their text in the reader's language
(`{"cents": 123450, "text": "1 234,50 €"}`); they are sent as text ("1 234,50", "1234.50"),
as whole euros (a JSON integer) or as `{"cents": n}` — never as a JSON decimal."""

from typing import Any

from flask import request as http_request
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
    items_of,
    json_body,
    limit_param,
    obj,
    query_param,
)
from network.core.money import Money, format_money
from network.core.permissions import is_staff
from network.extensions import db
from network.services.money import operations, queries
from network.services.money.models import (
    MoneyKind,
    MoneyRequest,
    RequestState,
    Schedule,
    Stance,
)

MONEY = obj(cents=INTEGER, text=STRING)
NULLABLE_MONEY = {"type": ["object", "null"], "properties": MONEY["properties"]}
AMOUNT_IN = {
    "oneOf": [
        {"type": "string", "description": 'text, e.g. "1 234,50" or "1234.50"'},
        {"type": "integer", "description": "whole euros"},
        obj(cents=INTEGER),
    ]
}
DATE = {"type": "string", "format": "date"}
INSTALMENT = obj(number=INTEGER, due_on=DATE, amount=MONEY, paid=MONEY, outstanding=MONEY)
OPINION = obj(
    reviewer=obj(id=INTEGER, name=STRING),
    stance={"type": "string", "enum": [s.value for s in Stance]},
    reason=STRING,
    updated_at=STRING,
)
MONEY_REQUEST = obj(
    id=INTEGER,
    kind={"type": "string", "enum": [k.value for k in MoneyKind]},
    state={"type": "string", "enum": [s.value for s in RequestState]},
    amount=MONEY,
    purpose=STRING,
    requester=obj(id=INTEGER, name=STRING),
    created_at=STRING,
    proposed_schedule={"type": "array", "items": INSTALMENT},
    schedule={"type": "array", "items": INSTALMENT, "description": "the agreed one"},
    approved_amount=NULLABLE_MONEY,
    decision_reason=STRING,
    decided_at=NULLABLE_DATE_TIME,
    associates_decision_id={"type": ["integer", "null"]},
    repaid=MONEY,
    balance=MONEY,
    next_due={"type": "array", "items": INSTALMENT},
    recused=BOOLEAN,
    can_review=BOOLEAN,
    opinions={
        "type": ["array", "null"],
        "items": OPINION,
        "description": "null for the requester and recused reviewers",
    },
    url=STRING,
)
SCHEDULE_IN = {
    "months": {"type": "integer", "minimum": 1, "description": "split evenly, to the cent"},
    "amounts": {"type": "array", "items": AMOUNT_IN, "description": "one per month"},
    "first_due_on": {**DATE, "description": "default: the 5th of next month"},
}
REQUEST_BODY = {
    "type": "object",
    "required": ["kind", "amount", "purpose", "client_id"],
    "properties": {
        "kind": {"type": "string", "enum": [k.value for k in MoneyKind]},
        "amount": AMOUNT_IN,
        "purpose": {"type": "string", "maxLength": operations.MAX_PURPOSE},
        "client_id": {
            "type": "string",
            "maxLength": 64,
            "description": "a unique id of this submit: sending it again returns the request",
        },
        **SCHEDULE_IN,
    },
}


def money_json(money: Money) -> dict[str, Any]:
    return {"cents": money.cents, "text": format_money(money)}


def _instalments(request: MoneyRequest, which: Schedule) -> list[dict[str, Any]]:
    if which == Schedule.AGREED:
        return [_status_json(row) for row in queries.instalment_status(request)]
    return [
        {
            "number": i.number,
            "due_on": i.due_on.isoformat(),
            "amount": money_json(i.amount),
            "paid": money_json(Money(0)),
            "outstanding": money_json(i.amount),
        }
        for i in request.schedule(which)
    ]


def _status_json(row: queries.InstalmentStatus) -> dict[str, Any]:
    return {
        "number": row.number,
        "due_on": row.due_on.isoformat(),
        "amount": money_json(row.amount),
        "paid": money_json(row.paid),
        "outstanding": money_json(row.outstanding),
    }


def request_json(request: MoneyRequest, viewer: Any) -> dict[str, Any]:
    opinions = None
    if operations.may_see_opinions(viewer, request):
        opinions = [
            {
                "reviewer": {"id": o.reviewer_id, "name": o.reviewer.display_name},
                "stance": o.stance.value,
                "reason": o.reason,
                "updated_at": o.updated_at.isoformat(),
            }
            for o in request.opinions
        ]
    return {
        "id": request.id,
        "kind": request.kind.value,
        "state": request.state.value,
        "amount": money_json(request.amount),
        "purpose": request.purpose,
        "requester": {"id": request.requester_id, "name": request.requester.display_name},
        "created_at": request.created_at.isoformat(),
        "proposed_schedule": _instalments(request, Schedule.PROPOSED),
        "schedule": _instalments(request, Schedule.AGREED),
        "approved_amount": money_json(request.approved_amount) if request.approved_amount else None,
        "decision_reason": request.decision_reason,
        "decided_at": iso_or_none(request.decided_at),
        "associates_decision_id": request.associates_decision_id,
        "repaid": money_json(request.repaid),
        "balance": money_json(request.balance),
        "next_due": [_status_json(row) for row in queries.next_due(request)],
        "recused": operations.is_recused(viewer, request),
        "can_review": operations.may_review(viewer, request),
        "opinions": opinions,
        "url": url_for("money.detail", request_id=request.id),
    }


@bp.get("/money-requests")
@doc(
    "Money requests the viewer may see, newest first: their own; every one for the "
    "committee and the support team",
    params=[
        query_param("before", "the `next` cursor of the previous page"),
        limit_param(queries.PAGE_SIZE, 100),
    ],
    response=items_of(MONEY_REQUEST, next={"type": ["string", "null"]}),
    errors=(422,),
)
def list_money_requests():
    viewer = current_user
    everyone = operations.is_committee(viewer) or is_staff(viewer)
    page = queries.requests_page(
        member=None if everyone else viewer,
        before=http_request.args.get("before"),
        limit=http_request.args.get("limit"),
        details=True,
    )
    return {"items": [request_json(r, viewer) for r in page.items], "next": page.next_cursor}


@bp.post("/money-requests")
@doc(
    "Ask for a treasury advance or a loan, with a monthly schedule (`months` or `amounts`) "
    "that repays it exactly; sending again with the same client_id returns the request",
    status=201,
    request_schema=REQUEST_BODY,
    response=MONEY_REQUEST,
    also={200: "Already sent with this client_id: the request as it is"},
    errors=(403,),
)
def create_money_request():
    request, created = operations.submit_request(current_user, json_body())
    db.session.commit()
    return request_json(request, current_user), 201 if created else 200


@bp.get("/money-requests/<int:request_id>")
@doc(
    "A money request (the opinions only for reviewers who are not recused)",
    response=MONEY_REQUEST,
    errors=(404,),
)
def get_money_request(request_id: int):
    return request_json(operations.get_request(current_user, request_id), current_user)


@bp.post("/money-requests/<int:request_id>/opinions")
@doc(
    "Give or change your opinion as a committee member, with a reason; `conflict` declares "
    "a conflict of interest and recuses you",
    status=201,
    request_schema={
        "type": "object",
        "required": ["stance", "reason"],
        "properties": {
            "stance": {"type": "string", "enum": [s.value for s in Stance]},
            "reason": {"type": "string", "maxLength": operations.MAX_REASON},
        },
    },
    response=MONEY_REQUEST,
    errors=(403, 404, 409),
)
def give_money_opinion(request_id: int):
    request = operations.get_request(current_user, request_id)
    operations.give_opinion(current_user, request, json_body())
    db.session.commit()
    return request_json(request, current_user), 201


@bp.post("/money-requests/<int:request_id>/decision")
@doc(
    "The committee's decision, taken once (409 after): approved with `amount` (default: as "
    "asked) and a schedule (default: the proposed one), or refused with a `reason`; "
    "above the cooperative's threshold an approval awaits the associates' binding decision",
    request_schema={
        "type": "object",
        "required": ["approved"],
        "properties": {
            "approved": BOOLEAN,
            "amount": AMOUNT_IN,
            "reason": {"type": "string", "maxLength": operations.MAX_REASON},
            **SCHEDULE_IN,
        },
    },
    response=MONEY_REQUEST,
    errors=(403, 404, 409),
)
def decide_money_request(request_id: int):
    request = operations.get_request(current_user, request_id)
    request = operations.decide(current_user, request, json_body())
    db.session.commit()
    return request_json(request, current_user)


@bp.post("/money-requests/<int:request_id>/repayments")
@doc(
    "Record a repayment received (the support team), at most the balance",
    status=201,
    request_schema={
        "type": "object",
        "required": ["amount"],
        "properties": {
            "amount": AMOUNT_IN,
            "paid_on": {**DATE, "description": "default: today"},
            "note": {"type": "string", "maxLength": operations.MAX_NOTE},
        },
    },
    response=MONEY_REQUEST,
    errors=(403, 404, 409),
)
def record_money_repayment(request_id: int):
    request = operations.get_request(current_user, request_id)
    operations.record_repayment(current_user, request, json_body())
    db.session.commit()
    return request_json(operations.get_request(current_user, request_id), current_user), 201
