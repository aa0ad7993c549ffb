"""The commonest words: past a number of possible matches, each kind of result is counted on
a sample of its last documents in index order. Such counts are flagged as estimates ("about
N", on the page and in the API); the hits shown are still ranked, restricted to the viewer's
audiences and re-checked against the database.

The thresholds are lowered here so that a handful of members is "frequent".
"""

import pytest
from sqlalchemy import text

from network.extensions import db
from network.search import backend as search_backend
from network.search import postgres
from tests.search.conftest import EN, FR, api_search

WORD = "permaculture"


@pytest.fixture
def sampled(monkeypatch):
    """Sample past 3 possible matches, 2 documents of each kind first; estimate past 1 more."""
    monkeypatch.setattr(search_backend, "LARGE", 3)
    monkeypatch.setattr(search_backend, "SAMPLE_MATCHES", 2)
    monkeypatch.setattr(search_backend, "EXACT_REST", 1)
    monkeypatch.setattr(postgres, "LARGE", 3)  # PostgreSQL: 2 newest documents of each kind
    monkeypatch.setattr(postgres, "SAMPLE", 2)
    monkeypatch.setattr(postgres, "WIDE_SAMPLE", 6)  # …then 6, if fewer than 30 matched


@pytest.fixture
def sampled_then_exact(sampled, monkeypatch):
    """Sampled, but the rest of each kind is matched exactly (few matches expected there):
    every match is found, whichever documents the sample held."""
    monkeypatch.setattr(search_backend, "EXACT_REST", 1000)
    monkeypatch.setattr(postgres, "SAMPLE", 1000)  # PostgreSQL: the whole kind is sampled


@pytest.fixture
def gardeners(search_index, viewer, staff_viewer, make_member):
    """Eight members whose bio has the word, then one whose bio (with the word) is for the
    support team only, then one with the word in the name."""
    plain = [make_member(bio=f"Jardin en {WORD} numéro {n}.") for n in range(8)]
    secret = make_member(display_name="Inès Secret", bio=f"{WORD} secrète", vis_bio="staff")
    named = make_member(display_name=f"Léo {WORD.capitalize()}", bio=f"Formateur en {WORD}.")
    return {"plain": plain, "secret": secret, "named": named}


def test_counts_of_a_frequent_word_are_flagged_as_estimates(client, viewer, gardeners, sampled):
    answer = api_search(client, WORD, viewer)
    assert answer["approximate"] == ["member"]
    assert answer["counts"]["member"] >= 2
    assert answer["results"], "a frequent word still finds something"


def test_counts_below_the_threshold_are_exact_and_not_flagged(client, viewer, gardeners):
    answer = api_search(client, WORD, viewer)
    assert answer["approximate"] == []
    assert answer["counts"] == {"member": 9}  # the plain ones and the named one


def test_a_sampled_search_matching_the_rest_exactly_counts_exactly(
    client, viewer, gardeners, sampled_then_exact
):
    answer = api_search(client, WORD, viewer)
    assert answer["approximate"] == []
    assert answer["counts"] == {"member": 9}


def test_an_estimated_count_has_two_significant_figures(app, monkeypatch):
    from network.search.queries import _about

    assert [_about(n) for n in (7, 99, 123, 1_049, 12_345, 99_999)] == [
        7,
        99,
        120,
        1_000,
        12_000,
        100_000,
    ]


def test_a_frequent_word_still_ranks_its_hits(client, viewer, gardeners, sampled_then_exact):
    results = api_search(client, WORD, viewer)["results"]
    assert results[0] == {**results[0], "kind": "member", "id": gardeners["named"].id}
    assert all(WORD in r["snippet"].lower() or WORD in r["title"].lower() for r in results)


def test_a_frequent_word_shows_members_no_staff_only_text(
    client, viewer, gardeners, sampled_then_exact
):
    ids = {r["id"] for r in api_search(client, WORD, viewer)["results"]}
    assert gardeners["secret"].id not in ids
    assert gardeners["named"].id in ids


def test_a_frequent_word_shows_staff_what_they_may_read(
    client, staff_viewer, gardeners, sampled_then_exact
):
    answer = api_search(client, WORD, staff_viewer)
    assert gardeners["secret"].id in {r["id"] for r in answer["results"]}
    assert answer["counts"] == {"member": 10}


def test_a_frequent_word_re_checks_every_hit(app, client, viewer, gardeners, sampled_then_exact):
    named = gardeners["named"]
    with app.app_context():  # deactivated behind the index's back: it still holds the member
        db.session.execute(
            text("UPDATE members SET is_active = false WHERE id = :id"), {"id": named.id}
        )
        db.session.commit()
    results = api_search(client, WORD, viewer)["results"]
    assert named.id not in {r["id"] for r in results}
    assert results, "the other hits are still shown"


@pytest.mark.parametrize(("headers", "about"), [(EN, "about "), (FR, "environ ")])
def test_the_page_says_a_count_is_an_estimate(
    client, login, make_member, gardeners, sampled, headers, about
):
    login(make_member())
    page = client.get("/search", query_string={"q": WORD}, headers=headers)
    assert page.status_code == 200
    assert f'<span class="count">{about}' in page.get_data(as_text=True)


