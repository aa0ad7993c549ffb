"""Socket.IO events of governance: watch a decision's live turnout and tally.

`watch_decision {decision_id}` joins `decision:<id>` and, when the member may see the
results now, `decision:<id>:results`; acknowledged `{ok: true, decision_id, results}` or
`{ok: false, error, status}` (404 for a decision the member may not see). Sent again after
voting, it lets a voter in where results show after voting. `unwatch_decision` leaves both.
"""

from flask_socketio import join_room, leave_room

from network.core.realtime import acknowledged
from network.governance import live, operations
from network.members.models import Member


def register_governance_handlers() -> None:
    @acknowledged("watch_decision")
    def _watch(member: Member, data: dict) -> dict:
        decision = operations.get_decision(member, data.get("decision_id"))
        join_room(live.decision_room(decision.id))
        results = operations.may_see_results(member, decision)
        if results:
            join_room(live.results_room(decision.id))
        return {"decision_id": decision.id, "results": results}

    @acknowledged("watch_assembly")
    def _watch_assembly(member: Member, data: dict) -> dict:
        from network.governance.assemblies import get_assembly, quorum

        assembly = get_assembly(member, data.get("assembly_id"))
        join_room(live.assembly_room(assembly.id))
        return {"assembly_id": assembly.id, "quorum": quorum(assembly)}

    @acknowledged("unwatch_decision")
    def _unwatch(member: Member, data: dict) -> dict:
        decision = operations.get_decision(member, data.get("decision_id"))
        leave_room(live.decision_room(decision.id))
        leave_room(live.results_room(decision.id))
        return {"decision_id": decision.id}
