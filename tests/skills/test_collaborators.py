"""Find collaborators: hand-made cases where the right order is obvious, the reasons given,
who never appears, and bad input (POST /api/v1/collaborators and the /collaborators page)."""

import pytest

from tests.conftest import form_post
from tests.skills.conftest import EN


@pytest.fixture
def skills(new_skill):
    return {
        "graphisme": new_skill("Graphisme", "Graphic design", synonyms="graphiste"),
        "web": new_skill("Développement web", "Web development"),
        "photo": new_skill("Photographie", "Photography"),
    }


@pytest.fixture
def find(client, token_for):
    """find(asker, **body) → [(display_name, reasons)], best first (English reasons)."""

    def search(asker, **body):
        response = client.post(
            "/api/v1/collaborators", headers={**token_for(asker), **EN}, json=body
        )
        assert response.status_code == 200, response.get_json()
        results = response.get_json()["results"]
        scores = [r["score"] for r in results]
        assert scores == sorted(scores, reverse=True)
        return [(r["member"]["display_name"], r["reasons"]) for r in results]

    return search


def names(results):
    return [name for name, _reasons in results]


def test_an_expert_in_all_needed_skills_ranks_above_a_practitioner_of_one(
    make_member, skills, give_skills, find
):
    g, w = skills["graphisme"], skills["web"]
    # Names in the opposite order of the expected ranking: ties would break by name.
    give_skills(make_member(display_name="Zoé Experte"), (g, "expert"), (w, "expert"))
    give_skills(make_member(display_name="Ana Praticienne"), (w, "practised"))
    give_skills(make_member(display_name="Mia Mixte"), (g, "expert"), (w, "practised"))
    give_skills(make_member(display_name="Bob Notions"), (g, "notions"))
    give_skills(make_member(display_name="Hors Sujet"), (skills["photo"], "expert"))
    results = find(make_member(), skills=[g, w])
    assert [(name, reasons[0]) for name, reasons in results] == [
        ("Zoé Experte", "expert in Graphic design and Web development (every skill you need)"),
        (
            "Mia Mixte",
            "expert in Graphic design, practised in Web development (every skill you need)",
        ),
        ("Ana Praticienne", "practised in Web development (1 of the 2 skills you need)"),
        ("Bob Notions", "notions of Graphic design (1 of the 2 skills you need)"),
    ]


def test_skills_may_be_named_in_any_spelling(make_member, skills, give_skills, find):
    give_skills(make_member(display_name="Ana"), (skills["graphisme"], "expert"))
    asker = make_member()
    for spelling in ("Graphisme", "graphiste", "GRAPHIC DESIGN", str(skills["graphisme"])):
        assert names(find(asker, skills=[spelling])) == ["Ana"], spelling


def test_the_same_postcode_ranks_above_400_km_away(make_member, skills, give_skills, find):
    w = skills["web"]
    give_skills(
        make_member(display_name="Ana Paris", city="Paris", postcode="75011"), (w, "expert")
    )
    give_skills(make_member(display_name="Zoé Lyon", city="Lyon", postcode="69003"), (w, "expert"))
    give_skills(
        make_member(display_name="Léa Villeurbanne", city="Villeurbanne", postcode="69100"),
        (w, "expert"),
    )
    give_skills(make_member(display_name="Bob Nowhere"), (w, "expert"))
    results = dict(find(make_member(), skills=[w], postcode="69003"))
    assert list(results) == ["Zoé Lyon", "Léa Villeurbanne", "Ana Paris", "Bob Nowhere"]
    assert "Lyon, same postcode" in results["Zoé Lyon"]
    assert "Villeurbanne, same département" in results["Léa Villeurbanne"]
    assert not any("km" in r or "postcode" in r for r in results["Bob Nowhere"])


def test_the_askers_own_postcode_is_used_when_none_is_given(make_member, skills, give_skills, find):
    w = skills["web"]
    give_skills(
        make_member(display_name="Ana Paris", city="Paris", postcode="75011"), (w, "expert")
    )
    give_skills(make_member(display_name="Zoé Lyon", city="Lyon", postcode="69003"), (w, "expert"))
    assert names(find(make_member(postcode="69003"), skills=[w])) == ["Zoé Lyon", "Ana Paris"]
    assert names(find(make_member(postcode="75011"), skills=[w])) == ["Ana Paris", "Zoé Lyon"]


