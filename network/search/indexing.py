"""The one writer path: objects marked during a transaction are indexed after it commits.

Documents are built before the commit (the session can still query) and written after it,
so a rolled-back change is never indexed and a failing index never fails the user's write.
"""

import logging
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from network.core.database import write_intent
from network.core.events import after_commit
from network.core.registries import INDEX_HELD, INDEX_PENDING, SEARCH_KINDS, Document
from network.extensions import db
from network.search.backend import WhooshBackend
from network.search.writer import ProcessWriter, Ref

log = logging.getLogger(__name__)


def init_search(app: Flask) -> None:
    search = WhooshBackend(Path(app.config["DATA_DIR"]) / "search-index")
    app.extensions["terreau_search"] = search
    delay = app.config["SEARCH_WRITE_DELAY"]
    if delay is not None:  # None: write in the committing request (the tests)
        app.extensions["terreau_index_writer"] = ProcessWriter(search.folder, delay)


def backend() -> WhooshBackend:
    return current_app.extensions["terreau_search"]


@event.listens_for(Session, "before_commit")
def _build_documents(session: Session) -> None:
    held = session.info.pop(INDEX_HELD, None)  # noqa: F841  (alive while the documents are built)
    pending = session.info.pop(INDEX_PENDING, None)
    if not pending:
        return
    refs = sorted(pending)
    try:
        docs = list(documents_for(refs))
    except Exception:  # indexing never fails the user's write
        log.exception("could not build search documents for %s", refs)
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    fresh = [ref for ref in refs if pending[ref]]
    after_commit(session, _write, app, refs, docs, fresh)


@event.listens_for(Session, "after_soft_rollback")
def _forget_marks(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:  # the whole transaction: nothing of it is indexed
        session.info.pop(INDEX_PENDING, None)
        session.info.pop(INDEX_HELD, None)


def documents_for(refs: list[tuple[str, int]]) -> Iterator[Document]:
    by_kind: dict[str, list[int]] = {}
    for kind, object_id in refs:
        by_kind.setdefault(kind, []).append(object_id)
    for kind, ids in by_kind.items():
        yield from SEARCH_KINDS[kind].documents(ids)


def _write(app: Flask, refs: list[Ref], docs: list[Document], fresh: list[Ref]) -> None:
    writer: ProcessWriter | None = app.extensions.get("terreau_index_writer")
    if writer is not None:
        try:
            writer.submit(refs, docs, fresh)
        except Exception:  # indexing never fails the user's write
            log.exception("could not hand documents to the index writer")
    else:
        _update(app.extensions["terreau_search"], refs, docs, fresh)


def _update(search: WhooshBackend, refs: list[Ref], docs: list[Document], fresh: list[Ref]) -> None:
    try:
        search.update(refs, docs, fresh)
    except Exception:
        log.exception("search index update failed; `flask search reindex` repairs it")


def all_documents(batch: int = 500) -> Iterator[Document]:
    """Every document of every kind, loaded in batches (for a rebuild)."""
    for kind in SEARCH_KINDS.values():
        ids = list(kind.all_ids())
        for start in range(0, len(ids), batch):
            yield from kind.documents(ids[start : start + batch])
            db.session.expunge_all()


def rebuild(
    progress: Callable[[int], None] | None = None, *, only_if_missing: bool = False
) -> int | None:
    """Rebuild the index from the database (one process at a time); None if skipped."""

    def counted() -> Iterator[Document]:
        for number, doc in enumerate(all_documents(), 1):
            if progress and number % 100 == 0:
                progress(100)
            yield doc

    with backend().rebuilding(), write_intent(False):  # reads only: never lock out writers
        if only_if_missing and backend().readable():
            return None  # another process built it while we waited
        db.session.rollback()  # a fresh snapshot of the database
        count = backend().rebuild(counted())
        db.session.rollback()  # see what was committed during the rebuild
        replay = backend().take_journal()  # written during the rebuild, maybe to the old index
        if replay:
            backend().update(replay, list(documents_for(replay)))
        return count


def ensure_search_index() -> None:
    """Build the index at start-up when it is absent (a fresh install, a deleted folder)."""
    if not backend().readable():
        log.info("no readable search index: building it")
        count = rebuild(only_if_missing=True)
        if count is not None:
            log.info("search index built: %s documents", count)


_rebuilding = threading.Lock()


def rebuild_in_background(app: Flask) -> bool:
    """Start one rebuild in this process if none runs; True if started."""
    if not _rebuilding.acquire(blocking=False):
        return False

    def run() -> None:
        try:
            with app.app_context():
                count = rebuild()
                log.info("search index rebuilt: %s documents", count)
        except Exception:
            log.exception("search index rebuild failed")
        finally:
            _rebuilding.release()

    threading.Thread(target=run, daemon=True, name="search-rebuild").start()
    return True
