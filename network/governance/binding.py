"""Binding decisions other modules ask of the associates (through the kernel's
`open_binding_decision`): a proposal to the associates, its outcome told when it closes."""

from typing import Any

from network.core import audit
from network.core.registries import BindingQuestion, register_binding_decision_opener
from network.extensions import db
from network.governance.counting import AGREE
from network.governance.models import Decision


def open_for(actor: Any, question: BindingQuestion) -> int:
    """A proposal voted by the associates only, seen by them only, opened now."""
    from network.governance.operations import create_decision, open_decision

    decision = create_decision(
        actor,
        {
            "kind": "proposal",
            "title": question.title[:200],
            "context": question.context,
            "closes_at": question.closes_at.isoformat(),
            "electorate": "associates",
            "visibility": "electorate",
            "results": "after_close",
        },
    )
    open_decision(actor, decision)
    audit.record(
        db.session,
        "binding_decision_requested",
        actor_id=actor.id,
        decision_id=decision.id,
        subject=question.subject,
    )
    return decision.id


def approved(decision: Decision) -> bool:
    """Carried: "agree" alone has the most votes, and nobody blocked."""
    results = decision.results or {}
    agree = [o.id for o in decision.options if o.code == AGREE]
    return not results.get("blocked") and results.get("winners") == agree


register_binding_decision_opener(open_for)
