"""The members list with the skills filter, facets, reasons, other filters and sorting;
the skills section of profiles."""

import re

import pytest

from network.skills import queries as skill_queries
from tests.conftest import form_post
from tests.skills.conftest import EN

NAMES = ("Ana Graphiste", "Bea Développeuse", "Cyr Photographe", "Dan Caché", "Eve Lyonnaise")


def card_names(client, query):
    """The display names on the cards of /members?`query`, in order."""
    page = client.get(f"/members?{query}", headers=EN).get_data(as_text=True)
    grid = page.split('class="member-grid"', 1)[1] if 'class="member-grid"' in page else ""
    return re.findall(r'<strong class="member-name">([^<]+)</strong>', grid)


def api_names(client, query):
    response = client.get(f"/api/v1/members?{query}", headers=EN)
    assert response.status_code == 200, response.get_json()
    return [item["display_name"] for item in response.get_json()["items"]]


def facet(client, query, title):
    """{label: count} of one facet of /members?`query`."""
    page = client.get(f"/members?{query}", headers=EN).get_data(as_text=True)
    match = re.search(
        rf'<h2 class="facet-title">{re.escape(title)}</h2>(.*?)</section>', page, re.S
    )
    if not match:
        return {}
    return {
        label.strip(): int(count)
        for label, count in re.findall(
            r'<a href="[^"]*"[^>]*>([^<]+)</a> <span class="count">(\d+)</span>', match.group(1)
        )
    }


@pytest.fixture(params=["holders first", "each member probed"])
def skill_plan(request, monkeypatch):
    """The skill filter's two phrasings (by how many hold the rarest skill): same results."""
    rare = 10**9 if request.param == "holders first" else 0
    monkeypatch.setattr(skill_queries, "RARE_SKILL_HOLDERS", rare)


@pytest.fixture
def skills(new_skill):
    return {
        "graphisme": new_skill("Graphisme", "Graphic design"),
        "web": new_skill("Développement web", "Web development"),
        "photo": new_skill("Photographie", "Photography"),
    }


def test_the_skill_filter_lists_holders_and_repeated_skills_must_all_be_held(
    client, login, make_member, skills, give_skills, skill_plan
):
    ana, bea, cyr = (make_member(display_name=n) for n in NAMES[:3])
    give_skills(ana, (skills["graphisme"], "expert", True), (skills["web"], "notions"))
    give_skills(bea, (skills["web"], "expert"), (skills["graphisme"], "practised"))
    give_skills(cyr, (skills["photo"], "practised"))
    login(make_member(display_name="Zoé Visiteuse"))
    g, w, p = skills["graphisme"], skills["web"], skills["photo"]
    for names in (card_names, api_names):
        assert names(client, f"skill={g}") == ["Ana Graphiste", "Bea Développeuse"]
        assert names(client, f"skill={g}&skill={w}") == ["Ana Graphiste", "Bea Développeuse"]
        assert names(client, f"skill={g}&skill={p}") == []
        assert names(client, f"skill={p}") == ["Cyr Photographe"]
        assert names(client, f"skill={p}&skill={p}") == ["Cyr Photographe"]
        assert names(client, f"skill={g}&q=bea") == ["Bea Développeuse"]
        assert names(client, "skill=999999") == []
        assert names(client, "skill=") == [
            "Ana Graphiste",
            "Bea Développeuse",
            "Cyr Photographe",
            "Équipe Appui",  # the staff member who created the skills
            "Zoé Visiteuse",
        ]


def test_cards_say_why_each_member_matched(client, login, make_member, skills, give_skills):
    ana, bea = (make_member(display_name=n) for n in NAMES[:2])
    give_skills(ana, (skills["graphisme"], "expert", True), (skills["web"], "notions"))
    give_skills(bea, (skills["graphisme"], "practised"), (skills["photo"], "expert"))
    login(make_member())
    g, w = skills["graphisme"], skills["web"]
    page = client.get(f"/members?skill={g}", headers=EN).get_data(as_text=True)
    assert "Graphic design: Expert, can teach it" in page
    assert "Graphic design: Practised" in page
    assert "Photography" not in page.split('class="member-grid"', 1)[1]  # not a reason
    items = client.get(f"/api/v1/members?skill={g}&skill={w}", headers=EN).get_json()["items"]
    assert [(i["display_name"], i["reasons"]) for i in items] == [
        ("Ana Graphiste", ["Graphic design: Expert, can teach it", "Web development: Notions"])
    ]
    assert "reasons" not in client.get("/api/v1/members").get_json()["items"][0]


