"""Choosing the search backend (TERREAU_SEARCH_BACKEND, else from the database), and what
only the PostgreSQL backend does: documents written in the change's own transaction, a write
made during a rebuild kept, `flask search status` on the database's table."""

import pytest

from config import TestingConfig
from network import create_app
from network.search import indexing
from tests.search.conftest import ON_POSTGRESQL, found

only_postgresql = pytest.mark.skipif(not ON_POSTGRESQL, reason="the PostgreSQL backend")
SEARCH_ENGINES = ["postgres"] if ON_POSTGRESQL else ["whoosh"]  # see conftest.py


def other_app(app, tmp_path, **settings):
    return create_app(
        TestingConfig,
        DATA_DIR=str(tmp_path),
        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
        SOCKETIO_ASYNC_MODE="threading",
        **settings,
    )


def test_the_default_backend_follows_the_database(app, tmp_path):
    chosen = other_app(app, tmp_path, SEARCH_BACKEND=None).extensions["terreau_search"].name
    assert chosen == ("postgres" if ON_POSTGRESQL else "whoosh")


def test_whoosh_can_be_chosen_on_any_database(app, tmp_path):
    chosen = other_app(app, tmp_path, SEARCH_BACKEND="whoosh").extensions["terreau_search"]
    assert chosen.name == "whoosh"


@pytest.mark.parametrize(
    "value, message",
    [("solr", "must be one of whoosh, postgres"), ("postgres", "needs a PostgreSQL database")],
)
def test_a_backend_that_cannot_work_is_refused_at_start(app, tmp_path, value, message):
    if value == "postgres" and ON_POSTGRESQL:
        pytest.skip("PostgreSQL can search itself")
    with pytest.raises(RuntimeError, match=message):
        other_app(app, tmp_path, SEARCH_BACKEND=value)


@only_postgresql
def test_status_counts_the_documents_of_the_table(cli, search_index, make_member):
    make_member(display_name="Lina Lampe")
    result = cli("search", "status")
    assert result.exit_code == 0, result.output
    assert "documents in PostgreSQL (table search_documents)." in result.output
    assert "Changes waiting to be indexed: 0." in result.output


@only_postgresql
def test_a_change_made_during_a_rebuild_is_not_lost(
    app, client, cli, search_index, make_member, token_for, viewer, monkeypatch
):
    """The rebuild read the member before the change; the change's own write lands first, the
    rebuild's older document after it: the journal has the object written again."""
    member = make_member(display_name="Lina Lampe", trade="Céramiste")
    real_documents = indexing.all_documents
    headers = token_for(member)

    def documents_then_a_change(batch: int = 500):
        documents = list(real_documents(batch))  # read before the change
        response = client.patch("/api/v1/me", headers=headers, json={"trade": "Doreuse"})
        assert response.status_code == 200
        yield from documents

    monkeypatch.setattr(indexing, "all_documents", documents_then_a_change)
    result = cli("search", "reindex")
    assert result.exit_code == 0, result.output
    assert found(client, "doreuse", viewer) == {("member", member.id)}
    assert found(client, "céramiste", viewer) == set()
    assert "Changes waiting to be indexed: 0." in cli("search", "status").output


@only_postgresql
def test_an_empty_table_is_filled_at_start(app, client, make_member, viewer):
    """Switching an existing network to PostgreSQL's search: start-up builds its documents."""
    from network.extensions import db

    member = make_member(display_name="Lina Lampe", trade="Éclairagiste")
    with app.app_context():
        db.session.execute(db.text("DELETE FROM search_documents"))
        db.session.commit()
    assert found(client, "éclairagiste", viewer) == set()
    with app.app_context():
        indexing.ensure_search_index()
    assert found(client, "eclairagiste", viewer) == {("member", member.id)}


@only_postgresql
def test_a_search_reads_outside_transactions(app, client, login, make_member):
    """The search's statements (SQL text) are plain reads: a search page opens no transaction
    (and no ROLLBACK drops the statements the driver prepared), the same search as often."""
    from sqlalchemy import event

    from network.extensions import db

    login(make_member(display_name="Lina Lampe", trade="Éclairagiste"))
    with app.app_context():
        engine = db.engine
    states: list[str] = []

    def record(connection, *_):
        states.append(connection.connection.dbapi_connection.info.transaction_status.name)

    event.listen(engine, "before_cursor_execute", record)
    try:
        for _ in range(7):  # psycopg prepares a statement at its 5th run on a connection
            page = client.get("/search", query_string={"q": "eclairagiste"})
            assert page.status_code == 200
            assert "Lina Lampe" in page.get_data(as_text=True)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert states and set(states) == {"IDLE"}
