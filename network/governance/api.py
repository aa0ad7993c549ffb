"""/api/v1 routes of decisions: list, draft, edit, open, close, vote, withdraw, results."""

from typing import Any

from flask import request, url_for
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
from network.core.errors import Forbidden
from network.core.ids import ID_SCHEMA
from network.extensions import db
from network.governance import operations, queries
from network.governance.counting import DecisionKind
from network.governance.models import (
    Decision,
    ElectorateKind,
    ReasonMode,
    ResultsVisibility,
    Visibility,
)
from network.governance.tally import results_of

OPTION = obj(
    id=INTEGER,
    label=STRING,
    code=STRING,
    starts_at=NULLABLE_DATE_TIME,
)
TURNOUT = obj(voted=INTEGER, electorate=INTEGER)
RESULTS = obj(
    ballots=INTEGER,
    options={"type": "array", "items": {"type": "object"}},
    winners={"type": "array", "items": INTEGER},
    rounds={"type": "array", "items": {"type": "object"}},
    blocked=BOOLEAN,
)
DECISION = obj(
    id=INTEGER,
    kind={"type": "string", "enum": [k.value for k in DecisionKind]},
    state={"type": "string", "enum": ["draft", "open", "closed"]},
    title=STRING,
    context=STRING,
    context_html=STRING,
    author=obj(id=INTEGER, name=STRING),
    electorate=obj(kind=STRING, description=STRING, size=INTEGER, binding=BOOLEAN),
    visibility=STRING,
    secret=BOOLEAN,
    reason=STRING,
    results_visibility=STRING,
    voters_add_options=BOOLEAN,
    min_choices=INTEGER,
    max_choices={"type": ["integer", "null"]},
    max_score=INTEGER,
    closes_at=NULLABLE_DATE_TIME,
    opened_at=NULLABLE_DATE_TIME,
    closed_at=NULLABLE_DATE_TIME,
    options={"type": "array", "items": OPTION},
    turnout=TURNOUT,
    can_vote=BOOLEAN,
    voted=BOOLEAN,
    my_vote={"type": ["object", "null"]},
    results_visible=BOOLEAN,
    results={"type": ["object", "null"]},
    outcome=STRING,
    outcome_html=STRING,
    review_on={"type": ["string", "null"], "format": "date"},
    url=STRING,
)
ID_LIST = {"type": "array", "items": ID_SCHEMA, "maxItems": 5000}
DECISION_BODY = obj(
    kind={"type": "string", "enum": [k.value for k in DecisionKind]},
    title={"type": "string", "maxLength": operations.MAX_TITLE},
    context={"type": "string", "maxLength": operations.MAX_CONTEXT},
    options={
        "type": "array",
        "maxItems": operations.MAX_OPTIONS,
        "items": STRING,
        "description": "labels; a date poll's are ISO 8601 dates and times",
    },
    closes_at={"type": "string", "format": "date-time"},
    electorate={"type": "string", "enum": [k.value for k in ElectorateKind]},
    statuses={"type": "array", "items": STRING},
    group=STRING,
    group_id=ID_SCHEMA,
    members=ID_LIST,
    visibility={"type": "string", "enum": [k.value for k in Visibility]},
    secret=BOOLEAN,
    reason={"type": "string", "enum": [k.value for k in ReasonMode]},
    results={"type": "string", "enum": [k.value for k in ResultsVisibility]},
    voters_add_options=BOOLEAN,
    min_choices={"type": "integer", "minimum": 1, "maximum": operations.MAX_OPTIONS},
    max_choices={"type": ["integer", "null"], "minimum": 1, "maximum": operations.MAX_OPTIONS},
    max_score={"type": "integer", "minimum": 1, "maximum": operations.MAX_SCORE},
    remind=BOOLEAN,
)
VOTE_BODY = obj(
    choice=ID_SCHEMA,
    choices={"type": "array", "items": ID_SCHEMA},
    ranking={"type": "array", "items": ID_SCHEMA},
    scores={"type": "object", "additionalProperties": {"type": "integer"}},
    answers={
        "type": "object",
        "additionalProperties": {"type": "string", "enum": ["yes", "maybe", "no"]},
    },
    reason={"type": "string", "maxLength": operations.MAX_REASON},
    receipt={"type": "string", "description": "a secret ballot's receipt code, to change it"},
)


def turnout_of(decision: Decision) -> dict[str, int]:
    return {"voted": decision.vote_count, "electorate": decision.electorate_size}


