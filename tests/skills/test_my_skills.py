"""A member's skills: PUT/GET /api/v1/me/skills and the /me/skills form."""

import pytest

from tests.conftest import form_post
from tests.core.test_settings import VALID as VALID_SETTINGS
from tests.skills.conftest import EN, skill_id


@pytest.fixture
def skills(new_skill):
    return {
        "graphisme": new_skill("Graphisme", "Graphic design", synonyms="graphiste"),
        "web": new_skill("Développement web", "Web development"),
        "photo": new_skill("Photographie", "Photography"),
    }


def mine(client, headers):
    response = client.get("/api/v1/me/skills", headers={**headers, **EN})
    assert response.status_code == 200
    return response.get_json()["items"]


def test_put_replaces_the_list_and_get_returns_it(client, make_member, token_for, skills):
    headers = token_for(make_member())
    assert mine(client, headers) == []
    first = [
        {"skill_id": skills["web"], "level": "practised", "years": 2},
        {"name": "GRAPHISTE", "level": "expert", "years": 10, "can_teach": True},
    ]
    response = client.put("/api/v1/me/skills", headers={**headers, **EN}, json={"skills": first})
    assert response.status_code == 200
    expected = [
        {
            "skill_id": skills["graphisme"],
            "name": "Graphic design",
            "level": "expert",
            "years": 10,
            "can_teach": True,
        },
        {
            "skill_id": skills["web"],
            "name": "Web development",
            "level": "practised",
            "years": 2,
            "can_teach": False,
        },
    ]
    assert response.get_json()["items"] == expected
    assert mine(client, headers) == expected

    replaced = [{"skill_id": skills["photo"]}]  # level and years have defaults
    client.put("/api/v1/me/skills", headers=headers, json={"skills": replaced})
    assert mine(client, headers) == [
        {
            "skill_id": skills["photo"],
            "name": "Photography",
            "level": "practised",
            "years": 0,
            "can_teach": False,
        }
    ]
    assert client.put("/api/v1/me/skills", headers=headers, json={"skills": []}).status_code == 200
    assert mine(client, headers) == []


def test_a_new_name_is_proposed_to_the_taxonomy(client, make_member, token_for, skills):
    headers = token_for(make_member())
    body = {"skills": [{"name": "Sérigraphie", "level": "notions"}]}
    saved = client.put("/api/v1/me/skills", headers=headers, json=body).get_json()["items"]
    proposed = client.get("/api/v1/skills?status=proposed", headers=headers).get_json()["items"]
    assert [(s["name_fr"], s["holders"]) for s in proposed] == [("Sérigraphie", 1)]
    assert saved[0]["skill_id"] == proposed[0]["id"]
    other = token_for(make_member())
    body = {"skills": [{"name": "serigraphie"}]}
    again = client.put("/api/v1/me/skills", headers=other, json=body).get_json()["items"]
    assert again[0]["skill_id"] == proposed[0]["id"]  # the same skill, not a duplicate


def test_each_member_has_their_own_list(client, make_member, token_for, skills):
    ana, bea = token_for(make_member()), token_for(make_member())
    client.put("/api/v1/me/skills", headers=ana, json={"skills": [{"skill_id": skills["web"]}]})
    client.put("/api/v1/me/skills", headers=bea, json={"skills": [{"skill_id": skills["photo"]}]})
    assert [s["skill_id"] for s in mine(client, ana)] == [skills["web"]]
    assert [s["skill_id"] for s in mine(client, bea)] == [skills["photo"]]


def test_signed_out_callers_get_a_401(app, skills):
    anonymous = app.test_client()
    assert anonymous.get("/api/v1/me/skills").status_code == 401
    response = anonymous.put("/api/v1/me/skills", json={"skills": []})
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"


BAD_BODIES = {
    "level guru": [{"skill_id": "{web}", "level": "guru"}],
    "level null": [{"skill_id": "{web}", "level": None}],
    "years -1": [{"skill_id": "{web}", "years": -1}],
    "years 61": [{"skill_id": "{web}", "years": 61}],
    "years ten": [{"skill_id": "{web}", "years": "ten"}],
    "years true": [{"skill_id": "{web}", "years": True}],
    "years 2.5": [{"skill_id": "{web}", "years": 2.5}],
    "twice by id": [{"skill_id": "{web}"}, {"skill_id": "{web}", "level": "expert"}],
    "twice by spelling": [{"skill_id": "{graphisme}"}, {"name": "Graphiste"}],
    "twice as new names": [{"name": "Sérigraphie"}, {"name": "SERIGRAPHIE"}],
    "no skill": [{"level": "expert"}],
    "name not a text": [{"name": 12}],
    "name too short": [{"name": "x"}],
    "a string item": ["Graphisme"],
    "a number item": [3],
    "a null item": [None],
    "a list item": [["Graphisme", "expert"]],
}


