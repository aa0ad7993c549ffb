"""Reading decisions: the pages of decisions a member may see, who voted what (open votes),
the electorate, and a closed secret ballot's receipts."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import selectinload

from network.core.errors import Conflict, Invalid
from network.core.models import utcnow
from network.core.pagination import Page, decode_cursor, encode_cursor, parse_limit
from network.core.permissions import is_staff
from network.extensions import db
from network.governance.counting import DecisionKind
from network.governance.models import (
    Ballot,
    Decision,
    DecisionEdit,
    DecisionState,
    Elector,
    Visibility,
    Vote,
)
from network.governance.operations import prime_viewer_rows
from network.members.models import Member


def _visible_to(viewer: Any) -> Any:
    """The SQL condition of `operations.may_see`."""
    if is_staff(viewer):
        return Decision.id.is_not(None)
    mine = Decision.author_id == viewer.id
    elector = exists().where(Elector.decision_id == Decision.id, Elector.member_id == viewer.id)
    published = (Decision.state != DecisionState.DRAFT) & (
        (Decision.visibility == Visibility.COOPERATIVE) | elector
    )
    return or_(mine, published)


def decisions_page(
    viewer: Any,
    *,
    state: str | None = None,
    kind: str | None = None,
    to_vote: bool = False,
    before: str | None = None,
    limit: Any = None,
) -> Page[Decision]:
    size = parse_limit(limit, 20)
    query: Select = (
        select(Decision)
        .where(_visible_to(viewer))
        .options(selectinload(Decision.options), selectinload(Decision.author))
        .order_by(Decision.id.desc())
    )
    query = _filtered(query, viewer, state, kind, to_vote)
    cursor = decode_cursor(before, (int,))
    if cursor:
        query = query.where(Decision.id < cursor[0])
    found = list(db.session.scalars(query.limit(size + 1)))
    more = len(found) > size
    items = found[:size]
    prime_viewer_rows(viewer, [d.id for d in items])
    return Page(items, encode_cursor([items[-1].id]) if more else None)


def _filtered(query: Select, viewer: Any, state: Any, kind: Any, to_vote: bool) -> Select:
    now = utcnow()
    if state not in (None, "", "draft", "open", "closed"):
        raise Invalid(fields={"state": _l("Choose draft, open or closed.")})
    if kind not in (None, "") and kind not in {k.value for k in DecisionKind}:
        raise Invalid(fields={"kind": _l("Unknown kind of decision.")})
    if kind:
        query = query.where(Decision.kind == kind)
    is_open = (Decision.state == DecisionState.OPEN) & (Decision.closes_at > now)
    if state == "draft":
        query = query.where(Decision.state == DecisionState.DRAFT, Decision.author_id == viewer.id)
    elif state == "open":
        query = query.where(is_open)
    elif state == "closed":
        query = query.where(
            (Decision.state == DecisionState.CLOSED)
            | ((Decision.state == DecisionState.OPEN) & (Decision.closes_at <= now))
        )
    if to_vote:
        waiting = exists().where(
            Elector.decision_id == Decision.id,
            Elector.member_id == viewer.id,
            Elector.voted.is_(False),
        )
        query = query.where(is_open, waiting)
    return query


def open_to_vote_count(viewer: Any) -> int:
    """How many open decisions await the viewer's vote (the header's badge)."""
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Elector)
            .join(Decision, Decision.id == Elector.decision_id)
            .where(
                Elector.member_id == viewer.id,
                Elector.voted.is_(False),
                Decision.state == DecisionState.OPEN,
                Decision.closes_at > utcnow(),
            )
        )
        or 0
    )


@dataclass(frozen=True, slots=True)
class Person:
    """What a decision's page shows of a member: their name."""

    id: int
    display_name: str


@dataclass(frozen=True, slots=True)
class ShownVote:
    """An open vote as the page lists it (plain values, no ORM objects)."""

    member: Person
    choices: dict[str, Any]
    reason: str
    updated_at: datetime


def open_votes(decision: Decision, limit: int = 500) -> list[ShownVote]:
    """Who voted what in an open (not secret) vote, latest first (the latest `limit`)."""
    if decision.secret:
        return []
    latest = (
        select(Vote.member_id, Vote.choices, Vote.reason, Vote.updated_at)
        .where(Vote.decision_id == decision.id)
        .order_by(Vote.updated_at.desc(), Vote.id.desc())
        .limit(limit)
        .subquery()
    )
    rows = db.session.execute(
        select(latest, Member.display_name)
        .join(Member, Member.id == latest.c.member_id)
        .order_by(latest.c.updated_at.desc())
    )
    return [
        ShownVote(Person(member_id, name), choices, reason, updated_at)
        for member_id, choices, reason, updated_at, name in rows
    ]


#: Above this many electors, the page's list walks the members in name order and looks each
#: one up in the electorate (it stops at `limit`); below it, it reads the electorate and sorts.
WALK_MEMBERS_ABOVE = 2000


def electors(decision: Decision, limit: int = 1000) -> list[tuple[Person, bool]]:
    """The frozen electorate (the first `limit` by name) with who has voted (a secret
    ballot says who voted, not what)."""
    if decision.electorate_size > WALK_MEMBERS_ABOVE:
        # Members in name order (their index), each looked up in the electorate's primary
        # key: about `limit` look-ups, where sorting a large electorate reads all of it.
        voted = (
            select(Elector.voted)
            .where(Elector.decision_id == decision.id, Elector.member_id == Member.id)
            .scalar_subquery()
        )
        query = (
            select(Member.id, Member.display_name, voted)
            .where(voted.is_not(None))
            .order_by(Member.name_key, Member.id)
            .limit(limit)
        )
    else:
        query = (
            select(Member.id, Member.display_name, Elector.voted)
            .join(Elector, Elector.member_id == Member.id)
            .where(Elector.decision_id == decision.id)
            .order_by(Member.name_key, Member.id)
            .limit(limit)
        )
    return [(Person(i, name), voted) for i, name, voted in db.session.execute(query)]


def edits(decision: Decision) -> list[DecisionEdit]:
    return list(
        db.session.scalars(
            select(DecisionEdit)
            .where(DecisionEdit.decision_id == decision.id)
            .order_by(DecisionEdit.id.desc())
        )
    )


def receipts(decision: Decision) -> list[dict[str, Any]]:
    """A closed secret ballot's receipts and choices, in receipt order (random)."""
    if not decision.secret:
        return []
    if decision.state != DecisionState.CLOSED:
        raise Conflict(_l("Receipts are published when the decision closes."))
    rows = db.session.execute(
        select(Ballot.receipt, Ballot.choices, Ballot.reason)
        .where(Ballot.decision_id == decision.id)
        .order_by(Ballot.receipt)
    )
    return [{"receipt": r, "choices": c, "reason": why} for r, c, why in rows]
