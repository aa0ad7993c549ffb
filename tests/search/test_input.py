"""Bad input never gives a 500; results are grouped by kind, filtered by kind and paged."""

import pytest

from network.core.pagination import encode_cursor
from network.search.indexing import rebuild
from tests.search.conftest import api_search, found


@pytest.fixture
def some(search_index, make_member, new_skill, give_skills):
    """A member with a skill and an activity, and the skill itself."""
    graphiste = make_member(
        display_name="Gaëlle Graff", trade="Graphiste", trading_name="Studio Graphite"
    )
    skill = new_skill("Graphisme", "Graphic design", "Création")
    give_skills(graphiste, "Graphisme")
    return {"member": graphiste.id, "skill": skill}


@pytest.fixture
def page(client, login, make_member):
    """GET /search as a signed-in member: q → response."""
    login(make_member(display_name="Pierre Page"))
    return lambda **params: client.get("/search", query_string=params)


SYNTAX = [
    '"graph',
    'graph"',
    '"',
    '""',
    "*",
    "graph*",
    "?",
    "AND OR",
    "AND",
    "NOT graph",
    "graph OR",
    "((",
    "))",
    "[a TO z]",
    "{",
    "title:graph",
    "audience:staff",
    "graph~2",
    "graph^3",
    "*:*",
    "\\",
    "%",
    "'",
    "l'électricienne",
    "🙂",
    "a",
    "x " * 60,
    "é" * 200,
    "graphisme " * 20,
    "menuisier\u0301",
]


@pytest.mark.parametrize("q", SYNTAX)
def test_query_syntax_never_breaks_the_api(client, viewer, some, q):
    response = client.get("/api/v1/search", query_string={"q": q}, headers=viewer)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert set(response.get_json()) == {"results", "counts", "approximate", "next"}


def test_query_syntax_never_breaks_the_page(page, some):
    for q in SYNTAX:
        response = page(q=q)
        assert response.status_code == 200, q
        assert "Traceback" not in response.get_data(as_text=True)


def test_an_unbalanced_quote_is_read_as_a_word(client, viewer, some):
    assert ("skill", some["skill"]) in found(client, '"graph', viewer)


def test_empty_or_missing_q_is_a_field_error_in_the_api(client, viewer, some):
    for params in ({"q": ""}, {"q": "   "}, {}):
        response = client.get("/api/v1/search", query_string=params, headers=viewer)
        assert response.status_code == 422
        assert response.mimetype == "application/problem+json"
        assert "q" in response.get_json()["errors"]


def test_an_empty_q_shows_the_search_form(page, some):
    response = page(q="")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="search-page-q"' in html and "search-hits" not in html


def test_a_query_of_201_characters_is_refused(client, viewer, page, some):
    at_most = client.get("/api/v1/search", query_string={"q": "g" * 200}, headers=viewer)
    assert at_most.status_code == 200
    response = client.get("/api/v1/search", query_string={"q": "g" * 201}, headers=viewer)
    assert response.status_code == 422
    assert "q" in response.get_json()["errors"]
    html_response = page(q="g" * 201)
    assert html_response.status_code == 422
    assert 'class="field-error"' in html_response.get_data(as_text=True)


def test_an_unknown_kind_is_refused(client, viewer, page, some):
    for kind in ("zzz", "members", "SKILL", "audience"):
        response = client.get(
            "/api/v1/search", query_string={"q": "graph", "kind": kind}, headers=viewer
        )
        assert response.status_code == 422, kind
        assert "kind" in response.get_json()["errors"]
    assert page(q="graph", kind="zzz").status_code == 422


@pytest.mark.parametrize(
    "cursor",
    [
        "abc",
        "!!!",
        "%%%",
        encode_cursor(["2"]),
        encode_cursor([True]),
        encode_cursor([1, 2]),
        encode_cursor([-1]),
        encode_cursor([2**62]),
        encode_cursor([1.5]),
        "e30",  # {}
    ],
)
def test_a_tampered_cursor_is_refused(client, viewer, page, some, cursor):
    response = client.get(
        "/api/v1/search", query_string={"q": "graphiste", "cursor": cursor}, headers=viewer
    )
    assert response.status_code == 422
    assert "cursor" in response.get_json()["errors"]
    assert page(q="graphiste", cursor=cursor).status_code == 422


def test_anonymous_visitors_cannot_search(client, some):
    assert client.get("/api/v1/search?q=graphiste").status_code == 401
    response = client.get("/search?q=graphiste")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_page_groups_results_by_kind(page, some):
    html = page(q="graph").get_data(as_text=True)
    for kind in ("member", "activity", "skill"):
        assert f'id="kind-{kind}"' in html
    assert html.index('id="kind-member"') < html.index('id="kind-skill"')
    assert '<span class="count">1</span>' in html


def test_counts_cover_every_kind(client, viewer, some):
    answer = api_search(client, "graph", viewer)
    assert answer["counts"] == {"member": 1, "activity": 1, "skill": 1}
    kinds = {r["kind"] for r in answer["results"]}
    assert kinds == {"member", "activity", "skill"}


def test_kind_limits_the_results(client, viewer, page, some):
    answer = api_search(client, "graph", viewer, kind="skill")
    assert [(r["kind"], r["id"]) for r in answer["results"]] == [("skill", some["skill"])]
    assert answer["counts"]["member"] == 1  # the other kinds stay counted, for the tabs
    html = page(q="graph", kind="skill").get_data(as_text=True)
    assert 'id="kind-skill"' in html and 'id="kind-member"' not in html
    assert 'aria-current="page"' in html


@pytest.fixture
def many(app, make_member):
    """25 woodworkers, indexed in one rebuild (faster than 25 incremental writes)."""
    ids = {make_member(display_name=f"Menuisière {n:02}", trade="Menuisière").id for n in range(25)}
    with app.app_context():
        rebuild()
    return ids


def test_the_next_cursor_pages_through_more_than_20_results(client, viewer, many):
    first = api_search(client, "menuisière", viewer)
    assert len(first["results"]) == 20
    assert first["counts"] == {"member": 25}
    assert first["next"]
    second = api_search(client, "menuisière", viewer, cursor=first["next"])
    assert len(second["results"]) == 5
    seen = [r["id"] for r in first["results"] + second["results"]]
    assert len(seen) == len(set(seen)) and set(seen) == many


def test_the_last_page_has_no_next_cursor(client, viewer, many):
    first = api_search(client, "menuisière", viewer)
    second = api_search(client, "menuisière", viewer, cursor=first["next"])
    assert second["next"] is None


def test_hidden_matches_do_not_show_through_the_next_cursor(app, client, viewer, make_member):
    for n in range(21):
        make_member(display_name=f"Discrète {n:02}", city="Villeurbanne", vis_location="staff")
    with app.app_context():
        rebuild()
    answer = api_search(client, "villeurbanne", viewer)
    assert answer["results"] == [] and answer["counts"] == {}
    assert answer["next"] is None


def test_the_page_links_to_the_next_results(page, many):
    html = page(q="menuisière").get_data(as_text=True)
    assert 'rel="next"' in html
    assert html.count('<li><a href="/members/') == 20


def test_a_cursor_past_the_end_gives_no_more_results(client, viewer, some):
    answer = api_search(client, "graphiste", viewer, cursor=encode_cursor([5]))
    assert answer["results"] == [] and answer["next"] is None
