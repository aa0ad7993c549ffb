"""Engine set-up: SQLite pragmas and write transactions that take the lock up front; on
PostgreSQL, idle pooled connections pinged before use, and reads outside transactions.

On SQLite a read-then-write transaction opened with a plain BEGIN fails under concurrent
writers even with a busy timeout; BEGIN IMMEDIATE does not. Boundaries declare their intent
with `write_intent`; reads keep a deferred BEGIN so they never wait for writers (WAL).

Under gevent (`python -m network`), a BEGIN IMMEDIATE that meets the lock held by another
process (the search index writer clearing its journal, a command) does not wait in
SQLite's busy handler: that handler sleeps in C, which stalls every greenlet of the process
(every connection's frames and events) for as long as it waits. It fails at once instead and
is tried again after a greenlet sleep, until the same busy timeout. Checkpoints (copying
the write-ahead log into the database file, with its fsyncs: 2 to 25 ms) are not left to the
commit that crosses SQLite's threshold either, for the same reason: a real thread of the
process checkpoints every `CHECKPOINT_SECONDS` (SQLite releases the interpreter meanwhile).
"""

import logging
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy import Engine, event, select
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.sql.selectable import GenerativeSelect

log = logging.getLogger(__name__)
_write_intent: ContextVar[bool] = ContextVar("terreau_write_intent", default=True)


def set_write_intent(value: bool) -> None:
    _write_intent.set(value)


@contextmanager
def write_intent(value: bool = True) -> Iterator[None]:
    token = _write_intent.set(value)
    try:
        yield
    finally:
        _write_intent.reset(token)


#: How long a statement waits for SQLite's lock held by another connection (milliseconds).
BUSY_TIMEOUT_MS = 5000


def _greenlets() -> bool:
    """Whether gevent patched this process (a sleep in C would stall every greenlet)."""
    try:
        from gevent import monkey
    except ImportError:  # pragma: no cover - gevent is a dependency
        return False
    return bool(monkey.is_module_patched("time"))


def _begin_immediate_yielding(connection: Any) -> None:
    """BEGIN IMMEDIATE without SQLite's busy handler: while another process holds the write
    lock, sleep (a greenlet sleep under gevent) and try again, until the busy timeout; the
    last try goes through SQLAlchemy, so a lock still held fails as it always did."""
    raw = connection.connection.dbapi_connection
    raw.execute("PRAGMA busy_timeout=0")
    try:
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        pause = 0.001
        while time.monotonic() < deadline:
            try:
                raw.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as error:
                if error.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY:
                    raise
            time.sleep(pause)
            pause = min(pause * 2, 0.02)
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    finally:
        raw.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")


#: How often the checkpoint thread of a gevent process copies the log into the database.
CHECKPOINT_SECONDS = 1.0


class Checkpoints:
    """PASSIVE checkpoints of one SQLite database in a thread of their own (a real thread
    under gevent): they never wait for readers or writers, nor make them wait."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.done = 0  # checkpoints run (for tests)
        original = _original_threading()
        self._stop = original.Event()
        self._thread = original.Thread(target=self._run, name="sqlite-checkpoints", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            while not self._stop.wait(CHECKPOINT_SECONDS):
                try:
                    connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                    self.done += 1
                except sqlite3.Error as error:  # tried again at the next one
                    log.warning("SQLite checkpoint failed: %s", error)
        finally:
            connection.close()


def _original_threading() -> Any:
    """The `threading` module as it was before gevent patched it (real threads)."""
    if not _greenlets():
        return threading
    import types

    from gevent import monkey

    return types.SimpleNamespace(
        Thread=monkey.get_original("threading", "Thread"),
        Event=monkey.get_original("threading", "Event"),
    )


#: database path → its checkpoint thread (gevent processes only).
_checkpoints: dict[str, Checkpoints] = {}
_checkpoints_lock = threading.Lock()


def checkpoints_of(engine: Engine) -> Checkpoints | None:
    """The checkpoint thread of this engine's database, if this process runs one."""
    return _checkpoints.get(engine.url.database or "")


def _start_checkpoints(path: str) -> None:
    with _checkpoints_lock:
        if path not in _checkpoints:
            _checkpoints[path] = Checkpoints(path)


def stop_checkpoints(engine: Engine) -> None:
    found = _checkpoints.pop(engine.url.database or "", None)
    if found is not None:
        found.stop()


def configure_engine(engine: Engine) -> None:
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    else:
        _ping_idle_connections(engine)
        _begin_at_the_first_write(engine)


#: A pooled connection left unused longer than this is pinged before it is handed out (a
#: database restarted meanwhile leaves it dead); one returned a moment ago is not, which
#: spares a busy server a round trip on nearly every request.
PING_AFTER_IDLE_SECONDS = 2.0


