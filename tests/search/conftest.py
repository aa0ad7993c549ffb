"""Fixtures for the search tests: a staff client, skills made through the staff page,
members' skills set through the API, and helpers that search through the public API.

Searches go through GET /api/v1/search (and the /search page where the page matters), as a
member or staff would; the index is reached only to simulate what other processes do to it.

Every test runs on the Whoosh backend and, when the test database is PostgreSQL, on the
PostgreSQL backend too (tests marked `whoosh` are about Whoosh's own machinery).
"""

import os
import time

import pytest

from tests.conftest import form_post

ON_POSTGRESQL = os.environ.get("TERREAU_TEST_BACKEND") == "postgresql"


def pytest_generate_tests(metafunc):
    if "search_engine" in metafunc.fixturenames:
        names = ["whoosh", "postgres"] if ON_POSTGRESQL else ["whoosh"]
        if metafunc.definition.get_closest_marker("whoosh"):
            names = ["whoosh"]
        names = getattr(metafunc.module, "SEARCH_ENGINES", names)
        metafunc.parametrize("search_engine", names, indirect=True)


@pytest.fixture(autouse=True)
def search_engine(request, app):
    """The search backend of the test (the app's is put back after it)."""
    from network.search.indexing import make_backend

    previous = app.extensions["terreau_search"]
    name = getattr(request, "param", previous.name)
    if name != previous.name:
        app.extensions["terreau_search"] = make_backend(app, name)
    yield name
    app.extensions["terreau_search"] = previous


@pytest.fixture
def index_writes(monkeypatch):
    """index_writes(action): every index write runs `action()` instead (raise: it fails),
    on either backend (Whoosh's update, PostgreSQL's write in the transaction)."""

    def replace(action):
        monkeypatch.setattr(
            "network.search.backend.WhooshBackend.update", lambda *args, **kwargs: action()
        )
        monkeypatch.setattr("network.search.indexing.write", lambda *args, **kwargs: action())
        return monkeypatch

    return replace


EN = {"Accept-Language": "en"}
FR = {"Accept-Language": "fr"}


@pytest.fixture
def staff(make_member):
    return make_member(role="staff", display_name="Équipe Appui")


@pytest.fixture
def staff_client(app, staff, login):
    """A client signed in as a staff member (the test's `client` stays free)."""
    return login(staff, c=app.test_client())


@pytest.fixture
def new_skill(staff_client):
    """Create an accepted skill through the staff page; returns its id."""

    def create(name_fr, name_en="", category="", synonyms=""):
        data = {"name_fr": name_fr, "name_en": name_en, "category": category}
        response = form_post(
            staff_client, "/staff/skills", {**data, "synonyms": synonyms}, page="/staff/skills"
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        items = staff_client.get("/api/v1/skills").get_json()["items"]
        return next(s["id"] for s in items if s["name_fr"] == name_fr)

    return create


@pytest.fixture
def give_skills(app, token_for):
    """Set a member's skills (by name, as experts) through PUT /api/v1/me/skills."""

    def give(member, *names):
        skills = [{"name": name, "level": "expert"} for name in names]
        response = app.test_client().put(
            "/api/v1/me/skills", headers=token_for(member), json={"skills": skills}
        )
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    return give


@pytest.fixture
def viewer(make_member, token_for):
    """API headers of an ordinary member who searches."""
    return token_for(make_member(display_name="Zoé Lectrice"))


@pytest.fixture
def staff_viewer(staff, token_for):
    """API headers of a staff member who searches."""
    return token_for(staff)


@pytest.fixture
def cli(app):
    """Run `flask …` commands: cli("search", "reindex") → click Result."""
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(args=list(args))


@pytest.fixture
def rebuilds(monkeypatch):
    """Record (instead of starting) the background rebuilds the search page and API ask for.

    Keeps the test in control of the index (no thread rebuilding it behind the test's back).
    """
    started = []
    for module in ("network.search.views", "network.search.api"):
        monkeypatch.setattr(f"{module}.rebuild_in_background", lambda app: started.append(app))
    return started


@pytest.fixture
def background_rebuild_done():
    """Wait, after the test, for a background rebuild it caused to finish."""
    yield
    from network.search import indexing

    assert indexing._rebuilding.acquire(timeout=30), "the background rebuild never finished"
    indexing._rebuilding.release()


def api_search(client, q, headers=None, **params):
    """The API's answer as JSON (asserting a 200)."""
    response = client.get("/api/v1/search", query_string={"q": q, **params}, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def found(client, q, headers=None, **params):
    """{(kind, id)} of the API's first page of results."""
    return {(r["kind"], r["id"]) for r in api_search(client, q, headers, **params)["results"]}


def eventually(check, timeout=5.0):
    """Poll `check()` until it is truthy or `timeout` seconds pass; returns its last value.

    Index writes that meet another writer are buffered and land shortly after the commit.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)
