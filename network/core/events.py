"""After-commit side effects: queued during the transaction, run only once it commits.

A rolled-back change is never announced, indexed or mailed.
"""

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from network.core.models import AnySession

log = logging.getLogger(__name__)
_KEY = "terreau_after_commit"


def after_commit(
    session: AnySession, callback: Callable[..., Any], *args: Any, **kwargs: Any
) -> None:
    """Run `callback(*args, **kwargs)` after `session` commits; drop it on rollback."""
    session.info.setdefault(_KEY, []).append((callback, args, kwargs))


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
