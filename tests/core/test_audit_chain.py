"""The audit log's hash chain: every committed entry is chained; editing, deleting or
reordering one is named by `flask audit verify`; concurrent writers never fork the chain;
purging old entries leaves a chain that still verifies; text cannot forge log lines."""

import logging
import threading

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from network.core import audit
from network.core.audit import AuditChainHead, AuditEvent
from network.core.models import utcnow
from network.extensions import db
from tests.conftest import in_threads


def _record(app, count=1, action="test_event", **details):
    with app.app_context():
        for n in range(count):
            audit.record(db.session, action, actor_id=None, n=n, **details)
        db.session.commit()


def _rows(app):
    with app.app_context():
        return db.session.execute(
            select(AuditEvent.id, AuditEvent.seq, AuditEvent.prev_hash, AuditEvent.hash).order_by(
                AuditEvent.seq
            )
        ).all()


def _tamper(app, sql, **params):
    """Change the table as someone with database access would (the trigger set aside)."""
    with app.app_context(), db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(text(sql), params)


def _verify(app):
    return app.test_cli_runner().invoke(args=["audit", "verify"])


def test_committed_entries_are_chained_and_verify(app):
    _record(app, 3)
    _record(app, 2)
    rows = _rows(app)
    assert [r.seq for r in rows] == [1, 2, 3, 4, 5]
    assert rows[0].prev_hash == audit.GENESIS
    assert all(rows[i].prev_hash == rows[i - 1].hash for i in range(1, 5))
    result = _verify(app)
    assert result.exit_code == 0, result.output
    assert f"OK: 5 entries verified; head #5 {rows[-1].hash}" in result.output
    head = app.test_cli_runner().invoke(args=["audit", "head"])
    assert head.output.strip() == f"#5 {rows[-1].hash}"


def test_a_rolled_back_entry_takes_no_place_in_the_chain(app):
    with app.app_context():
        audit.record(db.session, "test_event")
        db.session.flush()
        db.session.rollback()
        audit.record(db.session, "test_kept")
        db.session.commit()
    assert [r.seq for r in _rows(app)] == [1]
    assert _verify(app).exit_code == 0


def test_an_entry_recorded_in_a_rolled_back_savepoint_is_not_chained(app):
    with app.app_context():
        audit.record(db.session, "test_before")
        try:
            with db.session.begin_nested():
                audit.record(db.session, "test_inside")
                db.session.flush()
                raise RuntimeError
        except RuntimeError:
            pass
        db.session.commit()
        actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)).all()
    assert actions == ["test_before"]
    assert _verify(app).exit_code == 0


def test_editing_one_entry_is_named(app):
    _record(app, 5)
    target = _rows(app)[2]
    _tamper(app, "UPDATE audit_events SET details = :d WHERE id = :id", d='{"n": 9}', id=target.id)
    result = _verify(app)
    assert result.exit_code == 1
    assert f"BROKEN at entry #3 (id {target.id}): its content does not match" in result.output


def test_editing_an_entry_and_its_hash_is_named_at_the_next(app):
    _record(app, 5)
    rows = _rows(app)
    _tamper(app, "UPDATE audit_events SET hash = :h WHERE id = :id", h="f" * 64, id=rows[1].id)
    assert "BROKEN at entry #2" in _verify(app).output
    _tamper(app, "UPDATE audit_events SET hash = :h WHERE id = :id", h=rows[1].hash, id=rows[1].id)
    _tamper(app, "UPDATE audit_events SET action = 'login' WHERE id = :id", id=rows[3].id)
    assert f"BROKEN at entry #4 (id {rows[3].id})" in _verify(app).output


def test_deleting_an_entry_is_named(app):
    _record(app, 5)
    _tamper(app, "DELETE FROM audit_events WHERE seq = 2")
    result = _verify(app)
    assert result.exit_code == 1
    assert "BROKEN at entry #2: missing (the next entry is #3)" in result.output


def test_deleting_the_last_entries_is_named(app):
    _record(app, 5)
    _tamper(app, "DELETE FROM audit_events WHERE seq >= 4")
    result = _verify(app)
    assert result.exit_code == 1
    assert "the log ends at #3 but the head is #5" in result.output


def test_reordering_entries_is_named(app):
    _record(app, 5)
    _tamper(app, "UPDATE audit_events SET seq = -seq WHERE seq IN (2, 3)")
    _tamper(app, "UPDATE audit_events SET seq = 3 WHERE seq = -2")
    _tamper(app, "UPDATE audit_events SET seq = 2 WHERE seq = -3")
    result = _verify(app)
    assert result.exit_code == 1
    assert "BROKEN at entry #2" in result.output


