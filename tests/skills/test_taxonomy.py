"""The skills taxonomy: staff create, members propose, staff accept or merge; no duplicate
spellings (case and accents ignored)."""

from tests.conftest import form_post
from tests.skills.conftest import EN, skill_id


def skills_api(client, query=""):
    return {s["name_fr"]: s for s in client.get(f"/api/v1/skills{query}").get_json()["items"]}


def propose(client, name):
    return form_post(client, "/skills/propose", {"name": name}, page="/skills")


def test_staff_create_a_skill_with_names_category_and_synonyms(staff_client, new_skill):
    sid = new_skill("Électricité", "Electrical work", "Bâtiment", "électricien\nélectricienne")
    skill = skills_api(staff_client)["Électricité"]
    assert skill == {
        "id": sid,
        "name": "Électricité",
        "name_fr": "Électricité",
        "name_en": "Electrical work",
        "category": "Bâtiment",
        "synonyms": ["électricien", "électricienne"],
        "status": "accepted",
        "holders": 0,
        "url": f"/skills/{sid}",
    }
    page = staff_client.get(f"/skills/{sid}", headers=EN).get_data(as_text=True)
    assert "Electrical work" in page and "Also called: électricien, électricienne" in page


def test_synonyms_may_be_separated_by_commas(staff_client, new_skill):
    new_skill("Graphisme", synonyms="design graphique, graphiste,  ")
    assert skills_api(staff_client)["Graphisme"]["synonyms"] == ["design graphique", "graphiste"]


DUPLICATES = (
    ({"name_fr": "Electricite"}, "Électricité"),
    ({"name_fr": "ÉLECTRICITÉ"}, "Électricité"),
    ({"name_fr": "  électricité  "}, "Électricité"),
    ({"name_fr": "Electricien"}, "Électricité"),  # a synonym of the existing skill
    ({"name_fr": "Courant fort", "name_en": "electrical WORK"}, "Électricité"),
    ({"name_fr": "Chauffage", "synonyms": "plomberie"}, "Plomberie"),
)


def test_a_spelling_of_an_existing_skill_is_refused_with_a_409(staff_client, new_skill):
    new_skill("Électricité", "Electrical work", synonyms="électricien")
    new_skill("Plomberie")
    for data, _existing in DUPLICATES:
        response = form_post(staff_client, "/staff/skills", data, page="/staff/skills")
        assert response.status_code == 409, data
        assert f'value="{data["name_fr"]}"' in response.get_data(as_text=True)  # input kept
    assert sorted(skills_api(staff_client)) == ["Plomberie", "Électricité"]


def test_the_409_page_names_the_skill_that_already_has_the_spelling(staff_client, new_skill):
    new_skill("Électricité", "Electrical work", synonyms="électricien")
    new_skill("Plomberie")
    for data, existing in DUPLICATES:
        response = form_post(staff_client, "/staff/skills", data, page="/staff/skills", headers=EN)
        assert f"is already the skill “{existing}”" in response.get_data(as_text=True), data


def test_bad_skill_names_are_refused(staff_client):
    for data in (
        {"name_fr": ""},
        {"name_fr": "x"},
        {"name_fr": "!!"},
        {"name_fr": "a" * 81},
        {"name_fr": "Couture", "name_en": "y"},
        {"name_fr": "Couture", "synonyms": "\n".join(f"mot {i}" for i in range(21))},
    ):
        response = form_post(staff_client, "/staff/skills", data, page="/staff/skills")
        assert response.status_code == 422, data
    assert skills_api(staff_client) == {}


def test_members_cannot_curate_the_taxonomy(app, client, login, make_member, new_skill):
    sid = new_skill("Graphisme")
    login(make_member())
    assert client.get("/staff/skills").status_code == 403
    for path, data in (
        ("/staff/skills", {"name_fr": "Couture"}),
        (f"/staff/skills/{sid}", {"name_fr": "Graphisme print"}),
        (f"/staff/skills/{sid}/accept", {}),
        (f"/staff/skills/{sid}/merge", {"target_id": str(sid)}),
    ):
        assert form_post(client, path, data, page="/skills").status_code == 403, path
    assert sorted(skills_api(client)) == ["Graphisme"]
    anonymous = app.test_client()
    assert anonymous.get("/staff/skills").status_code == 302
    assert anonymous.get("/skills").status_code == 302
    assert anonymous.get("/api/v1/skills").status_code == 401


