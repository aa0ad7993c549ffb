"""A missing or corrupt index: searching says so (503), the rest of the app keeps working,
the index is rebuilt (in the background, at start, or by `flask search reindex`), and
`flask search status` reports."""

import shutil

import pytest
from whoosh import index
from whoosh.fields import TEXT, Schema

from network.search.indexing import ensure_search_index
from tests.search.conftest import api_search, eventually, found

pytestmark = pytest.mark.whoosh  # damage to its files; PostgreSQL: test_postgres.py

UNAVAILABLE = "The search index is being rebuilt: try again in a moment."


@pytest.fixture
def indexed(search_index, make_member, token_for):
    """Two members (one with an activity), indexed: 2 × 2 member documents + 1 activity."""
    lamp = make_member(display_name="Lina Lampe", trade="Éclairagiste", trading_name="Atelier Lux")
    reader = make_member(display_name="Raphaël Lecteur")
    return {"lamp": lamp, "headers": token_for(reader), "lamp_headers": token_for(lamp)}


def everything_of(member) -> set[tuple[str, int]]:
    """The member's profile and activity, as search results."""
    return {("member", member.id), ("activity", member.id)}


def break_index(app, how: str) -> None:
    """Delete the index folder, overwrite its files with garbage, or replace it by an index of
    another schema, as an older version built it (its searcher closed first, as a restarted
    process would have it)."""
    backend = app.extensions["terreau_search"]
    backend.forget()
    if how == "missing":
        shutil.rmtree(backend.folder)
    elif how == "outdated":
        shutil.rmtree(backend.folder)
        backend.folder.mkdir()
        with index.create_in(str(backend.folder), Schema(title=TEXT(stored=True))).writer() as w:
            w.add_document(title="Éclairagiste")
    else:
        for path in backend.folder.iterdir():
            path.write_bytes(b"\x00garbage\xff" * 64)


@pytest.mark.parametrize("how", ["missing", "corrupt", "outdated"])
def test_the_api_answers_503_problem_json(app, client, indexed, rebuilds, how):
    break_index(app, how)
    response = client.get("/api/v1/search?q=eclairagiste", headers=indexed["headers"])
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert response.headers["Retry-After"] == "30"
    body = response.get_json()
    assert body["status"] == 503 and body["detail"]
    assert "Traceback" not in response.get_data(as_text=True)
    assert len(rebuilds) == 1  # a rebuild was asked for


@pytest.mark.parametrize("how", ["missing", "corrupt", "outdated"])
def test_the_search_page_says_so_and_the_app_keeps_working(
    app, client, login, indexed, rebuilds, how
):
    login(indexed["lamp"])
    break_index(app, how)
    response = client.get("/search?q=eclairagiste")
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert 'role="status"' in page and "Traceback" not in page
    assert rebuilds
    assert client.get("/members").status_code == 200
    assert client.get("/search").status_code == 200  # the empty search form
    assert client.get(f"/members/{indexed['lamp'].id}").status_code == 200
    edit = client.patch("/api/v1/me", headers=indexed["lamp_headers"], json={"trade": "Verrière"})
    assert edit.status_code == 200  # writes do not need the index


@pytest.mark.parametrize("how", ["missing", "corrupt", "outdated"])
def test_reindex_rebuilds_it_and_prints_the_count(app, client, cli, indexed, rebuilds, how):
    break_index(app, how)
    result = cli("search", "reindex")
    assert result.exit_code == 0, result.output
    assert "Search index rebuilt: 5 documents." in result.output
    assert found(client, "éclairagiste", indexed["headers"]) == everything_of(indexed["lamp"])
    assert found(client, "lux", indexed["headers"]) == everything_of(indexed["lamp"])
    status = cli("search", "status")
    assert status.exit_code == 0
    assert "Search index: 5 documents" in status.output


def test_status_reports_a_missing_index(app, cli, indexed):
    break_index(app, "missing")
    result = cli("search", "status")
    assert result.exit_code == 1
    assert "No readable search index: run `flask search reindex`." in result.output


def test_a_reindex_over_a_live_index_keeps_it_searchable(client, cli, indexed):
    assert cli("search", "reindex").exit_code == 0
    assert cli("search", "reindex").exit_code == 0
    assert found(client, "éclairagiste", indexed["headers"]) == everything_of(indexed["lamp"])