def test_an_entry_inserted_outside_the_application_is_named_then_sealed(app):
    _record(app, 2)
    _tamper(
        app,
        "INSERT INTO audit_events (created_at, action, details) VALUES (:t, 'forged', '{}')",
        t=utcnow(),
    )
    result = _verify(app)
    assert result.exit_code == 1 and "stored outside the chain" in result.output
    assert "1 entries sealed" in app.test_cli_runner().invoke(args=["audit", "seal"]).output
    assert _verify(app).exit_code == 0


def test_a_lost_head_row_continues_the_chain(app):
    _record(app, 2)
    _tamper(app, "DELETE FROM audit_chain_head")
    _record(app, 1)
    assert [r.seq for r in _rows(app)] == [1, 2, 3]
    assert _verify(app).exit_code == 0


def test_concurrent_writers_never_fork_the_chain(app):
    """Threads, each with its own connection, append at the same moment (PostgreSQL:
    with their entries already inserted); all commit and the chain stays one line."""
    writers, per_writer = 6, 3
    barrier = threading.Barrier(writers)
    with app.app_context():
        engine = db.engine
        postgres = engine.dialect.name == "postgresql"

    def write(index: int) -> None:
        with app.app_context(), Session(engine) as session:
            for n in range(per_writer):
                audit.record(session, "test_concurrent", writer=index, n=n)
            if postgres:
                session.flush()  # inserted, unsealed: the race is at the commit
            barrier.wait(timeout=30)
            session.commit()

    errors = in_threads(write, writers)
    assert not errors, errors
    rows = _rows(app)
    assert [r.seq for r in rows] == list(range(1, writers * per_writer + 1))
    assert _verify(app).exit_code == 0


def _head(app):
    with app.app_context():
        head = db.session.get(AuditChainHead, audit.HEAD_ID)
        return head.seq, head.hash