def test_a_distance_is_said_in_whole_kilometres(make_member, skills, give_skills, find):
    w = skills["web"]
    give_skills(
        make_member(display_name="Ana Paris", city="Paris", postcode="75011"), (w, "expert")
    )
    [(_name, reasons)] = find(make_member(), skills=[w], postcode="69003")
    assert "Paris, about 390 km" in reasons


def test_a_member_bringing_skills_the_asker_lacks_ranks_higher(
    make_member, skills, give_skills, find
):
    g, w = skills["graphisme"], skills["web"]
    asker = make_member()
    give_skills(asker, (g, "expert"))
    give_skills(make_member(display_name="Ana Graphiste"), (g, "expert"))
    give_skills(make_member(display_name="Zoé Développeuse"), (w, "expert"))
    results = find(asker, skills=[g, w])
    assert names(results) == ["Zoé Développeuse", "Ana Graphiste"]
    assert "brings 1 skill you do not have" in dict(results)["Zoé Développeuse"]
    assert not any("brings" in r for r in dict(results)["Ana Graphiste"])


def test_openness_to_work_together_ranks_higher(make_member, skills, give_skills, find):
    w = skills["web"]
    give_skills(make_member(display_name="Ana Café", open_to=["coffee"]), (w, "expert"))
    give_skills(
        make_member(display_name="Zoé Ouverte", open_to=["collaboration", "subcontracting"]),
        (w, "expert"),
    )
    give_skills(
        make_member(display_name="Bob Discret", open_to=["collaboration"], vis_open_to="staff"),
        (w, "expert"),
    )
    results = find(make_member(), skills=[w])
    assert names(results) == ["Zoé Ouverte", "Ana Café", "Bob Discret"]
    assert "open to collaboration and subcontracting" in dict(results)["Zoé Ouverte"]
    assert not any("open to" in r for r in dict(results)["Bob Discret"])  # hidden from members


def test_a_teacher_open_to_mentoring_ranks_above_an_equal_expert(
    make_member, skills, give_skills, find
):
    w = skills["web"]
    give_skills(make_member(display_name="Ana"), (w, "expert"))
    give_skills(make_member(display_name="Zoé Mentor", open_to=["mentoring"]), (w, "expert", True))
    results = find(make_member(), skills=[w])
    assert names(results) == ["Zoé Mentor", "Ana"]
    assert "can teach Web development" in dict(results)["Zoé Mentor"]


def test_the_asker_deactivated_members_and_alumni_never_appear(
    make_member, skills, give_skills, find, staff_client
):
    w = skills["web"]
    asker = make_member(display_name="Moi Même", trade="Développeuse web")
    give_skills(asker, (w, "expert"))
    give_skills(make_member(display_name="Ana Active"), (w, "notions"))
    gone = make_member(display_name="Parti Ailleurs", trade="Développeur web")
    give_skills(gone, (w, "expert"))
    form_post(staff_client, f"/staff/members/{gone.id}/deactivate", page="/staff/members")
    give_skills(make_member(display_name="Ancien Membre", status="alumnus"), (w, "expert"))
    assert names(find(asker, skills=[w])) == ["Ana Active"]
    assert names(find(asker, text="développeur web")) == []


def test_a_staff_only_location_gives_no_proximity_to_a_member(
    make_member, skills, give_skills, find
):
    w = skills["web"]
    hidden = make_member(
        display_name="Zoé Discrète", city="Lyon", postcode="69003", vis_location="staff"
    )
    give_skills(hidden, (w, "expert"))
    give_skills(make_member(display_name="Ana Sans Adresse"), (w, "expert"))
    results = find(make_member(), skills=[w], postcode="69003")
    assert names(results) == ["Ana Sans Adresse", "Zoé Discrète"]  # equal: by name
    assert not any("Lyon" in r or "postcode" in r for r in dict(results)["Zoé Discrète"])
    staff_view = dict(find(make_member(role="staff"), skills=[w], postcode="69003"))
    assert list(staff_view) == ["Zoé Discrète", "Ana Sans Adresse"]
    assert "Lyon, same postcode" in staff_view["Zoé Discrète"]


