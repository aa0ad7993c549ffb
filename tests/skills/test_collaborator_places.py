"""Find collaborators: a place named in the free text ("près de Saint-Étienne", "à Lyon", a
postcode) is the proximity filter, not a keyword (POST /api/v1/collaborators and the page)."""

import pytest

from tests.skills.conftest import EN


@pytest.fixture
def web(new_skill):
    return new_skill("Développement web", "Web development")


@pytest.fixture
def cooperative(make_member, give_skills, web):
    """Three web developers: in Saint-Étienne, Lyon and Paris."""
    give_skills(
        make_member(display_name="Ana Paris", city="Paris", postcode="75011"), (web, "expert")
    )
    give_skills(
        make_member(display_name="Zoé Lyon", city="Lyon", postcode="69003"), (web, "expert")
    )
    give_skills(
        make_member(display_name="Léo Stéphanois", city="Saint-Étienne", postcode="42100"),
        (web, "expert"),
    )


@pytest.fixture
def ask(client, token_for, make_member):
    asker = make_member(postcode="75011")  # the asker's own postcode: overridden by the text

    def post(**body):
        response = client.post(
            "/api/v1/collaborators", headers={**token_for(asker), **EN}, json=body
        )
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    return post


def names(found):
    return [r["member"]["display_name"] for r in found["results"]]


@pytest.mark.parametrize(
    ("text", "place", "rest"),
    [
        ("développeur web près de Saint-Étienne", "Saint-Étienne", "développeur web"),
        ("développeur web pres de saint etienne", "Saint-Étienne", "développeur web"),
        ("Saint-Etienne, développeur web", "Saint-Étienne", "développeur web"),
        ("développeur web à Lyon pour un site", "Lyon", "développeur web pour un site"),
        ("développeur web autour de Grenoble", "Grenoble", "développeur web"),
        ("développeur web dans le 42000", "42000", "développeur web dans le"),
        ("a web developer near Lyon", "Lyon", "a web developer"),
        ("développeur web près d'Annecy", "Annecy", "développeur web"),
        ("développeur web vers St-Étienne ?", "Saint-Étienne", "développeur web ?"),
    ],
)
def test_a_place_in_the_text_is_read_as_a_place(cooperative, ask, text, place, rest):
    found = ask(text=text)
    assert found["place"]["name"] == place
    assert found["place"]["text_without_place"] == rest
    # the place is not a keyword: nobody is found for mentioning it
    assert not any(
        "mentions" in r and place.lower() in r.lower()
        for x in found["results"]
        for r in x["reasons"]
    )


def test_the_place_ranks_the_nearest_first(cooperative, ask):
    assert names(ask(text="développement web près de Saint-Étienne")) == [
        "Léo Stéphanois",
        "Zoé Lyon",
        "Ana Paris",
    ]
    assert names(ask(text="développement web à Lyon"))[0] == "Zoé Lyon"
    assert names(ask(text="développement web"))[0] == "Ana Paris"  # the asker's postcode


def test_a_town_only_a_member_lives_in_is_a_place(make_member, give_skills, web, ask):
    give_skills(
        make_member(display_name="Iris Firminy", city="Firminy", postcode="42700"),
        (web, "expert"),
    )
    give_skills(
        make_member(display_name="Zoé Lyon", city="Lyon", postcode="69003"), (web, "expert")
    )
    found = ask(text="développement web près de Firminy")
    assert found["place"] == {
        "name": "Firminy",
        "postcode": "42700",
        "text_without_place": "développement web",
    }
    assert names(found) == ["Iris Firminy", "Zoé Lyon"]


def test_a_postcode_given_wins_and_the_town_is_no_keyword(cooperative, ask):
    found = ask(text="développement web près de Saint-Étienne", postcode="75011")
    assert found["place"] is None
    assert names(found)[0] == "Ana Paris"


def test_a_word_that_is_also_a_town_needs_a_preposition(make_member, ask):
    make_member(display_name="Nina", headline="Graphiste, illustrations nice and clean")
    found = ask(text="illustrations nice")
    assert found["place"] is None
    assert names(found) == ["Nina"]
    assert ask(text="illustrations à Nice")["place"]["postcode"] == "06000"


def test_a_text_with_no_place(cooperative, ask):
    assert ask(text="développement web")["place"] is None


def test_only_a_place_is_not_a_need(client, make_member, token_for):
    response = client.post(
        "/api/v1/collaborators",
        headers={**token_for(make_member()), **EN},
        json={"text": "près de Lyon"},
    )
    assert response.status_code == 422
    assert "Describe your need" in response.get_data(as_text=True)


def test_the_page_shows_the_place_and_a_way_to_remove_it(client, login, make_member, cooperative):
    login(make_member())
    page = client.get(
        "/collaborators?text=développement+web+près+de+Saint-Étienne", headers=EN
    ).get_data(as_text=True)
    assert "Near Saint-Étienne" in page
    assert page.index("Léo Stéphanois") < page.index("Zoé Lyon") < page.index("Ana Paris")
    assert 'href="/collaborators?text=d%C3%A9veloppement+web"' in page
    without = client.get("/collaborators?text=développement+web", headers=EN)
    assert "place-filter" not in without.get_data(as_text=True)


def test_the_page_in_french(client, login, make_member, cooperative):
    login(make_member())
    page = client.get("/collaborators?text=développement+web+à+Lyon").get_data(as_text=True)
    assert "Près de Lyon" in page and "Retirer" in page