@pytest.mark.parametrize("case", sorted(BAD_BODIES))
def test_bad_items_are_refused_and_nothing_changes(client, make_member, token_for, skills, case):
    headers = token_for(make_member())
    before = [{"skill_id": skills["photo"], "level": "expert", "years": 3, "can_teach": True}]
    client.put("/api/v1/me/skills", headers=headers, json={"skills": before})
    kept = mine(client, headers)

    def fill(value):
        if isinstance(value, str) and value.startswith("{"):
            return skills[value.strip("{}")]
        return value

    items = [
        {k: fill(v) for k, v in item.items()} if isinstance(item, dict) else item
        for item in BAD_BODIES[case]
    ]
    items.append({"name": "Broderie"})  # a new name: must not be proposed when refused
    response = client.put("/api/v1/me/skills", headers=headers, json={"skills": items})
    assert response.status_code == 422, response.get_json()
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["errors"], response.get_json()
    assert mine(client, headers) == kept
    names = [
        s["name_fr"] for s in client.get("/api/v1/skills", headers=headers).get_json()["items"]
    ]
    assert "Broderie" not in names and "Sérigraphie" not in names


@pytest.mark.parametrize(
    "body",
    [
        {"skills": "Graphisme"},
        {"skills": {"skill_id": 1}},
        {"skills": None},
        {"skills": 3},
        {},
        {"items": []},
    ],
)
def test_skills_must_be_a_list(client, make_member, token_for, skills, body):
    headers = token_for(make_member())
    client.put("/api/v1/me/skills", headers=headers, json={"skills": [{"skill_id": skills["web"]}]})
    response = client.put("/api/v1/me/skills", headers={**headers, **EN}, json=body)
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"skills": "Give a list of skills."}
    assert [s["skill_id"] for s in mine(client, headers)] == [skills["web"]]


def test_a_body_that_is_not_json_is_refused(client, make_member, token_for):
    headers = token_for(make_member())
    response = client.put("/api/v1/me/skills", headers=headers, data="skills=1")
    assert response.status_code == 422
    response = client.put(
        "/api/v1/me/skills", headers=headers, data="[1]", content_type="application/json"
    )
    assert response.status_code == 422


@pytest.mark.parametrize("bad_id", [999999, "abc", True])
def test_an_unknown_skill_id_is_a_422(client, make_member, token_for, skills, bad_id):
    headers = token_for(make_member())
    client.put("/api/v1/me/skills", headers=headers, json={"skills": [{"skill_id": skills["web"]}]})
    body = {"skills": [{"skill_id": skills["photo"]}, {"skill_id": bad_id}]}
    response = client.put("/api/v1/me/skills", headers=headers, json=body)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert [s["skill_id"] for s in mine(client, headers)] == [skills["web"]]


@pytest.mark.parametrize("bad_id", [999999, "999999", 0, -1, "abc", True, 10**12, 1.5, [1]])
def test_an_unknown_skill_id_is_refused_and_nothing_changes(
    client, make_member, token_for, skills, bad_id
):
    headers = token_for(make_member())
    client.put("/api/v1/me/skills", headers=headers, json={"skills": [{"skill_id": skills["web"]}]})
    body = {"skills": [{"skill_id": skills["photo"]}, {"skill_id": bad_id}]}
    response = client.put("/api/v1/me/skills", headers=headers, json=body)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert [s["skill_id"] for s in mine(client, headers)] == [skills["web"]]


def test_a_merged_skill_id_means_the_skill_it_was_merged_into(
    client, make_member, token_for, staff_client, skills
):
    headers = token_for(make_member())
    client.put("/api/v1/me/skills", headers=headers, json={"skills": [{"name": "Retouche photo"}]})
    old = skill_id(staff_client, "Retouche photo")
    form_post(
        staff_client,
        f"/staff/skills/{old}/merge",
        {"target_id": str(skills["photo"])},
        page="/staff/skills",
    )
    body = {"skills": [{"skill_id": old, "level": "expert"}]}
    saved = client.put("/api/v1/me/skills", headers=headers, json=body).get_json()["items"]
    assert [(s["skill_id"], s["level"]) for s in saved] == [(skills["photo"], "expert")]


