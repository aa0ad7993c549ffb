"""French-aware matching: folding, stemming and roots, prefixes as you type, phrases, AND."""

import pytest

from tests.search.conftest import api_search, found


@pytest.fixture
def people(search_index, make_member, new_skill, give_skills):
    """Members and skills written after the index exists (indexed as they commit)."""
    awa = make_member(display_name="Awa Diallo", trade="Électricienne", city="Lyon")
    bruno = make_member(display_name="Bruno Petit", trade="Développeur web", city="Grenoble")
    chloe = make_member(
        display_name="Chloé Martin",
        trade="Développeuse mobile",
        bio="Je fais aussi des sites web.",
        city="Lyon",
    )
    skills = {
        "electricite": new_skill("Électricité", "Electrical work", "Bâtiment"),
        "graphisme": new_skill("Graphisme", "Graphic design", "Création"),
        "dev": new_skill("Développement web", "Web development", "Numérique"),
    }
    give_skills(bruno, "Graphisme")
    return {
        "awa": ("member", awa.id),
        "bruno": ("member", bruno.id),
        "chloe": ("member", chloe.id),
        **{name: ("skill", skill_id) for name, skill_id in skills.items()},
    }


def test_electricite_finds_the_electrician_and_the_skill(client, viewer, people):
    results = found(client, "electricite", viewer)
    assert {people["awa"], people["electricite"]} <= results
    assert people["bruno"] not in results


def test_a_feminine_form_finds_the_masculine_one(client, viewer, people):
    assert people["bruno"] in found(client, "développeuse", viewer)  # "Développeur web"
    assert people["chloe"] in found(client, "développeur", viewer)  # "Développeuse mobile"


@pytest.mark.parametrize(
    "q", ["électricienne", "ELECTRICIENNE", "Electricienne", "eLeCtRiCiEnNe", "ÉLÉCTRICIENNE"]
)
def test_case_and_accents_are_ignored(client, viewer, people, q):
    assert people["awa"] in found(client, q, viewer)


def test_the_last_word_matches_as_a_prefix_while_typing(client, viewer, people):
    assert people["dev"] in found(client, "Dével", viewer)
    typed = found(client, "grap", viewer)
    assert {people["graphisme"], people["bruno"]} <= typed  # the skill, and who holds it
    assert people["bruno"] in found(client, "Bru", viewer)  # a name, as you type
    assert people["awa"] in found(client, "dia", viewer)


def test_a_finished_word_is_not_a_prefix(client, viewer, people):
    assert people["graphisme"] not in found(client, "grap ", viewer)  # the space ends the word


def test_only_the_last_word_is_a_prefix(client, viewer, people):
    assert people["bruno"] not in found(client, "Bru graphisme", viewer)
    assert people["bruno"] in found(client, "Bruno grap", viewer)


def test_a_quoted_phrase_matches_only_the_exact_sequence(client, viewer, people):
    assert found(client, '"développeur web"', viewer) == {people["bruno"]}
    assert found(client, '"web développeur"', viewer) == set()
    # Unquoted, the words may be anywhere: Chloé (développeuse, "sites web") matches too.
    assert {people["bruno"], people["chloe"]} <= found(client, "développeur web", viewer)


def test_two_words_narrow_the_results(client, viewer, people):
    in_lyon = found(client, "lyon ", viewer)
    assert {people["awa"], people["chloe"]} <= in_lyon
    assert people["bruno"] not in in_lyon
    assert found(client, "développeuse lyon ", viewer) == {people["chloe"]}
    assert found(client, "électricienne grenoble ", viewer) == set()


def test_results_carry_title_snippet_and_url(client, viewer, people):
    results = api_search(client, "électricienne ", viewer)["results"]
    awa = next(r for r in results if (r["kind"], r["id"]) == people["awa"])
    assert awa["title"] == "Awa Diallo"
    assert awa["url"] == f"/members/{people['awa'][1]}"
    assert '<mark class="hit' in awa["snippet"] and "Électricienne" in awa["snippet"]
    skill = next(r for r in results if r["kind"] == "skill")
    assert skill["url"] == f"/skills/{people['electricite'][1]}"


def test_the_search_page_highlights_the_words(client, login, make_member, people):
    login(make_member())
    page = client.get("/search?q=électricienne").get_data(as_text=True)
    assert '<mark class="hit term0">Électricienne</mark>' in page
    assert 'href="/members/{}"'.format(people["awa"][1]) in page


def test_as_you_type_finds_a_member_by_the_start_of_their_trade(client, viewer, people):
    assert people["bruno"] in found(client, "Dével", viewer)
    assert people["awa"] in found(client, "Élec", viewer)


def test_searches_at_the_same_time_in_threads_all_answer(app, viewer, people):
    """The index's files are shared by every search: threads searching at once (a threaded
    server) each get their answer, none a 503."""
    from concurrent.futures import ThreadPoolExecutor

    def searches(_n):
        client = app.test_client()
        answers = [
            client.get("/api/v1/search", query_string={"q": q}, headers=viewer)
            for q in ("electricite", "développeur", "Lyon", "grap") * 6
        ]
        return [a.status_code for a in answers]

    with ThreadPoolExecutor(6) as pool:
        codes = [code for batch in pool.map(searches, range(6)) for code in batch]
    assert set(codes) == {200}