def _ping_idle_connections(engine: Engine) -> None:
    """SQLAlchemy's `pool_pre_ping`, for the connections that were idle only."""

    @event.listens_for(engine, "connect")
    def _opened(_dbapi_connection: Any, record: Any) -> None:
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection: Any, record: Any) -> None:
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if time.monotonic() - record.info.get("returned_at", 0.0) < PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:  # the pool opens another connection in its place
            raise DisconnectionError(str(error)) from error


def _begin_at_the_first_write(engine: Engine) -> None:
    """On PostgreSQL, a request or event that means to read only (`write_intent(False)`)
    runs its statements without a transaction until the first one that is not a plain
    SELECT (a write, a lock, SQL text not marked `PLAIN_READ`, anything else), which opens
    it. Under READ COMMITTED each statement reads its own snapshot in a transaction too, so
    for a page that only reads, BEGIN and ROLLBACK were two round trips for nothing."""

    @event.listens_for(engine, "checkout")
    def _autocommit_if_reading(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        record.info[_READING] = dbapi_connection.autocommit = not _write_intent.get()

    @event.listens_for(engine, "checkin")
    def _transactions_again(dbapi_connection: Any, record: Any) -> None:
        reading = record.info.pop(_READING, False)
        if reading and dbapi_connection is not None and not dbapi_connection.closed:
            dbapi_connection.autocommit = False

    @event.listens_for(engine, "before_cursor_execute")
    def _begin_unless_reading(
        connection: Any, _cursor: Any, _sql: Any, _params: Any, context: Any, _many: bool
    ) -> None:
        info = connection.connection.info
        if not info.get(_READING) or _plain_select(context):
            return
        info[_READING] = False
        if connection.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
            connection.connection.dbapi_connection.autocommit = False  # BEGIN before this one


_READING = "terreau_reading"  # a connection's statements run outside transactions so far

#: The execution option that marks a textual statement (`text()`, which SQLAlchemy cannot
#: look into) as a plain SELECT: run outside a transaction on a reading connection. Only for
#: statements that read, lock nothing and call nothing that writes.
PLAIN_READ = "terreau_plain_read"


def _plain_select(context: Any) -> bool:
    """A SELECT that takes no lock and reads through no server-side cursor (which lives in a
    transaction); or a statement marked `PLAIN_READ`."""
    if context.execution_options.get("stream_results"):
        return False
    if context.execution_options.get(PLAIN_READ):
        return True
    statement = getattr(context.compiled, "statement", None)
    return isinstance(statement, GenerativeSelect) and statement._for_update_arg is None


def _configure_sqlite(engine: Engine) -> None:
    path = engine.url.database or ""
    on_file = path not in ("", ":memory:") and not path.startswith("file:")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        pragmas = [
            "journal_mode=WAL",
            "synchronous=NORMAL",
            f"busy_timeout={BUSY_TIMEOUT_MS}",
            "foreign_keys=ON",
            "mmap_size=1073741824",
        ]
        checkpoints = on_file and _greenlets()
        if checkpoints:  # never in a commit: in the checkpoint thread
            pragmas.append("wal_autocheckpoint=0")
        for pragma in pragmas:
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()
        if checkpoints:
            _start_checkpoints(path)

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if not _write_intent.get():
            connection.exec_driver_sql("BEGIN")
        elif _greenlets():
            _begin_immediate_yielding(connection)
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


#: One writer at a time per process on SQLite (a greenlet lock once gevent patched threading).
_sqlite_writers = threading.RLock()


def take_writer_turn(engine: Engine) -> bool:
    """On SQLite, wait (yielding to other greenlets) until no other request or event of this
    process is writing; True when the turn was taken and must be given back.

    A write transaction holds SQLite's lock from its BEGIN IMMEDIATE to its end and may yield
    meanwhile (Redis, the rate limits' storage, a socket emit). Another greenlet's BEGIN
    IMMEDIATE would then wait in SQLite's busy handler, which sleeps without yielding: the
    whole process stalled until the busy timeout and the write failed ("database is
    locked"). Waiting here yields instead."""
    if engine.dialect.name != "sqlite":
        return False
    _sqlite_writers.acquire()
    return True


def give_writer_turn() -> None:
    _sqlite_writers.release()


@contextmanager
def writer_turn(engine: Engine, session: Any, writes: bool = True) -> Iterator[None]:
    """`take_writer_turn` for a block; the session's transaction ends before the turn goes."""
    if not writes or not take_writer_turn(engine):
        yield
        return
    try:
        yield
    finally:
        session.rollback()  # an uncommitted transaction must not outlive the turn
        give_writer_turn()


def by_id(session: Any, model: Any, ids: Iterable[int], query: Any = None) -> dict[int, Any]:
    """Objects of `model` by id: those the session already holds without asking the
    database again, the others with `query` (default: a plain select), filtered by id."""
    known: dict[int, Any] = {}
    for object_id in ids:
        found = session.identity_map.get(session.identity_key(model, object_id))
        if found is not None:
            known[object_id] = found
    missing = set(ids) - set(known)
    if missing:
        query = select(model) if query is None else query
        known.update((o.id, o) for o in session.scalars(query.where(model.id.in_(missing))))
    return known