def tally_payload(decision: Decision) -> dict[str, Any]:
    """What `decision_tally` carries (the results room may see them)."""
    return {
        "decision_id": decision.id,
        "state": str(operations.state_of(decision)),
        "turnout": turnout_of(decision),
        "results": results_of(decision) if decision.state != "draft" else None,
    }


def decision_json(decision: Decision, viewer: Any) -> dict[str, Any]:
    elector = operations.is_elector(viewer, decision)
    voted = elector and operations.has_voted(viewer, decision)
    visible = operations.may_see_results(viewer, decision)
    vote = operations.my_vote(viewer, decision) if voted else None
    return {
        "id": decision.id,
        "kind": decision.kind.value,
        "state": str(operations.state_of(decision)),
        "title": decision.title,
        "context": decision.context,
        "context_html": decision.context_html,
        "author": {"id": decision.author_id, "name": operations.author_name(decision)},
        "electorate": {
            "kind": decision.electorate_kind.value,
            "description": str(operations.electorate_description(decision)),
            "size": decision.electorate_size,
            "binding": decision.electorate_kind == ElectorateKind.ASSOCIATES,
        },
        "visibility": decision.visibility.value,
        "secret": decision.secret,
        "reason": decision.reason_mode.value,
        "results_visibility": decision.results_visibility.value,
        "voters_add_options": decision.voters_add_options,
        "min_choices": decision.min_choices,
        "max_choices": decision.max_choices,
        "max_score": decision.max_score,
        "closes_at": iso_or_none(decision.closes_at),
        "opened_at": iso_or_none(decision.opened_at),
        "closed_at": iso_or_none(decision.closed_at),
        "options": [
            {
                "id": o.id,
                "label": operations.option_label(o, decision.kind),
                "code": o.code,
                "starts_at": iso_or_none(o.starts_at),
            }
            for o in operations.options_of(decision)
        ],
        "turnout": turnout_of(decision),
        "can_vote": elector and decision.state == "open" and not operations.is_closed(decision),
        "voted": voted,
        "my_vote": {"choices": vote.choices, "reason": vote.reason} if vote else None,
        "results_visible": visible,
        "results": results_of(decision) if visible else None,
        "outcome": decision.outcome,
        "outcome_html": decision.outcome_html,
        "review_on": decision.review_on.isoformat() if decision.review_on else None,
        "url": url_for("governance.decision", decision_id=decision.id),
    }


@bp.get("/decisions")
@doc(
    "Decisions the viewer may see, newest first",
    params=[
        query_param(
            "state",
            "draft (mine), open or closed",
            {"type": "string", "enum": ["draft", "open", "closed"]},
        ),
        query_param(
            "kind", "only this kind", {"type": "string", "enum": [k.value for k in DecisionKind]}
        ),
        query_param(
            "mine", "1: only those awaiting my vote", {"type": "string", "enum": ["0", "1"]}
        ),
        query_param("before", "the `next` cursor of the previous page"),
        limit_param(20, 100),
    ],
    response=items_of(DECISION, next={"type": ["string", "null"]}),
    errors=(422,),
)
def list_decisions():
    page = queries.decisions_page(
        current_user,
        state=request.args.get("state"),
        kind=request.args.get("kind"),
        to_vote=request.args.get("mine") == "1",
        before=request.args.get("before"),
        limit=request.args.get("limit"),
    )
    return {"items": [decision_json(d, current_user) for d in page.items], "next": page.next_cursor}


@bp.post("/decisions")
@doc(
    "Draft a decision (open it with /open)",
    status=201,
    request_schema=DECISION_BODY,
    response=DECISION,
    errors=(403, 422),
)
def create_decision():
    decision = operations.create_decision(current_user, json_body())
    db.session.commit()
    return decision_json(decision, current_user), 201


@bp.get("/decisions/<int:decision_id>")
@doc(
    "A decision, with the viewer's vote and the results when they may see them",
    response=DECISION,
    errors=(404,),
)
def get_decision(decision_id: int):
    return decision_json(operations.get_decision(current_user, decision_id), current_user)


@bp.patch("/decisions/<int:decision_id>")
@doc(
    "Edit a draft; an open decision's question and options until the first vote, or extend "
    "it with a later `closes_at`",
    request_schema=DECISION_BODY,
    response=DECISION,
    errors=(403, 404, 409, 422),
)
def update_decision(decision_id: int):
    decision = operations.get_decision(current_user, decision_id)
    operations.update_decision(current_user, decision, json_body())
    db.session.commit()
    return decision_json(decision, current_user)


