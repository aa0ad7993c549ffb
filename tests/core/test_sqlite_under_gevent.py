"""SQLite in a gevent process (`python -m network`), where a wait in C stalls every
greenlet: a write transaction meeting the lock held by another connection (the search index
writer's process, a command) waits by sleeping in Python (a greenlet sleep, other
connections served meanwhile), never in SQLite's busy handler; checkpoints (with their
fsyncs) run in a thread of their own, never in a commit."""

import os
import sqlite3
import threading
import time

import pytest
from sqlalchemy import create_engine
from sqlalchemy.exc import OperationalError

from network.core import database
from network.core.database import checkpoints_of, configure_engine, stop_checkpoints, write_intent


@pytest.fixture
def engine(tmp_path, monkeypatch):
    monkeypatch.setattr(database, "_greenlets", lambda: True)  # as under `python -m network`
    monkeypatch.setattr(database, "CHECKPOINT_SECONDS", 0.05)
    engine = create_engine(f"sqlite:///{tmp_path / 'busy.sqlite3'}")
    configure_engine(engine)
    with write_intent(True), engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE notes (body TEXT)")
    yield engine
    stop_checkpoints(engine)
    engine.dispose()


@pytest.fixture
def sleeps(monkeypatch):
    """The Python sleeps taken (gevent patches `time.sleep` into a greenlet sleep)."""
    taken: list[float] = []
    real = time.sleep

    def sleep(seconds: float) -> None:
        taken.append(seconds)
        real(seconds)

    monkeypatch.setattr(time, "sleep", sleep)
    return taken


def _holder(engine) -> sqlite3.Connection:
    """Another connection holding the write lock, as another process would."""
    holder = sqlite3.connect(engine.url.database, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("INSERT INTO notes VALUES ('other')")
    return holder


def _count(engine) -> int:
    with write_intent(False), engine.connect() as connection:
        return connection.exec_driver_sql("SELECT count(*) FROM notes").scalar_one()


def test_a_write_waits_for_the_lock_in_python_then_writes(engine, sleeps):
    holder = _holder(engine)
    release = threading.Timer(0.2, holder.commit)
    release.start()
    try:
        with write_intent(True), engine.begin() as connection:
            connection.exec_driver_sql("INSERT INTO notes VALUES ('mine')")
    finally:
        release.join()
        holder.close()
    assert sleeps, "the wait was not a Python sleep"
    assert _count(engine) == 2
    with engine.connect() as connection:  # the busy timeout is back for other statements
        busy = connection.exec_driver_sql("PRAGMA busy_timeout").scalar_one()
    assert busy == database.BUSY_TIMEOUT_MS


def test_a_lock_held_past_the_busy_timeout_fails_as_before(engine, sleeps, monkeypatch):
    monkeypatch.setattr(database, "BUSY_TIMEOUT_MS", 300)
    holder = _holder(engine)
    try:
        with (
            pytest.raises(OperationalError, match="locked"),
            write_intent(True),
            engine.begin() as connection,
        ):
            connection.exec_driver_sql("INSERT INTO notes VALUES ('mine')")
    finally:
        holder.rollback()
        holder.close()
    assert sleeps
    assert _count(engine) == 0


def test_reads_do_not_take_the_lock(engine, sleeps):
    holder = _holder(engine)
    try:
        assert _count(engine) == 0  # WAL: the other connection's write is not visible yet
    finally:
        holder.rollback()
        holder.close()
    assert not sleeps


def test_commits_leave_checkpoints_to_their_thread(engine):
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one() == 0
    path = engine.url.database
    before = os.path.getsize(path)
    with write_intent(True), engine.begin() as connection:  # about 2 MB in the log
        connection.exec_driver_sql(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) "
            "INSERT INTO notes SELECT hex(randomblob(500)) FROM n"
        )
    deadline = time.monotonic() + 30
    checkpoints = checkpoints_of(engine)
    while (os.path.getsize(path) <= before or not checkpoints.done) and (
        time.monotonic() < deadline
    ):  # the file grows during the checkpoint, which is counted once it returns
        time.sleep(0.05)
    assert os.path.getsize(path) > before, "the log was never copied into the database"
    assert checkpoints.done > 0
    assert _count(engine) == 2000
