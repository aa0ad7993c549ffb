"""After-commit side effects run once the transaction commits: not when a savepoint inside
it is released (the transaction may still roll back), and never after a rollback."""

from network.core.events import after_commit
from network.extensions import db


def test_a_released_savepoint_runs_nothing_queued(app):
    ran = []
    with app.app_context():
        after_commit(db.session, ran.append, "first")
        with db.session.begin_nested():  # e.g. an insert that may meet a unique index
            after_commit(db.session, ran.append, "second")
        assert ran == []
        db.session.commit()
        assert ran == ["first", "second"]


def test_a_rollback_after_a_savepoint_runs_nothing(app):
    ran = []
    with app.app_context():
        after_commit(db.session, ran.append, "lost")
        with db.session.begin_nested():
            pass
        db.session.rollback()
        db.session.commit()
        assert ran == []