def test_reasons_are_plain_sentences(make_member, skills, give_skills, find):
    g, w, p = skills["graphisme"], skills["web"], skills["photo"]
    asker = make_member()
    give_skills(asker, (p, "practised"))
    zoe = make_member(
        display_name="Zoé",
        trade="Graphiste",
        city="Lyon",
        postcode="69003",
        open_to=["collaboration"],
    )
    give_skills(zoe, (g, "expert", True), (w, "expert"), (p, "practised"))
    [(_name, reasons)] = find(asker, skills=[g, w, p], postcode="69003")
    assert reasons == [
        "expert in Graphic design and Web development, practised in Photography "
        "(every skill you need)",
        "brings 2 skills you do not have",
        "can teach Graphic design",
        "Lyon, same postcode",
        "open to collaboration",
    ]


def test_a_text_only_need_finds_members_by_their_trade(make_member, skills, give_skills, find):
    make_member(display_name="Ana Menuisière", trade="Menuisier", city="Lyon")
    make_member(display_name="Bob Plombier", trade="Plombier")
    make_member(display_name="Cyr Caché", trade="Menuisier", vis_activity="staff")
    results = find(make_member(), text="menuisier pour une cuisine")
    assert results == [("Ana Menuisière", ["mentions “menuisier”"])]
    assert names(find(make_member(), text="MENUISIÈRE")) == ["Ana Menuisière"]
    assert names(find(make_member(), text="une menuiserie")) == ["Ana Menuisière"]
    assert names(find(make_member(role="staff"), text="menuisier")) == [
        "Ana Menuisière",
        "Cyr Caché",
    ]


def test_a_text_need_finds_accented_headlines_and_sectors(make_member, find):
    make_member(display_name="Ana", headline="Rénovation énergétique des maisons")
    make_member(display_name="Bea", sector="Bâtiment")
    asker = make_member()
    assert names(find(asker, text="rénovation")) == ["Ana"]
    assert names(find(asker, text="batiment")) == ["Bea"]


def test_a_text_need_finds_unaccented_headlines(make_member, find):
    make_member(display_name="Ana", headline="Webdesign pour artisans")
    make_member(display_name="Bea", headline="Photos de mariage", vis_headline="staff")
    asker = make_member()
    assert find(asker, text="webdesign") == [("Ana", ["mentions “webdesign”"])]
    assert find(asker, text="photos") == []


def test_skill_names_inside_the_text_are_detected(make_member, skills, give_skills, find):
    give_skills(
        make_member(display_name="Ana Illustratrice", trade="Illustratrice"),
        (skills["graphisme"], "expert"),
    )
    give_skills(make_member(display_name="Bob Photographe"), (skills["photo"], "expert"))
    results = find(make_member(), text="je cherche du graphisme")
    assert names(results) == ["Ana Illustratrice"]
    assert "expert in Graphic design (every skill you need)" in results[0][1]
    assert names(find(make_member(), text="someone in Graphic Design, please")) == [
        "Ana Illustratrice"
    ]
    assert names(find(make_member(), text="développement web et photographie")) == [
        "Bob Photographe"
    ]


def test_the_ranking_is_deterministic(make_member, skills, give_skills, find):
    g, w = skills["graphisme"], skills["web"]
    for name in ("Dan", "Ana", "Cyr", "Bob", "Eve"):
        give_skills(make_member(display_name=name), (g, "practised"), (w, "notions"))
    give_skills(make_member(display_name="Zed"), (g, "expert"))
    asker = make_member()
    first = find(asker, skills=[g, w], text="graphisme")
    assert first == find(asker, skills=[g, w], text="graphisme")
    assert names(first) == ["Ana", "Bob", "Cyr", "Dan", "Eve", "Zed"]


def test_the_limit_caps_the_results(make_member, skills, give_skills, find):
    for name in ("Ana", "Bob", "Cyr"):
        give_skills(make_member(display_name=name), (skills["web"], "expert"))
    asker = make_member()
    assert names(find(asker, skills=[skills["web"]], limit=2)) == ["Ana", "Bob"]
    assert names(find(asker, skills=[skills["web"]], limit=50)) == ["Ana", "Bob", "Cyr"]


def test_nobody_matching_is_an_empty_list(make_member, skills, find):
    assert find(make_member(), skills=[skills["web"]], text="astrophysique") == []