def test_the_index_is_rebuilt_in_the_background_after_a_503(
    app, client, indexed, background_rebuild_done
):
    break_index(app, "missing")
    response = client.get("/api/v1/search?q=eclairagiste", headers=indexed["headers"])
    assert response.status_code == 503
    edit = client.patch("/api/v1/me", headers=indexed["lamp_headers"], json={"trade": "Verrière"})
    assert edit.status_code == 200

    def answered():
        again = client.get("/api/v1/search?q=verrière", headers=indexed["headers"])
        return again.status_code == 200 and again.get_json()["results"]

    results = eventually(answered, timeout=15)
    assert {(r["kind"], r["id"]) for r in results} == everything_of(indexed["lamp"])


def test_a_missing_index_is_built_at_start(app, client, indexed):
    break_index(app, "missing")
    with app.app_context():
        ensure_search_index()
    assert found(client, "éclairagiste", indexed["headers"]) == everything_of(indexed["lamp"])


def test_a_present_index_is_left_alone_at_start(app, client, indexed):
    backend = app.extensions["terreau_search"]
    before = sorted(p.name for p in backend.folder.iterdir())
    with app.app_context():
        ensure_search_index()
    assert sorted(p.name for p in backend.folder.iterdir()) == before


def test_status_reports_a_corrupt_index(app, cli, indexed):
    break_index(app, "corrupt")
    result = cli("search", "status")
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.exit_code == 1
    assert "reindex" in result.output


def test_a_corrupt_index_is_rebuilt_at_start(app, client, indexed):
    break_index(app, "corrupt")
    with app.app_context():
        ensure_search_index()
    assert found(client, "éclairagiste", indexed["headers"]) == everything_of(indexed["lamp"])


def test_the_unavailable_message_is_translated(app, client, login, indexed, rebuilds):
    break_index(app, "missing")
    api = client.get(
        "/api/v1/search?q=lux", headers={**indexed["headers"], "Accept-Language": "fr"}
    )
    assert api.get_json()["detail"] != UNAVAILABLE
    login(indexed["lamp"])  # a French-speaking member (the default locale)
    page = client.get("/search?q=lux").get_data(as_text=True)
    assert '<html lang="fr">' in page
    assert "The search index is being rebuilt" not in page


def test_the_503_problem_has_a_fitting_title(app, client, indexed, rebuilds):
    break_index(app, "missing")
    response = client.get(
        "/api/v1/search?q=lux", headers={**indexed["headers"], "Accept-Language": "en"}
    )
    assert response.status_code == 503
    assert response.get_json()["title"] not in ("Invalid request", "Requête non valide")


def test_search_works_again_after_the_repair(client, cli, app, indexed, rebuilds):
    break_index(app, "corrupt")
    assert client.get("/api/v1/search?q=lux", headers=indexed["headers"]).status_code == 503
    assert cli("search", "reindex").exit_code == 0
    assert api_search(client, "lux", indexed["headers"])["counts"] == {"member": 1, "activity": 1}


def test_start_up_warms_the_index_and_searches_find_the_same(
    app, client, indexed, staff_viewer, make_member
):
    """Start-up builds what the first search would (per-segment sets, a search, templates):
    what members and staff find after it is what they found before."""
    hidden = make_member(
        display_name="Lou Discrète", trading_name="Atelier Lux", vis_activity="staff"
    )
    as_member = api_search(client, "lux", indexed["headers"])
    as_staff = api_search(client, "lux", staff_viewer)
    app.extensions["terreau_search"].forget()  # as a restarted process
    with app.app_context():
        ensure_search_index()
    assert api_search(client, "lux", indexed["headers"]) == as_member
    assert api_search(client, "lux", staff_viewer) == as_staff
    assert ("activity", hidden.id) not in found(client, "lux", indexed["headers"])
    assert ("activity", hidden.id) in found(client, "lux", staff_viewer)


@pytest.mark.parametrize("how", ["missing", "corrupt"])
def test_warming_an_unreadable_index_never_fails(app, indexed, how):
    break_index(app, how)
    assert app.extensions["terreau_search"].warm() == 0
