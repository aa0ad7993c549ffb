"""What governance brings to the feed (an opened decision, voted inline; a general
assembly's convocation) and to the notification centre (opened, reminder, closed, outcome,
review, convocation)."""

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from network.core.registries import (
    Delivery,
    FeedKind,
    register_feed_kind,
    register_notification_kind,
)
from network.extensions import db
from network.governance.assemblies import may_see as assemblies_may_see
from network.governance.models import Assembly, Decision
from network.governance.operations import (
    may_see,
    prime_authors,
    prime_options,
    prime_viewer_rows,
)

for _name, _label, _default in (
    ("decision_opened", _l("A decision opens and you vote in it"), Delivery.IMMEDIATELY),
    ("decision_reminder", _l("The last hours to vote in a decision"), Delivery.IMMEDIATELY),
    ("decision_closed", _l("A decision you vote in is closed"), Delivery.DAILY),
    ("decision_outcome", _l("The outcome of a decision is published"), Delivery.DAILY),
    ("decision_review", _l("The review date of your decision's outcome"), Delivery.IMMEDIATELY),
    ("assembly_convened", _l("Your convocation to a general assembly"), Delivery.IMMEDIATELY),
):
    register_notification_kind(_name, _label, _default)


def load_decisions(ids: list[int], viewer: Any = None) -> dict[int, Decision]:
    """The decisions, with what their cards ask of `viewer` (elector rows, votes) and their
    options and authors' names read at once."""
    found = {d.id: d for d in db.session.scalars(select(Decision).where(Decision.id.in_(ids)))}
    prime_options(found)
    prime_viewer_rows(viewer, found)
    prime_authors(found.values())
    return found


def _data(decision: Decision, viewer: Any) -> dict[str, Any]:
    from network.governance.api import decision_json

    return {"decision": decision_json(decision, viewer)}


def load_assemblies(ids: list[int], viewer: Any = None) -> dict[int, Assembly]:
    """The convened assemblies of the feed, with their agendas (counted by their cards)."""
    query = select(Assembly).where(Assembly.id.in_(ids)).options(selectinload(Assembly.resolutions))
    return {a.id: a for a in db.session.scalars(query)}


def _assembly_data(assembly: Assembly, viewer: Any) -> dict[str, Any]:
    from network.governance.assembly_api import assembly_json

    return {"assembly": assembly_json(assembly)}


register_feed_kind(
    FeedKind(
        "assembly",
        _l("General assemblies"),
        "governance/_feed_assembly.html",
        load_assemblies,
        assemblies_may_see,
        _assembly_data,
    )
)

register_feed_kind(
    FeedKind(
        "decision",
        _l("Decisions"),
        "governance/_feed_decision.html",
        load_decisions,
        may_see,
        _data,
    )
)
