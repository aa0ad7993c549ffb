"""The count of a decision as it stands: frozen at close, else counted from its votes and
remembered until the next vote changes it."""

import json
from collections import OrderedDict
from typing import Any

from sqlalchemy import Text, cast, func, select

from network.extensions import db
from network.governance.counting import Result, count_grouped
from network.governance.models import Ballot, Decision, DecisionState, Vote

_CACHE_SIZE = 256
_counted: OrderedDict[int, tuple[tuple[int, int], Result]] = OrderedDict()


def ballots_of(decision: Decision) -> list[tuple[dict[str, int], int]]:
    """Every distinct ballot's choices (option id → value), secret ballots or open votes,
    with how many ballots are alike.

    Equal ballots are read once (`GROUP BY` the stored JSON text: a single choice has as
    many distinct ballots as options, 20,000 rankings of 6 options a few thousand), each
    distinct text parsed once, and counted once with their number (`count_grouped`).
    Reading 20,000 rows through the column's JSON type cost several times more, and
    counting 20,000 rankings one by one half of a cold count."""
    column = Ballot.choices if decision.secret else Vote.choices
    owner = Ballot.decision_id if decision.secret else Vote.decision_id
    text = cast(column, Text)
    rows = db.session.execute(select(text, func.count()).where(owner == decision.id).group_by(text))
    return [(json.loads(raw) if raw else {}, times) for raw, times in rows]  # keys: digits


def current_tally(decision: Decision) -> Result:
    from network.governance.operations import options_of, rules_of

    key = (decision.tally_version, len(options_of(decision)))
    cached = _counted.get(decision.id)
    if cached and cached[0] == key:
        _counted.move_to_end(decision.id)
        return cached[1]
    result = count_grouped(rules_of(decision), ballots_of(decision))  # type: ignore[arg-type]
    _counted[decision.id] = (key, result)
    if len(_counted) > _CACHE_SIZE:
        _counted.popitem(last=False)
    return result


def results_of(decision: Decision) -> dict[str, Any]:
    """The JSON count: the frozen one of a closed decision, else the current one."""
    if decision.state == DecisionState.CLOSED and decision.results is not None:
        return decision.results
    return current_tally(decision).to_dict()
