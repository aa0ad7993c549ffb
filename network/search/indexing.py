"""The one writer path: objects marked during a transaction are indexed after it commits
(Whoosh) or as part of it (PostgreSQL).

Documents are built before the commit (the session can still query) and written after it,
so a rolled-back change is never indexed and a failing index never fails the user's write.
"""

import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

from flask import Flask, current_app
from sqlalchemy import Table, event, func, insert, select
from sqlalchemy.orm import Session

from network.core.database import write_intent
from network.core.events import after_commit
from network.core.ids import MAX_ID
from network.core.models import utcnow
from network.core.registries import (
    INDEX_HELD,
    INDEX_PENDING,
    SEARCH_KINDS,
    Document,
    audiences_for,
)
from network.extensions import db
from network.search.backend import WhooshBackend
from network.search.models import SearchJournalEntry
from network.search.postgres import PostgresBackend, rebuild_running, write
from network.search.writer import ProcessWriter, Ref, forget_journal

log = logging.getLogger(__name__)


Backend = WhooshBackend | PostgresBackend
BACKENDS = ("whoosh", "postgres")


def backend_name(app: Flask) -> str:
    """`SEARCH_BACKEND` (TERREAU_SEARCH_BACKEND), else PostgreSQL's own search on PostgreSQL
    and the embedded Whoosh index otherwise."""
    name = app.config.get("SEARCH_BACKEND") or None
    with app.app_context():
        dialect = db.engine.dialect.name
    if name is None:
        return "postgres" if dialect == "postgresql" else "whoosh"
    if name not in BACKENDS:
        raise RuntimeError(f"TERREAU_SEARCH_BACKEND must be one of {', '.join(BACKENDS)}")
    if name == "postgres" and dialect != "postgresql":
        raise RuntimeError("TERREAU_SEARCH_BACKEND=postgres needs a PostgreSQL database")
    return name


def make_backend(app: Flask, name: str) -> Backend:
    if name == "postgres":
        with app.app_context():
            return PostgresBackend(db.engine)
    return WhooshBackend(Path(app.config["DATA_DIR"]) / "search-index")


def init_search(app: Flask) -> None:
    search = make_backend(app, backend_name(app))
    app.extensions["terreau_search"] = search
    delay = app.config["SEARCH_WRITE_DELAY"]
    # None: write in the committing request (the tests); PostgreSQL: in its transaction.
    if delay is not None and isinstance(search, WhooshBackend):
        with app.app_context():
            database = db.engine.url.render_as_string(hide_password=False)
        app.extensions["terreau_index_writer"] = ProcessWriter(search.folder, delay, database)


def backend() -> Backend:
    return current_app.extensions["terreau_search"]


def search_problem() -> str | None:
    """For `/readyz`: None when the index can be read, else why not."""
    return None if backend().readable() else "no readable search index"


@event.listens_for(Session, "before_commit")
def _build_documents(session: Session) -> None:
    pending = session.info.pop(INDEX_PENDING, None)
    if not pending:
        session.info.pop(INDEX_HELD, None)
        return
    refs = sorted(pending)
    if isinstance(backend(), PostgresBackend):
        _write_in_transaction(session, refs, [ref for ref in refs if pending[ref]])
        return
    journal = _journal(session, refs)
    try:
        docs = list(documents_for(refs))  # the held objects are found while they are built
    except Exception:  # indexing never fails the user's write (start-up replays the journal)
        log.exception("could not build search documents for %s", refs)
        return
    finally:
        session.info.pop(INDEX_HELD, None)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    fresh = [ref for ref in refs if pending[ref]]
    after_commit(session, _write, app, refs, docs, fresh, journal)


def _write_in_transaction(session: Session, refs: list[Ref], fresh: list[Ref]) -> None:
    """PostgreSQL: the documents are written in the transaction being committed (in a
    savepoint: a failure journals the refs instead, never failing the user's write)."""
    try:
        docs = list(documents_for(refs))
    except Exception:
        log.exception("could not build search documents for %s", refs)
        _journal(session, refs)  # written again at start
        return
    finally:
        session.info.pop(INDEX_HELD, None)
    connection = session.connection()
    if rebuild_running(connection):  # it may have read these objects before this change
        _journal(session, refs)
    try:
        with connection.begin_nested():
            write(connection, refs, docs, fresh)
    except Exception:  # indexing never fails the user's write
        log.exception("could not write search documents for %s", refs)
        _journal(session, refs)


def _journal(session: Session, refs: list[Ref]) -> list[int]:
    """Note the refs in the search journal, in the transaction being committed; their ids."""
    at = utcnow()
    rows = [{"kind": kind, "object_id": object_id, "created_at": at} for kind, object_id in refs]
    return list(session.connection().scalars(_INSERT_JOURNAL, rows))


_JOURNAL = cast(Table, SearchJournalEntry.__table__)
_INSERT_JOURNAL = insert(_JOURNAL).returning(_JOURNAL.c.id)  # Core: no ORM bulk machinery


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


def _write(
    app: Flask, refs: list[Ref], docs: list[Document], fresh: list[Ref], journal: list[int]
) -> None:
    writer: ProcessWriter | None = app.extensions.get("terreau_index_writer")
    if writer is not None:
        try:
            writer.submit(refs, docs, fresh, journal)
        except Exception:  # indexing never fails the user's write
            log.exception("could not hand documents to the index writer")
    elif _update(app.extensions["terreau_search"], refs, docs, fresh):
        forget_journal(db.engine, journal)