BAD_NEEDS = [
    {},
    {"text": ""},
    {"text": "   "},
    {"text": "pour les", "skills": []},  # only stop words
    {"text": "x" * 501},
    {"text": 12},
    {"text": None},
    {"skills": "graphisme"},
    {"skills": {"id": 1}},
    {"skills": ["Astrophysique"]},
    {"skills": [None]},
    {"skills": [1.5]},
    {"skills": ["graphisme"] * 11},
    {"text": "graphisme", "limit": 0},
    {"text": "graphisme", "limit": 51},
    {"text": "graphisme", "limit": "x"},
    {"text": "graphisme", "limit": "5"},
    {"text": "graphisme", "limit": True},
    {"text": "graphisme", "limit": 2.5},
    {"text": "graphisme", "postcode": 69003},
    {"text": "graphisme", "postcode": "x" * 11},
]


@pytest.mark.parametrize("body", BAD_NEEDS, ids=[str(b)[:40] for b in BAD_NEEDS])
def test_bad_needs_are_a_422(client, make_member, token_for, skills, body):
    headers = {**token_for(make_member()), **EN}
    response = client.post("/api/v1/collaborators", headers=headers, json=body)
    assert response.status_code == 422, response.get_json()
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["errors"]


def test_bad_needs_say_what_is_wrong(client, make_member, token_for, skills):
    headers = {**token_for(make_member()), **EN}

    def errors(body):
        return client.post("/api/v1/collaborators", headers=headers, json=body).get_json()["errors"]

    describe = "Describe your need: a few words or at least one skill."
    assert errors({}) == {"text": describe}
    assert errors({"text": "x" * 501}) == {"text": "At most 500 characters."}
    assert errors({"skills": ["Astrophysique"]}) == {"skills": "Unknown skill “Astrophysique”."}
    assert errors({"text": "graphisme", "limit": 51}) == {
        "limit": "Must be a number between 1 and 50."
    }


def test_an_unknown_skill_id_in_the_need_is_a_422(client, make_member, token_for, skills):
    response = client.post(
        "/api/v1/collaborators", headers=token_for(make_member()), json={"skills": [999999]}
    )
    assert response.status_code == 422


def test_a_500_character_need_is_fine(make_member, find):
    make_member(display_name="Ana", trade="Menuisier")
    text = ("menuisier " * 60)[:500]
    assert names(find(make_member(), text=text)) == ["Ana"]


def test_signed_out_callers_get_a_401(app, skills):
    response = app.test_client().post("/api/v1/collaborators", json={"text": "graphisme"})
    assert response.status_code == 401


# --- the page ----------------------------------------------------------------------------------


def test_the_page_renders_ranked_results_with_reasons(
    client, login, make_member, skills, give_skills
):
    w, g = skills["web"], skills["graphisme"]
    give_skills(
        make_member(display_name="Ana Paris", city="Paris", postcode="75011"), (w, "expert")
    )
    give_skills(
        make_member(display_name="Zoé Lyon", city="Lyon", postcode="69003"),
        (w, "expert"),
        (g, "notions"),
    )
    login(make_member())
    empty = client.get("/collaborators", headers=EN).get_data(as_text=True)
    assert "Describe your need" in empty and "can help" not in empty
    response = client.get(
        "/collaborators?text=un+site+pour+une+boutique&skills=Web+development,+graphisme&postcode=69003",
        headers=EN,
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "2 members can help" in page
    assert page.index("Zoé Lyon") < page.index("Ana Paris")
    assert "expert in Web development, notions of Graphic design (every skill you need)" in page
    assert "Lyon, same postcode" in page
    assert 'value="69003"' in page  # the form keeps the need


def test_the_page_says_when_nobody_matches(client, login, make_member, skills):
    login(make_member())
    page = client.get("/collaborators?text=astrophysique", headers=EN).get_data(as_text=True)
    assert "0 members can help" in page and "Nobody matches yet" in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("skills=Astrophysique", "Unknown skill “Astrophysique”."),
        ("text=" + "x" * 501, "At most 500 characters."),
        ("text=pour+les", "Describe your need: a few words or at least one skill."),
        ("text=graphisme&postcode=" + "6" * 11, "Enter a postcode such as 69003."),
        ("skills=" + ",".join(f"s{i}" for i in range(11)), "Give a list of at most 10 skills."),
    ],
)
def test_the_page_explains_bad_needs(client, login, make_member, skills, query, message):
    login(make_member())
    response = client.get(f"/collaborators?{query}", headers=EN)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
