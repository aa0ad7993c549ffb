"""An index damaged under the running server (a file truncated or overwritten in place):
searching says the index is being rebuilt instead of crashing or serving stale results, and
results come back after the rebuild."""

import pytest

from tests.search.conftest import api_search, found

pytestmark = pytest.mark.whoosh  # damage to its files; PostgreSQL: test_postgres.py

UNAVAILABLE = "The search index is being rebuilt: try again in a moment."
EN = {"Accept-Language": "en"}


@pytest.fixture
def indexed(search_index, make_member, token_for):
    lamp = make_member(display_name="Lina Lampe", trade="Éclairagiste", trading_name="Atelier Lux")
    reader = make_member(display_name="Raphaël Lecteur")
    return {"lamp": lamp, "headers": {**token_for(reader), **EN}}


def index_files(app, suffix):
    folder = app.extensions["terreau_search"].folder
    return sorted(folder.glob(f"*{suffix}"))


def truncate(path, size=None):
    """Cut a file in place (the inode stays: a reader holding it open sees the cut)."""
    with open(path, "r+b") as file:
        file.truncate(path.stat().st_size // 2 if size is None else size)


def assert_being_rebuilt(response):
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert response.headers["Retry-After"] == "30"
    assert response.get_json()["detail"] == UNAVAILABLE


@pytest.mark.parametrize("size", [None, 0, 10])
def test_a_segment_truncated_under_the_live_searcher(app, client, cli, indexed, rebuilds, size):
    assert found(client, "lux", indexed["headers"])  # the searcher has the files open
    for path in index_files(app, ".seg"):
        truncate(path, size)
    response = client.get("/api/v1/search?q=lux", headers=indexed["headers"])
    assert_being_rebuilt(response)
    assert rebuilds  # a rebuild was asked for
    assert cli("search", "reindex").exit_code == 0
    assert found(client, "lux", indexed["headers"]) == {
        ("member", indexed["lamp"].id),
        ("activity", indexed["lamp"].id),
    }


def test_a_segment_truncated_while_no_searcher_was_open(app, client, indexed, rebuilds):
    app.extensions["terreau_search"].forget()  # as in a process started after the damage
    for path in index_files(app, ".seg"):
        truncate(path)
    assert_being_rebuilt(client.get("/api/v1/search?q=lux", headers=indexed["headers"]))


def test_a_damaged_file_read_after_the_check_is_caught(app, client, indexed, rebuilds, monkeypatch):
    """A file cut between the check of the index's files and the reading of its postings:
    the read fails (no memory map to crash the process) and the answer is the same."""
    assert found(client, "lux", indexed["headers"])
    monkeypatch.setattr("network.search.backend._tampered", lambda before, now: False)
    monkeypatch.setattr("network.search.backend._check_segments", lambda folder, names: None)
    for path in index_files(app, ".seg"):
        truncate(path, 64)
    assert_being_rebuilt(client.get("/api/v1/search?q=lux", headers=indexed["headers"]))


def test_a_garbage_table_of_contents_is_not_served_stale(app, client, indexed, rebuilds):
    assert found(client, "lux", indexed["headers"])
    for path in index_files(app, ".toc"):
        path.write_bytes(b"\x00garbage\xff" * 64)  # same name, same generation
    assert_being_rebuilt(client.get("/api/v1/search?q=lux", headers=indexed["headers"]))


def test_the_page_says_search_is_being_rebuilt(app, client, login, indexed, rebuilds):
    login(indexed["lamp"])
    assert client.get("/search?q=lux", headers=EN).status_code == 200
    for path in index_files(app, ".seg"):
        truncate(path)
    response = client.get("/search?q=lux", headers=EN)
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert 'role="status"' in page and "Traceback" not in page
    assert "being rebuilt" in page


def test_the_background_rebuild_brings_results_back(app, client, indexed, background_rebuild_done):
    from tests.search.conftest import eventually

    assert found(client, "lux", indexed["headers"])
    for path in index_files(app, ".seg"):
        truncate(path)
    assert_being_rebuilt(client.get("/api/v1/search?q=lux", headers=indexed["headers"]))

    def answered():
        response = client.get("/api/v1/search?q=lux", headers=indexed["headers"])
        return response.status_code == 200 and response.get_json()["results"]

    assert eventually(answered, timeout=15)
    assert api_search(client, "lux", indexed["headers"])["counts"] == {"member": 1, "activity": 1}


def test_a_rebuild_asked_again_for_the_same_damage_is_skipped(cli, indexed):
    """Each server process that meets the damage asks for a rebuild: one is enough."""
    import time

    long_ago = cli("search", "reindex", "--unless-built-since", str(time.time() - 3600))
    assert long_ago.exit_code == 0 and "already rebuilt meanwhile" in long_ago.output
    later = cli("search", "reindex", "--unless-built-since", str(time.time() + 1))
    assert later.exit_code == 0 and "Search index rebuilt: 5 documents." in later.output


def test_a_segment_being_written_by_another_process_is_no_damage(app, client, indexed, rebuilds):
    """A commit in progress writes its segment file before the table of contents names it."""
    assert found(client, "lux", indexed["headers"])
    folder = app.extensions["terreau_search"].folder
    (folder / "MAIN_inprogress.seg").write_bytes(b"\x00" * 12 + b"half written")
    assert found(client, "lux", indexed["headers"])
    (folder / "MAIN_inprogress.seg").write_bytes(b"\x00" * 40)  # growing
    assert found(client, "lux", indexed["headers"])
    assert rebuilds == []