def test_a_member_proposes_a_skill_and_other_spellings_land_on_it(client, login, make_member):
    login(make_member())
    first = propose(client, "Sérigraphie")
    assert first.status_code == 302
    proposed = skills_api(client, "?status=proposed")
    assert list(proposed) == ["Sérigraphie"]
    sid = proposed["Sérigraphie"]["id"]
    assert first.headers["Location"].endswith(f"/skills/{sid}")
    for spelling in ("serigraphie", "SÉRIGRAPHIE", " Serigraphie "):
        again = propose(client, spelling)
        assert again.status_code == 302
        assert again.headers["Location"].endswith(f"/skills/{sid}"), spelling
    assert list(skills_api(client)) == ["Sérigraphie"]
    assert skills_api(client, "?status=accepted") == {}
    page = client.get(f"/skills/{sid}", headers=EN).get_data(as_text=True)
    assert "Sérigraphie" in page and "proposed" in page


def test_proposing_a_synonym_of_an_accepted_skill_leads_to_it(
    client, login, make_member, new_skill
):
    sid = new_skill("Développement web", "Web development", synonyms="développeur web")
    login(make_member())
    response = propose(client, "Developpeur Web")
    assert response.headers["Location"].endswith(f"/skills/{sid}")
    assert skills_api(client, "?status=proposed") == {}


def test_bad_proposals_are_refused(client, login, make_member):
    login(make_member())
    for name in ("", " ", "x", "..", "a" * 81):
        assert propose(client, name).status_code == 422, name
    assert skills_api(client) == {}


def test_staff_accept_a_proposal(client, login, make_member, staff_client):
    login(make_member())
    propose(client, "Sérigraphie")
    sid = skill_id(client, "Sérigraphie")
    assert "Sérigraphie" in staff_client.get("/staff/skills").get_data(as_text=True)
    response = form_post(staff_client, f"/staff/skills/{sid}/accept", page="/staff/skills")
    assert response.status_code == 302
    assert skills_api(client)["Sérigraphie"]["status"] == "accepted"
    again = form_post(staff_client, f"/staff/skills/{sid}/accept", page="/staff/skills")
    assert again.status_code == 409
    missing = form_post(staff_client, "/staff/skills/999999/accept", page="/staff/skills")
    assert missing.status_code == 404


def test_staff_merge_a_proposal_into_an_accepted_skill(
    client, login, make_member, staff_client, new_skill, give_skills
):
    target = new_skill("Impression textile", "Textile printing")
    only_new, both_best_new, both_best_old = (
        make_member(display_name=n) for n in ("Ana", "Bea", "Cyr")
    )
    give_skills(only_new, {"name": "Sérigraphie", "level": "practised", "years": 2})
    source = skill_id(staff_client, "Sérigraphie")
    give_skills(both_best_new, (target, "notions"), (source, "expert", True))
    give_skills(both_best_old, (target, "expert"), (source, "notions", True))

    response = form_post(
        staff_client,
        f"/staff/skills/{source}/merge",
        {"target_id": str(target)},
        page="/staff/skills",
    )
    assert response.status_code == 302

    def held(member):
        c = login(member, c=client.application.test_client())
        return [
            (s["skill_id"], s["level"], s["can_teach"])
            for s in c.get("/api/v1/me/skills").get_json()["items"]
        ]

    assert held(only_new) == [(target, "practised", False)]
    assert held(both_best_new) == [(target, "expert", True)]
    assert held(both_best_old) == [(target, "expert", True)]  # teaching is kept too
    skills = skills_api(staff_client)
    assert list(skills) == ["Impression textile"]
    assert skills["Impression textile"]["holders"] == 3
    assert "Sérigraphie" in skills["Impression textile"]["synonyms"]
    assert staff_client.get(f"/skills/{source}").status_code == 404

    login(make_member())
    again = propose(client, "serigraphie")
    assert again.headers["Location"].endswith(f"/skills/{target}")
    assert list(skills_api(client)) == ["Impression textile"]


def test_merge_needs_another_live_skill(client, login, make_member, staff_client, new_skill):
    target = new_skill("Impression textile")
    login(make_member())
    propose(client, "Sérigraphie")
    propose(client, "Flocage")
    source, other = skill_id(client, "Sérigraphie"), skill_id(client, "Flocage")

    def merge(sid, target_id):
        return form_post(
            staff_client,
            f"/staff/skills/{sid}/merge",
            {"target_id": target_id},
            page="/staff/skills",
        )

    for bad in (str(source), "", "abc", "999999", "-1"):
        assert merge(source, bad).status_code == 422, bad
    assert merge(other, str(target)).status_code == 302
    assert merge(source, str(other)).status_code == 422  # `other` is merged now
    assert merge(other, str(target)).status_code == 404  # already merged
    assert sorted(skills_api(client)) == ["Impression textile", "Sérigraphie"]


