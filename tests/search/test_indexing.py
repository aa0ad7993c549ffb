"""After-commit indexing through one writer path: a committed change is found, a rolled-back
one never is, a failing or busy index never fails the user's write, concurrent writers all
land, and `flask search reindex` repairs what was missed."""

import sqlite3
import threading

import pytest
from sqlalchemy.engine import make_url
from whoosh import index as whoosh_index
from whoosh.filedb.filestore import FileStorage
from whoosh.writing import SegmentWriter

from network.search import indexing
from tests.conftest import form_post
from tests.search.conftest import api_search, eventually, found


@pytest.fixture
def author(search_index, make_member, token_for):
    """(member, API headers) of a member indexed as they were created."""
    member = make_member(display_name="Yasmine Roux", trade="Céramiste")
    return member, token_for(member)


def test_a_profile_edit_is_found_right_after_the_request(client, author, viewer):
    member, headers = author
    assert found(client, "céramiste", viewer) == {("member", member.id)}
    response = client.patch("/api/v1/me", headers=headers, json={"trade": "Souffleuse de verre"})
    assert response.status_code == 200
    assert found(client, "souffleuse", viewer) == {("member", member.id)}
    assert found(client, "céramiste", viewer) == set()  # the old version is gone


def test_a_profile_edit_through_the_form_is_found(client, login, author, viewer):
    member, _ = author
    login(member)
    response = form_post(
        client,
        "/me/profile",
        {"display_name": "Yasmine Roux", "trade": "Mosaïste", "headline": "Mosaïques murales"},
        page="/me/profile",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert found(client, "mosaiste", viewer) == {("member", member.id)}
    assert found(client, "murales", viewer) == {("member", member.id)}


def test_new_skills_are_found_on_the_member_and_as_skills(
    client, author, viewer, give_skills, new_skill
):
    member, _ = author
    skill = new_skill("Émaillage", "Enamelling", "Artisanat")
    assert found(client, "émaillage", viewer) == {("skill", skill)}
    give_skills(member, "Émaillage")
    assert found(client, "émaillage", viewer) == {("skill", skill), ("member", member.id)}
    assert ("member", member.id) in found(client, "enamel", viewer)  # the English name, typed


def test_a_refused_edit_is_never_indexed(client, author, viewer):
    member, headers = author
    response = client.patch(
        "/api/v1/me", headers=headers, json={"trade": "Taxidermiste", "postcode": "not a postcode!"}
    )
    assert response.status_code == 422
    assert "postcode" in response.get_json()["errors"]
    assert found(client, "taxidermiste", viewer) == set()
    assert found(client, "céramiste", viewer) == {("member", member.id)}


def test_a_rolled_back_write_after_a_flush_is_never_indexed(client, author, viewer):
    """The first item proposes (inserts, flushes, signals) a new skill; the second is invalid:
    the whole request rolls back and the proposed skill is never searchable."""
    member, headers = author
    response = client.put(
        "/api/v1/me/skills",
        headers=headers,
        json={"skills": [{"name": "Zythologie"}, {"skill_id": 987654}]},
    )
    assert response.status_code == 422
    assert found(client, "zythologie", viewer) == set()
    assert found(client, "zytho", viewer) == set()
    names = [
        s["name_fr"] for s in client.get("/api/v1/skills", headers=headers).get_json()["items"]
    ]
    assert "Zythologie" not in names


def test_an_index_that_fails_to_write_never_fails_the_request(
    client, cli, author, viewer, index_writes
):
    member, headers = author

    def broken():
        raise OSError("disk full")

    monkeypatch = index_writes(broken)
    response = client.patch("/api/v1/me", headers=headers, json={"trade": "Luthière"})
    assert response.status_code == 200
    assert response.get_json()["trade"] == "Luthière"  # the write itself is saved
    assert found(client, "luthière", viewer) == set()  # …but the index missed it

    monkeypatch.undo()
    result = cli("search", "reindex")
    assert result.exit_code == 0, result.output
    assert found(client, "luthière", viewer) == {("member", member.id)}
    assert found(client, "céramiste", viewer) == set()


@pytest.mark.whoosh
def test_a_busy_index_buffers_the_write_and_the_request_does_not_wait(
    client, author, viewer, search_index
):
    """Another process holds the index's one writer lock: the request still answers 200;
    the write lands once the lock is released."""
    member, headers = author
    other_process = whoosh_index.open_dir(str(search_index.folder)).writer()
    try:
        response = client.patch("/api/v1/me", headers=headers, json={"trade": "Vannière"})
        assert response.status_code == 200
    finally:
        other_process.cancel()  # releases the lock
    assert eventually(lambda: found(client, "vannière", viewer) == {("member", member.id)})
    assert found(client, "céramiste", viewer) == set()


def test_two_threads_committing_profile_edits_both_succeed_and_both_are_found(
    app, client, search_index, make_member, token_for, viewer
):
    members = [make_member(display_name=f"Artisane {n}") for n in (1, 2)]
    headers = [token_for(m) for m in members]
    words = ["Tonnelière", "Ferronnière"]
    start = threading.Barrier(2)
    statuses: dict[int, int] = {}

    def edit(n: int) -> None:
        own_client = app.test_client()
        start.wait()
        response = own_client.patch("/api/v1/me", headers=headers[n], json={"trade": words[n]})
        statuses[n] = response.status_code

    threads = [threading.Thread(target=edit, args=(n,)) for n in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert statuses == {0: 200, 1: 200}
    for member, word in zip(members, words, strict=True):
        assert eventually(lambda w=word: found(client, w, viewer)) == {("member", member.id)}


def test_a_reindex_while_members_write_never_fails_either(
    app, client, cli, search_index, make_member, token_for, viewer
):
    writers = [make_member(display_name=f"Rédactrice {n}") for n in range(3)]
    headers = [token_for(m) for m in writers]
    statuses: list[int] = []

    def edit() -> None:
        own_client = app.test_client()
        for member_headers in headers:
            response = own_client.patch(
                "/api/v1/me", headers=member_headers, json={"trade": "Graveuse"}
            )
            statuses.append(response.status_code)

    thread = threading.Thread(target=edit)
    thread.start()
    result = cli("search", "reindex")
    thread.join(timeout=30)
    assert result.exit_code == 0, result.output
    assert statuses == [200, 200, 200]
    # The search answers (200). Which edits it holds is not asserted: on PostgreSQL, which has
    # no database-wide write lock, an edit racing the rebuild's swap is lost until a reindex.
    api_search(client, "graveuse", viewer)


class RacingCommit:
    """Another process commits to the index between a reader's listing of the index folder
    and its opening of the table of contents it found (Whoosh then deletes that file).

    Armed once; it fires inside Whoosh's TOC.read, at the exact point where a real second
    process's commit makes `_MAIN_<n>.toc` disappear.
    """

    def __init__(self, monkeypatch):
        self.armed = False
        self.fired = False
        real_open = FileStorage.open_file

        def open_file(storage, name, *args, **kwargs):
            if self.armed and name.endswith(".toc"):
                self.armed = False
                writer = whoosh_index.open_dir(storage.folder).writer()
                writer.commit()  # a new generation; the one being opened is removed
                self.fired = True
            return real_open(storage, name, *args, **kwargs)

        monkeypatch.setattr(FileStorage, "open_file", open_file)


@pytest.mark.whoosh
def test_an_edit_racing_another_processs_commit_is_not_lost(client, author, viewer, monkeypatch):
    member, headers = author
    race = RacingCommit(monkeypatch)
    race.armed = True
    response = client.patch("/api/v1/me", headers=headers, json={"trade": "Doreuse"})
    assert response.status_code == 200
    assert race.fired
    assert eventually(lambda: found(client, "doreuse", viewer), timeout=10) == {
        ("member", member.id)
    }


@pytest.mark.whoosh
def test_a_search_racing_another_processs_commit_still_answers(
    client, author, viewer, monkeypatch, rebuilds
):
    member, _ = author
    race = RacingCommit(monkeypatch)
    race.armed = True
    response = client.get("/api/v1/search", query_string={"q": "céramiste"}, headers=viewer)
    assert race.fired
    assert response.status_code == 200, response.get_json()
    assert rebuilds == []


def test_a_reindex_does_not_lock_writers_out(app, cli, author, monkeypatch):
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "sqlite":
        pytest.skip("SQLite's database-wide write lock")
    real_documents = indexing.all_documents
    writable: list[bool] = []

    def documents_then_a_write(batch: int = 500):
        yield from real_documents(batch)
        other = sqlite3.connect(url.database, timeout=0.2, isolation_level=None)
        try:  # what a member's request does when they save something
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            writable.append(True)
        except sqlite3.OperationalError:  # database is locked
            writable.append(False)
        finally:
            other.close()

    monkeypatch.setattr(indexing, "all_documents", documents_then_a_write)
    result = cli("search", "reindex")
    assert result.exit_code == 0, result.output
    assert writable == [True]


@pytest.mark.whoosh
def test_an_edit_committing_while_a_reindex_swaps_the_index_in_does_not_damage_it(
    app, client, author, viewer, monkeypatch
):
    """A writer opened on the live index commits after `flask search reindex` swapped a
    fresh index in at the same path: the fresh index must stay readable, and the edit found."""
    member, headers = author
    real_commit = SegmentWriter._commit_toc
    reindexes: list[threading.Thread] = []

    def commit_after_a_swap(writer, *args, **kwargs):
        if not reindexes:
            reindex = threading.Thread(
                target=lambda: app.test_cli_runner().invoke(args=["search", "reindex"])
            )
            reindexes.append(reindex)
            reindex.start()
            reindex.join(timeout=2)  # swaps now, unless this write keeps it waiting
        return real_commit(writer, *args, **kwargs)

    monkeypatch.setattr(SegmentWriter, "_commit_toc", commit_after_a_swap)
    response = client.patch("/api/v1/me", headers=headers, json={"trade": "Dinandière"})
    assert response.status_code == 200
    reindexes[0].join(timeout=30)
    monkeypatch.undo()
    assert found(client, "dinandière", viewer) == {("member", member.id)}
    assert found(client, "céramiste", viewer) == set()