def _update(search: Backend, refs: list[Ref], docs: list[Document], fresh: list[Ref]) -> bool:
    try:
        search.update(refs, docs, fresh)
    except Exception:
        log.exception("search index update failed; `flask search reindex` repairs it")
        return False
    return True


def pending_count() -> int:
    """Changes journaled whose documents the index writer has not confirmed yet."""
    return db.session.scalar(select(func.count()).select_from(SearchJournalEntry)) or 0


def replay_journal(batch: int = 500) -> int:
    """Write the documents of every journaled change again (those a crash may have lost), then
    clear their journal entries. Returns how many objects were written."""
    rows = db.session.execute(
        select(SearchJournalEntry.id, SearchJournalEntry.kind, SearchJournalEntry.object_id)
    ).all()
    refs = sorted({(kind, object_id) for _id, kind, object_id in rows if kind in SEARCH_KINDS})
    for start in range(0, len(refs), batch):
        part = refs[start : start + batch]
        backend().update(part, list(documents_for(part)))
    db.session.rollback()
    forget_journal(db.engine, [row.id for row in rows])
    return len(refs)


def all_documents(batch: int = 500) -> Iterator[Document]:
    """Every document of every kind (for a rebuild): in one pass for the kinds that read
    them so (`bulk_documents`), else loaded in batches of ids."""
    for kind in SEARCH_KINDS.values():
        if kind.bulk_documents is not None:
            yield from kind.bulk_documents()
            db.session.expunge_all()
            continue
        ids = list(kind.all_ids())
        for start in range(0, len(ids), batch):
            yield from kind.documents(ids[start : start + batch])
            db.session.expunge_all()


def rebuild(
    progress: Callable[[int], None] | None = None,
    *,
    only_if_missing: bool = False,
    unless_built_since: float | None = None,
) -> int | None:
    """Rebuild the index from the database (one process at a time); None if skipped: if
    `only_if_missing` and there is a readable index, or if it was rebuilt since the time
    `unless_built_since` (another process did it while we waited)."""

    included: list[int] = []  # journal entries whose changes the rebuild reads

    def counted() -> Iterator[Document]:
        # Read once the new index exists (later writes are journaled for it to replay): on
        # SQLite the snapshot starts here, with what was committed before.
        included.extend(db.session.scalars(select(SearchJournalEntry.id)))
        for number, doc in enumerate(all_documents(), 1):
            if progress and number % 100 == 0:
                progress(100)
            yield doc

    with backend().rebuilding(), write_intent(False):  # reads only: never lock out writers
        if only_if_missing and backend().readable() and not backend().needs_build():
            return None  # another process built it while we waited
        if unless_built_since is not None and backend().built_at() >= unless_built_since:
            return None
        db.session.rollback()  # a fresh snapshot of the database
        count = backend().rebuild(counted())
        db.session.rollback()  # see what was committed during the rebuild
        replay = backend().take_journal()  # written during the rebuild, maybe to the old index
        if replay:
            backend().update(replay, list(documents_for(replay)))
        forget_journal(db.engine, included)  # their changes were in the snapshot
        return count


def ensure_search_index() -> None:
    """At start-up: build the index when it is absent or unreadable (a fresh install, a
    deleted folder, a damaged file), write again the changes the journal still holds, and
    warm the searcher up."""
    if not backend().readable() or backend().needs_build():
        log.info("no readable search index: building it")
        count = rebuild(only_if_missing=True)
        if count is not None:
            log.info("search index built: %s documents", count)
    replayed = replay_journal()  # changes a crash kept from the index
    if replayed:
        log.info("search index: %s changes written again from the journal", replayed)
    warm_up()


#: The search pages' templates, compiled at start-up rather than by a first search.
TEMPLATES = ("base.html", "search/results.html", "search/_suggestions.html")


def warm_up() -> None:
    """At start-up: what the first search would otherwise do (~150 ms at 300,000 documents
    with Whoosh: the index's per-segment sets built; ~30 ms of CPU with PostgreSQL), so that
    it costs no more than the next ones: the backend's own, the statements that find a
    viewer's audiences and load each kind's hits compiled, the page's templates compiled."""
    backend().warm()
    try:
        audiences_for(SimpleNamespace(id=MAX_ID, role=None))  # a member no one is
        for kind in SEARCH_KINDS.values():
            kind.load([MAX_ID])
    finally:
        db.session.rollback()
    for name in TEMPLATES:
        current_app.jinja_env.get_template(name)


_rebuilding = threading.Lock()
_rebuild_process: subprocess.Popen | None = None


def rebuild_in_background(app: Flask) -> bool:
    """Start one rebuild if none runs (the index was found missing or damaged); True if
    started. A server (it has a writer process) runs it as `flask search reindex` in a process
    of its own: reading the database and writing the index takes minutes of CPU at network
    scale, which would stall a gevent server's every request; the tests run it in a thread."""
    if app.extensions.get("terreau_index_writer") is not None:
        return _rebuild_in_a_process(app)
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


def _rebuild_in_a_process(app: Flask) -> bool:
    global _rebuild_process
    with _rebuilding:
        if _rebuild_process is not None and _rebuild_process.poll() is None:
            return False
        env = {
            **os.environ,
            "TERREAU_DATA_DIR": app.config["DATA_DIR"],
            "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        }
        command = ["-m", "flask", "--app", "network:create_app", "search", "reindex"]
        # Other server processes may have found the damage too: one rebuild is enough.
        since = ["--unless-built-since", str(time.time())]
        _rebuild_process = subprocess.Popen(
            [sys.executable, *command, *since], env=env, stdout=subprocess.DEVNULL
        )
        log.warning("search index unreadable: rebuilding it (process %s)", _rebuild_process.pid)
        return True