def test_old_synonyms_of_a_merged_skill_survive_editing_the_target(
    client, login, make_member, staff_client, new_skill
):
    target = new_skill("Impression textile")
    source = new_skill("Sérigraphie", synonyms="screen printing")
    form_post(
        staff_client,
        f"/staff/skills/{source}/merge",
        {"target_id": str(target)},
        page="/staff/skills",
    )
    login(make_member())
    assert propose(client, "Screen printing").headers["Location"].endswith(f"/skills/{target}")
    # Staff then edit the target's category with the form as it is shown (synonyms included).
    shown = skills_api(staff_client)["Impression textile"]
    response = form_post(
        staff_client,
        f"/staff/skills/{target}",
        {
            "name_fr": shown["name_fr"],
            "name_en": shown["name_en"],
            "category": "Artisanat",
            "synonyms": "\n".join(shown["synonyms"]),
        },
        page=f"/skills/{target}",
    )
    assert response.status_code == 302
    assert propose(client, "Screen printing").headers["Location"].endswith(f"/skills/{target}")


def test_staff_edit_a_skill_and_spellings_follow(
    client, login, make_member, staff_client, new_skill
):
    sid = new_skill("Graphisme", synonyms="graphiste")
    new_skill("Photographie")
    edit = {"name_fr": "Design graphique", "name_en": "Graphic design", "synonyms": "graphisme"}
    response = form_post(staff_client, f"/staff/skills/{sid}", edit, page=f"/skills/{sid}")
    assert response.status_code == 302
    login(make_member())
    assert propose(client, "graphisme").headers["Location"].endswith(f"/skills/{sid}")
    assert propose(client, "graphiste").status_code == 302
    assert skill_id(client, "graphiste") != sid  # the dropped synonym is free again
    clash = {"name_fr": "Photographie"}
    response = form_post(staff_client, f"/staff/skills/{sid}", clash, page=f"/skills/{sid}")
    assert response.status_code == 409
    assert skills_api(client)["Design graphique"]["name_en"] == "Graphic design"


def test_the_skills_api_lists_with_holder_counts_and_filters_by_status(
    client, login, make_member, staff_client, new_skill, give_skills
):
    graphisme = new_skill("Graphisme", "Graphic design", "Communication")
    new_skill("Plomberie", category="Bâtiment")
    ana, bea, gone = make_member(), make_member(), make_member(display_name="Parti")
    give_skills(ana, (graphisme, "expert"), {"name": "Sérigraphie"})
    give_skills(bea, (graphisme, "notions"))
    give_skills(gone, (graphisme, "practised"))
    form_post(staff_client, f"/staff/members/{gone.id}/deactivate", page="/staff/members")
    login(ana)
    body = client.get("/api/v1/skills", headers=EN).get_json()["items"]
    assert [(s["name"], s["status"], s["holders"]) for s in body] == [
        ("Sérigraphie", "proposed", 1),
        ("Plomberie", "accepted", 0),
        ("Graphic design", "accepted", 2),
    ]
    assert [
        s["name_fr"] for s in client.get("/api/v1/skills?status=accepted").get_json()["items"]
    ] == [
        "Plomberie",
        "Graphisme",
    ]
    proposed = client.get("/api/v1/skills?status=proposed").get_json()["items"]
    assert [s["name_fr"] for s in proposed] == ["Sérigraphie"]
    for bad in ("bogus", "merged", "ACCEPTED"):
        response = client.get(f"/api/v1/skills?status={bad}")
        assert response.status_code == 422, bad
        assert response.mimetype == "application/problem+json"
        assert "status" in response.get_json()["errors"]


def test_a_skill_page_shows_who_has_it_at_which_level_and_who_teaches(
    client, login, make_member, new_skill, give_skills
):
    sid = new_skill("Menuiserie", "Joinery")
    learner = make_member(display_name="Ana Notions")
    teacher = make_member(display_name="Zoé Experte")
    plain = make_member(display_name="Bea Experte")
    give_skills(learner, (sid, "notions"))
    give_skills(teacher, {"skill_id": sid, "level": "expert", "years": 12, "can_teach": True})
    give_skills(plain, (sid, "expert"))
    login(make_member(display_name="Visiteur"))
    page = client.get(f"/skills/{sid}", headers=EN).get_data(as_text=True)
    assert "3 members have this skill" in page
    assert page.index("Zoé Experte") < page.index("Bea Experte") < page.index("Ana Notions")
    assert "<td>Expert</td><td>12</td><td>Yes</td>" in page
    index = client.get("/skills", headers=EN).get_data(as_text=True)
    assert "Joinery" in index and "3 members" in index
    assert client.get("/skills/999999").status_code == 404