def test_the_number_of_skills_is_limited_by_the_cooperative(
    app, client, login, make_member, token_for, new_skill
):
    ids = [new_skill(f"Compétence {i:02d}") for i in range(31)]
    headers = token_for(make_member())

    def put(n):
        body = {"skills": [{"skill_id": i} for i in ids[:n]]}
        return client.put("/api/v1/me/skills", headers={**headers, **EN}, json=body)

    assert put(30).status_code == 200  # the default limit
    refused = put(31)
    assert refused.status_code == 422
    assert refused.get_json()["errors"] == {"skills": "At most 30 skills."}
    assert len(mine(client, headers)) == 30

    admin = login(make_member(role="admin"), c=app.test_client())
    settings = {**VALID_SETTINGS, "max_skills_per_member": "2"}
    response = form_post(admin, "/admin/settings", settings, page="/admin/settings")
    assert response.status_code == 302
    assert put(3).status_code == 422
    assert len(mine(client, headers)) == 30  # a list over a lowered limit is kept as it is
    assert put(2).status_code == 200
    assert len(mine(client, headers)) == 2
    for bad in ("0", "201", "deux"):
        response = form_post(
            admin,
            "/admin/settings",
            {**settings, "max_skills_per_member": bad},
            page="/admin/settings",
        )
        assert response.status_code == 422, bad


# --- the /me/skills form -----------------------------------------------------------------------


def form(rows):
    """The /me/skills form fields for `rows` of (name, level, years, teach, remove)."""
    data = {"rows": str(len(rows))}
    for i, (name, level, years, teach, remove) in enumerate(rows):
        data |= {f"name-{i}": name, f"level-{i}": level, f"years-{i}": years}
        if teach:
            data[f"teach-{i}"] = "1"
        if remove:
            data[f"remove-{i}"] = "1"
    return data


def test_the_form_saves_and_removes_rows(client, login, make_member, token_for, skills):
    member = make_member()
    login(member)
    page = client.get("/me/skills", headers=EN).get_data(as_text=True)
    assert 'name="rows" value="3"' in page and "Save my skills" in page
    response = form_post(
        client,
        "/me/skills",
        form(
            [
                ("Graphic design", "expert", "8", True, False),
                ("Sérigraphie", "notions", "", False, False),
                ("", "practised", "0", False, False),
            ]
        ),
        page="/me/skills",
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/me/skills")
    headers = token_for(member)
    saved = mine(client, headers)
    assert [(s["name"], s["level"], s["years"], s["can_teach"]) for s in saved] == [
        ("Graphic design", "expert", 8, True),
        ("Sérigraphie", "notions", 0, False),
    ]
    page = client.get("/me/skills", headers=EN).get_data(as_text=True)
    assert 'name="rows" value="5"' in page  # two skills and three empty rows
    assert 'value="Graphic design"' in page and 'value="Sérigraphie"' in page

    form_post(
        client,
        "/me/skills",
        form(
            [
                ("Graphic design", "expert", "8", True, True),  # removed
                ("Sérigraphie", "practised", "1", False, False),
                ("Photographie", "practised", "2", False, False),
            ]
        ),
        page="/me/skills",
    )
    saved = mine(client, headers)
    assert sorted((s["name"], s["level"], s["years"]) for s in saved) == [
        ("Photography", "practised", 2),
        ("Sérigraphie", "practised", 1),
    ]


@pytest.mark.parametrize(
    "row",
    [
        ("Graphisme", "guru", "1", False, False),
        ("Graphisme", "expert", "abc", False, False),
        ("Graphisme", "expert", "-1", False, False),
        ("Graphisme", "expert", "61", False, False),
        ("x", "expert", "1", False, False),
    ],
)
def test_the_form_refuses_bad_rows_and_keeps_what_was_typed(
    client, login, make_member, token_for, skills, row
):
    member = make_member()
    login(member)
    form_post(
        client,
        "/me/skills",
        form([("Photographie", "expert", "3", False, False)]),
        page="/me/skills",
    )
    response = form_post(
        client,
        "/me/skills",
        form([row, ("Développement web", "practised", "2", False, False)]),
        page="/me/skills",
        headers=EN,
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Some fields are not valid" in page
    assert 'value="Développement web"' in page  # nothing typed is lost
    assert [s["name"] for s in mine(client, token_for(member))] == ["Photography"]


def test_the_form_refuses_the_same_skill_twice(client, login, make_member, skills):
    login(make_member())
    rows = [("Graphisme", "expert", "1", False, False), ("graphiste", "notions", "1", False, False)]
    response = form_post(client, "/me/skills", form(rows), page="/me/skills", headers=EN)
    assert response.status_code == 422
    assert "A skill is listed twice." in response.get_data(as_text=True)


def test_the_form_needs_a_signed_in_member_and_a_csrf_token(app, client, login, make_member):
    anonymous = app.test_client()
    assert anonymous.get("/me/skills").status_code == 302
    login(make_member())
    assert (
        client.post(
            "/me/skills", data=form([("Graphisme", "expert", "1", False, False)])
        ).status_code
        == 400
    )
