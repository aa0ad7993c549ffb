"""Transactions on PostgreSQL: a request that only reads opens none (each statement reads
its own snapshot, as it would in a READ COMMITTED transaction); its first write or lock
opens one, which then commits or rolls back as a whole."""

import pytest
from sqlalchemy import event, select, text

from network.core.database import PLAIN_READ, write_intent
from network.extensions import db
from network.members.models import Member


@pytest.fixture
def transaction_states(app):
    """The driver's transaction status before each statement, as it runs."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SQLite's transactions are chosen by the write intent (BEGIN IMMEDIATE)")
        engine = db.engine
    states: list[str] = []

    def record(connection, *_):
        states.append(connection.connection.dbapi_connection.info.transaction_status.name)

    event.listen(engine, "before_cursor_execute", record)
    yield states
    event.remove(engine, "before_cursor_execute", record)


def test_a_page_that_only_reads_opens_no_transaction(
    client, login, make_member, transaction_states
):
    login(make_member())
    transaction_states.clear()
    assert client.get("/feed").status_code == 200
    assert transaction_states and set(transaction_states) == {"IDLE"}


def test_the_first_write_of_a_reading_request_opens_a_transaction(
    app, make_member, transaction_states
):
    member_id = make_member(display_name="Avant").id
    with app.app_context(), write_intent(False):
        db.session.execute(select(Member.id)).all()
        db.session.get(Member, member_id).display_name = "Après"
        db.session.flush()
        db.session.execute(select(Member.id)).all()
        assert transaction_states[-1] == "INTRANS"
        db.session.rollback()
    with app.app_context():
        assert db.session.get(Member, member_id).display_name == "Avant"


def test_a_text_select_marked_as_a_plain_read_runs_outside_transactions(app, transaction_states):
    """SQLAlchemy cannot look into a `text()` statement: it opens the transaction, unless it
    is marked `PLAIN_READ` (as the PostgreSQL search's statements are)."""
    plain = {PLAIN_READ: True}
    with app.app_context(), write_intent(False):
        transaction_states.clear()
        db.session.execute(text("SELECT 1"), execution_options=plain).all()
        db.session.execute(text("SELECT count(*) FROM members"), execution_options=plain).all()
        db.session.execute(text("SELECT 2")).all()
        db.session.execute(text("SELECT 3"), execution_options=plain).all()
        db.session.rollback()
    assert transaction_states == ["IDLE", "IDLE", "IDLE", "INTRANS"]


def test_a_lock_opens_the_transaction_that_holds_it(app, make_member, transaction_states):
    member_id = make_member().id
    with app.app_context(), write_intent(False):
        transaction_states.clear()
        db.session.execute(select(Member).where(Member.id == member_id).with_for_update()).all()
        db.session.execute(select(Member.id)).all()
        db.session.rollback()
    assert transaction_states == ["IDLE", "INTRANS"]


def test_rows_streamed_through_a_server_side_cursor_read_in_a_transaction(
    app, make_member, transaction_states
):
    make_member()
    with app.app_context(), write_intent(False):
        rows = db.session.execute(select(Member.id).execution_options(yield_per=10)).all()
        db.session.rollback()
    assert rows
