"""The one writer path: objects marked during a transaction are indexed after it commits.

Documents are built before the commit (the session can still query) and written after it,
so a rolled-back change is never indexed and a failing index never fails the user's write.
"""

import logging
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from network.core.database import write_intent
from network.core.events import after_commit
from network.extensions import db
from network.search.backend import WhooshBackend
from network.search.registry import KINDS, Document

log = logging.getLogger(__name__)
_PENDING = "terreau_search_pending"
_DOCS = "terreau_search_docs"


def init_search(app: Flask) -> None:
    search = WhooshBackend(Path(app.config["DATA_DIR"]) / "search-index")
    app.extensions["terreau_search"] = search
    delay = app.config["SEARCH_WRITE_DELAY"]
    if delay is not None:  # None: write in the committing request (the tests)
        app.extensions["terreau_index_writer"] = BatchWriter(search, delay)


def backend() -> WhooshBackend:
    return current_app.extensions["terreau_search"]


def index_later(kind: str, object_id: int) -> None:
    """Re-index the object once the current transaction commits."""
    db.session.info.setdefault(_PENDING, set()).add((kind, object_id))


@event.listens_for(Session, "before_commit")
def _build_documents(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    try:
        docs = list(documents_for(sorted(pending)))
    except Exception:  # indexing never fails the user's write
        log.exception("could not build search documents for %s", sorted(pending))
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    after_commit(session, _write, app, sorted(pending), docs)


def documents_for(refs: list[tuple[str, int]]) -> Iterator[Document]:
    by_kind: dict[str, list[int]] = {}
    for kind, object_id in refs:
        by_kind.setdefault(kind, []).append(object_id)
    for kind, ids in by_kind.items():
        yield from KINDS[kind].documents(ids)


def _write(app: Flask, refs: list[tuple[str, int]], docs: list[Document]) -> None:
    writer: BatchWriter | None = app.extensions.get("terreau_index_writer")
    if writer is not None:
        writer.submit(refs, docs)
    else:
        _update(app.extensions["terreau_search"], refs, docs)


def _update(search: WhooshBackend, refs: list[tuple[str, int]], docs: list[Document]) -> None:
    try:
        search.update(refs, docs)
    except Exception:
        log.exception("search index update failed; `flask search reindex` repairs it")


Ref = tuple[str, int]


class BatchWriter:
    """One background writer per process: what commits during a short wait is written to the
    index together, in commit order, so a burst of messages costs one Whoosh commit instead
    of one each, and the request (or the socket event) does not wait for it."""

    def __init__(self, search: WhooshBackend, delay: float) -> None:
        self.search, self.delay = search, delay
        self._pending: dict[Ref, list[Document]] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._thread: threading.Thread | None = None

    def submit(self, refs: list[Ref], docs: list[Document]) -> None:
        with self._lock:
            for ref in refs:  # a later version of an object replaces an earlier one
                self._pending.pop(ref, None)
                self._pending[ref] = [d for d in docs if (d.kind, d.object_id) == ref]
            self._idle.clear()
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, daemon=True, name="search-writer")
                self._thread.start()
        self._wake.set()

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything submitted is written; False on timeout."""
        return self._idle.wait(timeout)

    def _run(self) -> None:
        while True:
            self._wake.wait()
            time.sleep(self.delay)  # let a burst gather
            with self._lock:
                batch, self._pending = self._pending, {}
                self._wake.clear()
            if batch:
                docs = [doc for found in batch.values() for doc in found]
                _update(self.search, list(batch), docs)
            with self._lock:
                if not self._pending:
                    self._idle.set()


def all_documents(batch: int = 500) -> Iterator[Document]:
    """Every document of every kind, loaded in batches (for a rebuild)."""
    for kind in KINDS.values():
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