def test_the_skills_facet_counts_holders_in_the_filtered_list(
    app, client, login, make_member, skills, give_skills, staff_client, skill_plan
):
    ana, bea, cyr, gone = (make_member(display_name=n) for n in NAMES[:4])
    give_skills(ana, (skills["graphisme"], "expert"), (skills["web"], "notions"))
    give_skills(bea, (skills["graphisme"], "practised"), (skills["photo"], "expert"))
    give_skills(cyr, (skills["photo"], "practised"))
    give_skills(gone, (skills["graphisme"], "practised"))
    form_post(staff_client, f"/staff/members/{gone.id}/deactivate", page="/staff/members")
    login(make_member())
    assert facet(client, "", "Skills") == {
        "Graphic design": 2,
        "Photography": 2,
        "Web development": 1,
    }
    g = skills["graphisme"]
    assert facet(client, f"skill={g}", "Skills") == {
        "Graphic design": 2,
        "Photography": 1,
        "Web development": 1,
    }
    page = client.get(f"/members?skill={g}", headers=EN).get_data(as_text=True)
    # The chosen skill's link removes it; another skill's link adds it.
    assert re.search(r'<a href="/members"[^>]*class="chosen">Graphic design</a>', page)
    assert re.search(rf'href="/members\?skill={g}&amp;skill={skills["photo"]}"', page)


def test_trade_and_city_facets_never_count_a_hidden_field(
    app, client, login, make_member, staff_client
):
    make_member(display_name="Ana", trade="Graphiste", city="Lyon")
    make_member(
        display_name="Dan",
        trade="Graphiste",
        city="Lyon",
        vis_activity="staff",
        vis_location="staff",
    )
    make_member(display_name="Eve", trade="Menuisière", city="Vienne", vis_location="staff")
    login(make_member(display_name="Zoé"))
    assert facet(client, "", "Trade") == {"Graphiste": 1, "Menuisière": 1}
    assert facet(client, "", "City") == {"Lyon": 1}
    assert facet(client, "q=dan", "Trade") == {}
    assert facet(staff_client, "", "Trade") == {"Graphiste": 2, "Menuisière": 1}
    assert facet(staff_client, "", "City") == {"Lyon": 2, "Vienne": 1}
    # Nor do the filters match a hidden field.
    assert api_names(client, "trade=graphiste") == ["Ana"]
    assert api_names(client, "city=lyon") == ["Ana"]
    assert api_names(client, "postcode=&city=vienne") == []
    assert api_names(staff_client, "trade=graphiste") == ["Ana", "Dan"]


def test_open_to_language_postcode_filters(client, login, make_member, staff_client):
    make_member(
        display_name="Ana",
        open_to=["collaboration", "coffee"],
        languages=["Français", "Anglais"],
        postcode="69003",
    )
    make_member(
        display_name="Bea", open_to=["collaboration"], languages=["Espagnol"], postcode="69100"
    )
    make_member(display_name="Cyr", open_to=["mentoring"], postcode="75011")
    make_member(
        display_name="Dan",
        open_to=["collaboration"],
        vis_open_to="staff",
        postcode="69001",
        vis_location="staff",
        languages=["Anglais"],
        vis_languages="staff",
    )
    login(make_member(display_name="Zoé"))
    for names in (card_names, api_names):
        assert names(client, "open_to=collaboration") == ["Ana", "Bea"]
        assert names(client, "open_to=collaboration&open_to=coffee") == ["Ana"]
        assert names(client, "open_to=mentoring") == ["Cyr"]
        assert names(client, "language=ANGLAIS") == ["Ana"]
        assert names(client, "language=espagnol") == ["Bea"]
        assert names(client, "language=angl") == []  # a whole language, not a part
        assert names(client, "postcode=69") == ["Ana", "Bea"]
        assert names(client, "postcode=690") == ["Ana"]
        assert names(client, "postcode=75011") == ["Cyr"]
        assert names(client, "postcode=6%25") == []  # "%" is not a wildcard
    assert api_names(staff_client, "postcode=69") == ["Ana", "Bea", "Dan"]
    assert api_names(staff_client, "open_to=collaboration") == ["Ana", "Bea", "Dan"]
    assert facet(client, "", "Open to") == {
        "Collaboration": 2,
        "Mentoring": 1,
        "A coffee": 1,
    }