@bp.post("/decisions/<int:decision_id>/open")
@doc("Open the vote: the electorate is frozen now", response=DECISION, errors=(403, 404, 409, 422))
def open_decision(decision_id: int):
    decision = operations.get_decision(current_user, decision_id)
    operations.open_decision(current_user, decision)
    db.session.commit()
    return decision_json(decision, current_user)


@bp.post("/decisions/<int:decision_id>/close")
@doc(
    "Close the vote now (its author or the support team)", response=DECISION, errors=(403, 404, 409)
)
def close_decision(decision_id: int):
    decision = operations.get_decision(current_user, decision_id)
    operations.close_decision(current_user, decision)
    db.session.commit()
    return decision_json(decision, current_user)


@bp.put("/decisions/<int:decision_id>/vote")
@doc(
    "Vote or change your vote: `choice` (proposal, consent, single choice), `choices` "
    "(multiple), `ranking` (ranked choice), `scores` (score; date poll 0 no, 1 maybe, 2 yes) "
    "or `answers` (date poll); a secret ballot answers its receipt code",
    request_schema=VOTE_BODY,
    response=obj(
        secret=BOOLEAN, receipt=STRING, choices={"type": "object"}, reason=STRING, updated_at=STRING
    ),
    errors=(403, 404, 409, 422),
)
def vote(decision_id: int):
    decision = operations.get_decision(current_user, decision_id)
    answer = operations.cast_vote(current_user, decision, json_body())
    db.session.commit()
    return answer


@bp.delete("/decisions/<int:decision_id>/vote")
@doc(
    "Withdraw your vote before the close (a secret ballot: `?receipt=` its code)",
    status=204,
    params=[query_param("receipt", "a secret ballot's receipt code")],
    errors=(403, 404, 409, 422),
)
def withdraw_vote(decision_id: int):
    decision = operations.get_decision(current_user, decision_id)
    operations.withdraw_vote(current_user, decision, request.args.get("receipt"))
    db.session.commit()
    return "", 204


@bp.post("/decisions/<int:decision_id>/options")
@doc(
    "Add an option (where the decision lets voters add them)",
    status=201,
    request_schema={"type": "object", "required": ["label"], "properties": {"label": STRING}},
    response=OPTION,
    errors=(403, 404, 409, 422),
)
def add_option(decision_id: int):
    decision = operations.get_decision(current_user, decision_id)
    option = operations.add_option(current_user, decision, json_body().get("label"))
    db.session.commit()
    return {
        "id": option.id,
        "label": option.label,
        "code": option.code,
        "starts_at": iso_or_none(option.starts_at),
    }, 201


@bp.put("/decisions/<int:decision_id>/outcome")
@doc(
    "Write the outcome after the close, with an optional `review_on` date",
    request_schema={
        "type": "object",
        "required": ["outcome"],
        "properties": {
            "outcome": STRING,
            "review_on": {"type": ["string", "null"], "format": "date"},
        },
    },
    response=DECISION,
    errors=(403, 404, 409, 422),
)
def write_outcome(decision_id: int):
    decision = operations.get_decision(current_user, decision_id)
    data = json_body()
    operations.write_outcome(current_user, decision, data.get("outcome"), data.get("review_on"))
    db.session.commit()
    return decision_json(decision, current_user)


@bp.get("/decisions/<int:decision_id>/results")
@doc(
    "The results, when the viewer may see them (403 while hidden)",
    response=obj(turnout=TURNOUT, state=STRING, results=RESULTS, decision_id=INTEGER),
    errors=(403, 404),
)
def results(decision_id: int):
    decision = operations.get_decision(current_user, decision_id)
    if not operations.may_see_results(current_user, decision):
        raise Forbidden(operations.results_hidden_reason(decision))
    return tally_payload(decision)


@bp.get("/decisions/<int:decision_id>/receipts")
@doc(
    "A closed secret ballot's receipt codes and choices, to check one's ballot was counted",
    response=items_of(obj(receipt=STRING, choices={"type": "object"}, reason=STRING)),
    errors=(404, 409),
)
def receipts(decision_id: int):
    decision = operations.get_decision(current_user, decision_id)
    return {"items": queries.receipts(decision)}
