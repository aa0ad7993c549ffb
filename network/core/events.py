"""After-commit side effects: queued during the transaction, run only once it commits.

A rolled-back change is never announced, indexed or mailed. Also: writes put off until just
before the commit (`before_commit`), for rows that many transactions update, so that each
holds their lock only for its commit.
"""

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from network.core.models import AnySession

log = logging.getLogger(__name__)
_KEY = "terreau_after_commit"
_BEFORE_KEY = "terreau_before_commit"


def after_commit(
    session: AnySession, callback: Callable[..., Any], *args: Any, **kwargs: Any
) -> None:
    """Run `callback(*args, **kwargs)` after `session` commits; drop it on rollback."""
    session.info.setdefault(_KEY, []).append((callback, args, kwargs))


def before_commit(
    session: AnySession, callback: Callable[..., Any], *args: Any, **kwargs: Any
) -> None:
    """Run `callback(*args, **kwargs)` when `session` commits, after everything else is
    written (a last flush first); drop it on rollback. A failure fails the commit."""
    session.info.setdefault(_BEFORE_KEY, []).append((callback, args, kwargs))


def _run_last_writes(session: Session) -> None:
    if session.get_nested_transaction() is not None or _BEFORE_KEY not in session.info:
        return  # a savepoint's commit: the writes wait for the transaction's
    session.flush()
    for callback, args, kwargs in session.info.pop(_BEFORE_KEY):
        callback(*args, **kwargs)


def run_last_writes_last() -> None:
    """Put the writes of `before_commit` after every other module's work at commit (the
    audit chain's sealing, the search documents): called once the modules are loaded."""
    if event.contains(Session, "before_commit", _run_last_writes):
        event.remove(Session, "before_commit", _run_last_writes)
    event.listen(Session, "before_commit", _run_last_writes)


@event.listens_for(Session, "after_commit")
def _run_queued(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint released: the transaction goes on
        return
    queued = session.info.pop(_KEY, [])
    for callback, args, kwargs in queued:
        try:
            callback(*args, **kwargs)
        except Exception:  # a side effect never fails the user's committed write
            log.exception("after-commit callback %r failed", callback)


@event.listens_for(Session, "after_soft_rollback")
def _drop_queued(session: AnySession, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:
        session.info.pop(_KEY, None)
        session.info.pop(_BEFORE_KEY, None)