def test_many_writers_committing_at_once_keep_one_chain(app):
    """Many threads, each committing audited transactions of one or two entries as fast as
    it can, every commit racing the others for the head: seq 1..N once each, verify OK."""
    writers, commits = 12, 4
    barrier = threading.Barrier(writers)
    with app.app_context():
        engine = db.engine

    def write(index: int) -> None:
        with app.app_context(), Session(engine) as session:
            barrier.wait(timeout=30)
            for n in range(commits):
                for part in range(1 + n % 2):
                    audit.record(session, "test_burst", writer=index, n=n, part=part)
                session.commit()

    errors = in_threads(write, writers)
    assert not errors, errors
    total = writers * (commits + commits // 2)
    assert [r.seq for r in _rows(app)] == list(range(1, total + 1))
    assert _head(app)[0] == total
    result = _verify(app)
    assert result.exit_code == 0 and f"OK: {total} entries verified" in result.output


def test_entries_stored_before_another_writer_commits_are_chained_after_it(app):
    """PostgreSQL inserts a transaction's entries before it locks the head: another writer
    committing in between goes first, and these are chained after its entries."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SQLite serialises writers: the second one would wait for the first")
    _record(app, 1, action="test_first")
    with app.app_context(), Session(db.engine) as session:
        audit.record(session, "test_overtaken", n=0)
        audit.record(session, "test_overtaken", n=1)
        session.flush()
        _record(app, 2, action="test_overtaking")
        session.commit()
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)).all()
    assert actions == ["test_first"] + ["test_overtaking"] * 2 + ["test_overtaken"] * 2
    assert _head(app)[0] == 5
    assert _verify(app).exit_code == 0


def test_a_rolled_back_transaction_leaves_no_entry_and_keeps_the_head(app):
    _record(app, 2)
    before = _head(app)
    with app.app_context():  # sealed, then rolled back
        entry = audit.record(db.session, "test_sealed_then_undone")
        assert audit.seal(db.session, [entry]) == 1
        db.session.rollback()
    with app.app_context():  # the commit fails: the transaction's other change is refused
        audit.record(db.session, "test_failed_commit")
        db.session.add(AuditChainHead(id=audit.HEAD_ID, seq=0, hash=audit.GENESIS))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
    assert _head(app) == before
    assert [r.seq for r in _rows(app)] == [1, 2]
    _record(app, 1, action="test_after")
    assert [r.seq for r in _rows(app)] == [1, 2, 3]
    assert _rows(app)[2].prev_hash == before[1]
    assert _verify(app).exit_code == 0


def test_purging_a_prefix_keeps_a_verifiable_chain(app):
    _record(app, 4)
    with app.app_context():
        cutoff = utcnow()
    _record(app, 2, action="test_recent")
    with app.app_context():
        assert audit.purge_before(db.session, cutoff, actor_id=None) == 4
        db.session.commit()
        head = db.session.get(AuditChainHead, 1)
        assert (head.base_seq, head.seq) == (4, 7)
        purged = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "audit_purged"))
        record = purged.one()
        assert record.details["count"] == 4 and record.details["through_seq"] == 4
    assert [r.seq for r in _rows(app)] == [5, 6, 7]
    assert _verify(app).exit_code == 0
    with app.app_context():  # nothing older left: a second purge deletes nothing
        assert audit.purge_before(db.session, cutoff) == 0
        db.session.rollback()


def test_a_purge_after_which_entries_vanish_is_still_detected(app):
    _record(app, 3)
    with app.app_context():
        cutoff = utcnow()
    _record(app, 3, action="test_recent")
    with app.app_context():
        audit.purge_before(db.session, cutoff)
        db.session.commit()
    _tamper(app, "DELETE FROM audit_events WHERE seq = 4")
    assert "BROKEN at entry #4: missing" in _verify(app).output


def test_the_checkpoint_cannot_be_moved_silently(app):
    _record(app, 3)
    with app.app_context():
        audit.purge_before(db.session, utcnow())
        db.session.commit()
    _record(app, 2)
    _tamper(app, "DELETE FROM audit_events WHERE seq <= 5")
    _tamper(
        app,
        "UPDATE audit_chain_head SET base_seq = 5, base_hash = "
        "(SELECT prev_hash FROM audit_events WHERE seq = 6)",
    )
    result = _verify(app)
    assert result.exit_code == 1
    assert "the checkpoint differs from the recorded purge" in result.output


def test_a_broken_chain_is_not_purged(app):
    _record(app, 3)
    _tamper(app, "DELETE FROM audit_events WHERE seq = 2")
    with app.app_context():
        with pytest.raises(audit.ChainBroken):
            audit.purge_before(db.session, utcnow())
        db.session.rollback()


def test_text_in_details_cannot_forge_lines(app, caplog):
    forged = "x\n2026-01-01 INFO terreau.audit login actor=1\r\x1b[2J\u202eevil\u2028"
    with caplog.at_level(logging.INFO, logger="terreau.audit"), app.app_context():
        audit.record(db.session, "test_event", name=forged, nested={"k\n": [forged]}, when=utcnow())
        db.session.commit()
        entry = db.session.scalars(select(AuditEvent)).one()
    lines = [r.getMessage() for r in caplog.records if r.name == "terreau.audit"]
    assert len(lines) == 1 and "\n" not in lines[0] and "\r" not in lines[0]
    for value in (entry.details["name"], entry.details["nested"]["k\ufffd"][0]):
        assert value.startswith("x\ufffd2026") and not set(value) & set("\n\r\x1b\u202e\u2028")
    assert isinstance(entry.details["when"], str)
    assert _verify(app).exit_code == 0


def test_long_text_is_cut_and_actions_are_identifiers(app):
    with app.app_context():
        entry = audit.record(db.session, "test_event", text="é" * 5000)
        assert len(entry.details["text"]) == audit.MAX_TEXT
        with pytest.raises(ValueError):
            audit.record(db.session, "Login\nforged")
        db.session.rollback()


def test_the_database_refuses_edits_and_deletions(app):
    _record(app, 2)
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("the append-only trigger is PostgreSQL's")
        for statement in (
            "UPDATE audit_events SET details = '{}' WHERE seq = 1",
            "UPDATE audit_events SET seq = 9 WHERE seq = 2",
            "DELETE FROM audit_events WHERE seq = 1",
        ):
            with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as conn:
                conn.execute(text(statement))
    assert _verify(app).exit_code == 0


def test_the_migration_chains_the_entries_already_stored(tmp_path):
    """Entries written before the chain existed are chained by 0020_audit_chain, in id order."""
    from flask_migrate import upgrade

    from config import TestingConfig
    from network import create_app

    other = create_app(
        TestingConfig,
        DATA_DIR=str(tmp_path / "data"),
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'old.sqlite3'}",
        SOCKETIO_ASYNC_MODE="threading",
    )
    with other.app_context():
        upgrade(revision="0018_cocontract_confirmations")
        with db.engine.begin() as conn:
            for n, action in enumerate(("login", "login_failed", "role_changed")):
                conn.execute(
                    text(
                        "INSERT INTO audit_events (created_at, action, ip, details) "
                        "VALUES (:t, :a, '10.0.0.1', :d)"
                    ),
                    {"t": f"2026-01-0{n + 1} 10:00:00.123456", "a": action, "d": f'{{"n": {n}}}'},
                )
        upgrade()
        rows = db.session.execute(
            select(AuditEvent.action, AuditEvent.seq).order_by(AuditEvent.id)
        ).all()
        db.session.remove()
    assert rows == [("login", 1), ("login_failed", 2), ("role_changed", 3)]
    result = other.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and "OK: 3 entries verified; head #3" in result.output
    with other.app_context():
        db.engine.dispose()
