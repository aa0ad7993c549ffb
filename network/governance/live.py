"""What a decision tells connected clients, once the change is committed.

Rooms: `decision:<id>` (everyone watching it: turnout) and `decision:<id>:results` (those
who may see its results now). `decision_tally {decision_id, state, turnout, results?}` goes
to the results room while the decision is open, to every watcher once it is closed. Under
a stream of votes the tally is counted and sent at most once per `TALLY_WINDOW_MS`: by the
first request that commits once the window has ended, or else at the window's end.
"""

import threading
import time
from dataclasses import dataclass
from typing import Any

from flask import current_app

from network.core.database import write_intent
from network.core.events import after_commit
from network.extensions import db, socketio


def decision_room(decision_id: int) -> str:
    return f"decision:{decision_id}"


def results_room(decision_id: int) -> str:
    return f"decision:{decision_id}:results"


@dataclass
class _Window:
    """Sends of one (send, object id): when the last one began, whether a change came
    since, and whether a background send is planned for the window's end."""

    last: float = float("-inf")
    changed: bool = False
    planned: bool = False


_windows: dict[tuple[Any, int], _Window] = {}
_lock = threading.Lock()


def gathered(send: Any, object_id: int) -> None:
    """Run `send(object_id)` once the current transaction commits, at most once per
    `TALLY_WINDOW_MS` (0: at once), in a context of its own."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    after_commit(db.session, _plan, app, send, object_id)


def _plan(app: Any, send: Any, object_id: int) -> None:
    """Send now when the window since the last send has ended — the commit that crosses
    it starts the send, at once, in a task of its own (the request answers meanwhile and
    gives its writer turn and connection back) —, else mark the change and plan one send at
    the window's end in case no commit comes by then.

    Under a burst the sends are on time: a task sleeping until the window's end must then
    wait its turn among the busy requests (meter p99 1.4 s at 20 clients sending as fast
    as they can), while some commit always crosses the window's end."""
    window = app.config["TALLY_WINDOW_MS"] / 1000
    if window <= 0:
        _in_own_context(app, send, object_id)
        return
    now = time.monotonic()
    with _lock:
        state = _windows.setdefault((send, object_id), _Window())
        due = now - state.last >= window
        if due:
            state.last, state.changed = now, False
        else:
            state.changed = True
            plan, state.planned = not state.planned, True
    if due:
        socketio.start_background_task(_in_own_context, app, send, object_id)
    elif plan:
        socketio.start_background_task(_at_window_end, app, send, object_id, window)


def _at_window_end(app: Any, send: Any, object_id: int, window: float) -> None:
    """The last changes of a window that no later request sent."""
    while True:
        with _lock:
            state = _windows[(send, object_id)]
            wait = state.last + window - time.monotonic()
            if wait <= 0:
                state.planned = False
                if not state.changed:
                    _windows.pop((send, object_id), None)  # nothing left to send
                    return
                state.last, state.changed = time.monotonic(), False
                break
        socketio.sleep(wait)
    _in_own_context(app, send, object_id)


def _in_own_context(app: Any, send: Any, object_id: int) -> None:
    """In an application context of its own: its own session (the committing one is done),
    reading only: a plain BEGIN, never SQLite's write lock (a background task takes no
    writer turn; a BEGIN IMMEDIATE here would wait in SQLite's busy handler, stalling the
    whole process, while a request writes)."""
    with app.app_context(), write_intent(False):
        try:
            send(object_id)
        finally:
            db.session.remove()


def schedule_tally(decision_id: int) -> None:
    """Send the decision's turnout and tally after the commit (gathered under load)."""
    gathered(send_tally, decision_id)


def send_tally(decision_id: int) -> None:
    from network.governance.api import tally_payload
    from network.governance.models import Decision

    decision = db.session.get(Decision, decision_id)
    if decision is None:
        return
    db.session.refresh(decision)
    payload = tally_payload(decision)
    closed = payload["state"] == "closed"
    socketio.emit(
        "decision_turnout",
        {k: payload[k] for k in ("decision_id", "state", "turnout")},
        to=decision_room(decision_id),
    )
    socketio.emit(
        "decision_tally",
        payload,
        to=decision_room(decision_id) if closed else results_room(decision_id),
    )


# --- general assemblies ----------------------------------------------------------------


def assembly_room(assembly_id: int) -> str:
    return f"assembly:{assembly_id}"


def schedule_quorum(assembly_id: int) -> None:
    """Send `assembly_quorum` to the assembly's room after the commit (gathered under load)."""
    gathered(_send_quorum, assembly_id)


def schedule_turnout(resolution_id: int) -> None:
    """A vote was cast: the quorum meter and the resolution's turnout, after the commit."""
    from network.governance.models import Resolution

    resolution = db.session.get(Resolution, resolution_id)
    if resolution is not None:
        schedule_quorum(resolution.assembly_id)


def _send_quorum(assembly_id: int) -> None:
    from network.governance.assemblies import quorum, turnouts
    from network.governance.models import Assembly

    assembly = db.session.get(Assembly, assembly_id)
    if assembly is not None:
        payload = quorum(assembly) | {"turnout": turnouts(assembly)}
        socketio.emit("assembly_quorum", payload, to=assembly_room(assembly_id))


def resolution_event(name: str, resolution: Any) -> None:
    """`resolution_opened` / `resolution_closed` (with the verdict) to the assembly's room."""
    payload = {
        "resolution_id": resolution.id,
        "assembly_id": resolution.assembly_id,
        "state": resolution.state.value,
        "verdict": resolution.verdict,
    }
    after_commit(db.session, socketio.emit, name, payload, to=assembly_room(resolution.assembly_id))