def test_the_page_gives_an_exact_count_as_is(client, login, make_member, gardeners):
    login(make_member())
    page = client.get("/search", query_string={"q": WORD}, headers=FR).get_data(as_text=True)
    assert '<span class="count">9</span>' in page


@pytest.fixture
def looked_up_among(monkeypatch):
    """A query's commoner part is always looked for among its rarer part's documents."""
    monkeypatch.setattr(search_backend, "AMONG_RATIO", 0)


@pytest.mark.parametrize("mode", ["exact", "looked_up_among", "sampled_then_exact"])
def test_a_rare_word_with_a_frequent_one_finds_exactly_their_documents(
    request, client, viewer, gardeners, make_member, mode
):
    """The frequent word is looked for only among the rare word's documents."""
    if mode != "exact":
        request.getfixturevalue(mode)
    both = make_member(display_name="Nour Rare", bio=f"{WORD} et zythologie")
    make_member(display_name="Zia Seule", bio="zythologie seule")
    for q in (f"{WORD} zythologie", f"zythologie {WORD}"):
        answer = api_search(client, q, viewer)
        assert [(r["kind"], r["id"]) for r in answer["results"]] == [("member", both.id)]
        assert answer["counts"] == {"member": 1}


def test_a_sampled_search_shows_members_no_staff_only_text(client, viewer, gardeners, sampled):
    """The hits of an estimated search come from the samples: the viewer's audiences only."""
    answer = api_search(client, WORD, viewer)
    assert answer["approximate"] == ["member"]
    ids = {r["id"] for r in answer["results"]}
    assert ids, "a frequent word still finds something"
    assert gardeners["secret"].id not in ids


def test_a_kind_with_few_matches_in_its_sample_is_sampled_wider(
    client, viewer, gardeners, sampled, monkeypatch, search_engine
):
    """PostgreSQL: fewer than 30 matches among a kind's newest documents, and the kind is
    matched again on more of them (here all: its count is exact again)."""
    if search_engine != "postgres":
        pytest.skip("the PostgreSQL backend's wider sample")
    monkeypatch.setattr(postgres, "WIDE_SAMPLE", 1000)
    answer = api_search(client, WORD, viewer)
    assert answer["approximate"] == []
    assert answer["counts"] == {"member": 9}


def test_a_kind_first_written_after_a_search_is_found_at_once(
    client, viewer, gardeners, member_api
):
    """The kinds of documents (and their sizes) are remembered between searches; a kind's
    first document is found all the same."""
    api_search(client, WORD, viewer)
    _author, headers = member_api(display_name="Alice Martin")
    response = client.post("/api/v1/posts", json={"body": f"Un potager en {WORD}"}, headers=headers)
    assert response.status_code == 201
    answer = api_search(client, WORD, viewer)
    assert ("post", response.get_json()["id"]) in {(r["kind"], r["id"]) for r in answer["results"]}
    assert answer["counts"] == {"member": 9, "post": 1}


def test_a_word_the_samples_miss_but_too_frequent_to_count_is_estimated(
    client, viewer, gardeners, make_member, sampled, search_engine
):
    """PostgreSQL: the kind's newest documents lack the word (its sample finds none, so it
    is counted), but more than `LARGE` documents have it: it is estimated after all, on the
    kind's wider sample, and its hits are that sample's matches."""
    if search_engine != "postgres":
        pytest.skip("the PostgreSQL backend's samples")
    for n in range(2):
        make_member(display_name=f"Sans Mot {n}", bio="Rien à voir.")
    answer = api_search(client, WORD, viewer)
    assert answer["approximate"] == ["member"]
    assert answer["counts"]["member"] >= 3
    ids = {r["id"] for r in answer["results"]}
    assert gardeners["named"].id in ids
    assert gardeners["secret"].id not in ids


@pytest.mark.parametrize("word", [WORD, "permaculteur"])  # the second: by its root only
def test_a_word_the_planner_expects_in_too_many_documents_is_estimated_without_a_count(
    app, client, viewer, gardeners, make_member, sampled, search_engine, word
):
    """PostgreSQL: the kind's newest documents lack the word (its sample finds none), but
    the planner's statistics say more than `LARGE` documents have it, by its stem or by its
    root: the count is estimated at once, on the kind's wider sample, without counting the
    matches first."""
    if search_engine != "postgres":
        pytest.skip("the PostgreSQL backend's samples")
    from sqlalchemy import event

    for n in range(2):
        make_member(display_name=f"Sans Mot {n}", bio="Rien à voir.")
    with app.app_context():
        db.session.execute(text("ANALYZE search_documents"))
        db.session.commit()
        engine = db.engine
    statements: list[str] = []

    def record(_connection, _cursor, statement, *_):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        answer = api_search(client, word, viewer)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert answer["approximate"] == ["member"]
    assert gardeners["named"].id in {r["id"] for r in answer["results"]}
    counted = f"LIMIT {postgres.LARGE + 1})"  # the exact count's
    assert statements and not any(counted in statement for statement in statements)
