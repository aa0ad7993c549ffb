"""What of governance the search finds: decisions (title, context, outcome), opened ones
only, with the audience of the feed item: every member, or the electorate of a decision
shown to its electorate only (and its author and the support team)."""

from collections.abc import Iterator
from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from network.core.markup import html_text
from network.core.permissions import is_staff
from network.core.registries import (
    MEMBERS,
    Document,
    SearchKind,
    register_audience_provider,
    register_search_kind,
)
from network.extensions import db
from network.governance.feedable import load_decisions
from network.governance.models import Decision, DecisionState, Elector, Visibility
from network.governance.operations import may_see


def audience_of(decision_id: int, visibility: Visibility) -> str:
    return MEMBERS if visibility == Visibility.COOPERATIVE else f"decision:{decision_id}"


def _documents(ids: list[int]) -> Iterator[Document]:
    rows = db.session.execute(
        select(
            Decision.id,
            Decision.visibility,
            Decision.title,
            Decision.context_html,
            Decision.outcome_html,
        ).where(Decision.id.in_(ids), Decision.state != DecisionState.DRAFT)
    )
    for decision_id, visibility, title, context_html, outcome_html in rows:
        body = " ".join(filter(None, (html_text(context_html), html_text(outcome_html))))
        yield Document("decision", decision_id, audience_of(decision_id, visibility), title, body)


def _all_ids() -> list[int]:
    return list(
        db.session.scalars(select(Decision.id).where(Decision.state != DecisionState.DRAFT))
    )


def _audiences(viewer: Any) -> set[str]:
    """The decisions shown to their electorate only that the viewer may read."""
    if not getattr(viewer, "id", None):
        return set()
    restricted = (Decision.visibility == Visibility.ELECTORATE) & (
        Decision.state != DecisionState.DRAFT
    )
    query = select(Decision.id).where(restricted)
    if not is_staff(viewer):
        elector = select(Elector.decision_id).where(Elector.member_id == viewer.id)
        query = query.where(or_(Decision.author_id == viewer.id, Decision.id.in_(elector)))
    return {f"decision:{i}" for i in db.session.scalars(query)}


register_audience_provider(_audiences)
register_search_kind(
    SearchKind(
        "decision",
        _l("Decisions"),
        _documents,
        _all_ids,
        load_decisions,
        may_see,
        lambda decision: url_for("governance.decision", decision_id=decision.id),
    )
)