def test_sort_recent_lists_the_newest_members_first(
    client, login, make_member, skills, give_skills
):
    members = [make_member(display_name=n) for n in ("Zed", "Ana", "Moe")]
    for member in members:
        give_skills(member, (skills["web"], "practised"))
    login(make_member(display_name="Bob"))
    w = skills["web"]
    for names in (card_names, api_names):
        assert names(client, f"skill={w}") == ["Ana", "Moe", "Zed"]
        assert names(client, f"skill={w}&sort=recent") == ["Moe", "Ana", "Zed"]
        assert names(client, f"skill={w}&sort=name") == ["Ana", "Moe", "Zed"]
    page = client.get(f"/members?skill={w}&sort=recent", headers=EN).get_data(as_text=True)
    assert '<option value="recent" selected>' in page


def test_the_skill_filter_is_kept_across_pages(
    client, login, make_member, skills, give_skills, skill_plan
):
    for name in ("Ana", "Bea", "Cyr", "Dan", "Eve"):
        give_skills(make_member(display_name=name), (skills["web"], "practised"))
    make_member(display_name="Aaron Sans Compétence")
    login(make_member(display_name="Zoé"))
    seen, cursor = [], None
    while True:
        query = f"skill={skills['web']}&limit=2" + (f"&cursor={cursor}" if cursor else "")
        body = client.get(f"/api/v1/members?{query}").get_json()
        seen += [item["display_name"] for item in body["items"]]
        cursor = body["next"]
        if not cursor:
            break
    assert seen == ["Ana", "Bea", "Cyr", "Dan", "Eve"]
    page = client.get(f"/members?skill={skills['web']}&limit=2").get_data(as_text=True)
    next_link = re.search(r'rel="next" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert f"skill={skills['web']}" in next_link
    assert card_names(client, next_link.split("?", 1)[1]) == ["Cyr", "Dan", "Eve"]


@pytest.mark.parametrize(
    "query",
    [
        "skill=abc",
        "skill=-1",
        "skill=1.5",
        "skill=0",
        "skill=99999999999",
        "skill=1&skill=x",
        "&".join(f"skill={i}" for i in range(1, 12)),
        "open_to=bogus",
        "open_to=collaboration&open_to=bogus",
        "sort=bogus",
        "sort=-id",
    ],
)
def test_bad_filter_values_are_a_422_on_the_page_and_the_api(client, login, make_member, query):
    login(make_member())
    page = client.get(f"/members?{query}", headers=EN)
    assert page.status_code == 422, query
    assert "Members of" in page.get_data(as_text=True)  # the list page, with its form
    api = client.get(f"/api/v1/members?{query}", headers=EN)
    assert api.status_code == 422, query
    assert api.mimetype == "application/problem+json"
    assert api.get_json()["errors"], query
    partial = client.get(f"/members?{query}&partial=1", headers=EN)
    assert partial.status_code == 422, query


def test_the_profile_shows_the_members_skills(client, login, make_member, skills, give_skills):
    ana = make_member(display_name="Ana")
    give_skills(
        ana,
        {"skill_id": skills["graphisme"], "level": "expert", "years": 7, "can_teach": True},
        {"skill_id": skills["photo"], "level": "notions", "years": 1},
    )
    bea = make_member(display_name="Bea")
    login(bea)
    page = client.get(f"/members/{ana.id}", headers=EN).get_data(as_text=True)
    section = page.split('id="skills-title"', 1)[1].split("</section>", 1)[0]
    assert f'href="/skills/{skills["graphisme"]}">Graphic design</a>' in section
    assert "Expert, 7 years" in section and "can teach" in section
    assert "Notions, 1 year" in section
    assert section.index("Graphic design") < section.index("Photography")
    assert "Edit my skills" not in section
    own = client.get(f"/members/{bea.id}", headers=EN).get_data(as_text=True)
    own_section = own.split('id="skills-title"', 1)[1].split("</section>", 1)[0]
    assert "No skill listed yet." in own_section and "Edit my skills" in own_section
