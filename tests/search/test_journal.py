"""The search journal: a change whose documents did not reach the index (a crash, a failing
write) is written again at start-up; `flask search status` says how many wait."""

import pytest

from network.search.indexing import ensure_search_index
from tests.search.conftest import found


@pytest.fixture
def failing_index(index_writes):
    """Index writes fail (as a killed writer's buffer is lost)."""

    def fail():
        raise OSError("disk full")

    return index_writes(fail)


def test_a_write_that_reached_the_index_leaves_nothing_pending(cli, make_member, search_index):
    make_member(display_name="Lina Lampe")
    result = cli("search", "status")
    assert result.exit_code == 0
    assert "Changes waiting to be indexed: 0." in result.output


def test_a_lost_write_is_replayed_at_start(
    app, client, cli, search_index, make_member, viewer, failing_index
):
    lamp = make_member(display_name="Lina Lampe", trade="Éclairagiste")
    failing_index.undo()
    assert found(client, "éclairagiste", viewer) == set()
    assert "Changes waiting to be indexed: 2." in cli("search", "status").output
    with app.app_context():
        ensure_search_index()  # as at start-up
    assert found(client, "éclairagiste", viewer) == {("member", lamp.id)}
    assert "Changes waiting to be indexed: 0." in cli("search", "status").output


def test_a_rebuild_clears_the_journal(cli, search_index, make_member, failing_index):
    make_member(display_name="Lina Lampe")
    failing_index.undo()
    assert "Changes waiting to be indexed: 2." in cli("search", "status").output
    assert cli("search", "reindex").exit_code == 0
    assert "Changes waiting to be indexed: 0." in cli("search", "status").output
