"""The members list filtered by skill costs the same number of queries for 5 or 25 members."""


def test_the_skill_filtered_list_costs_a_constant_number_of_queries(
    login, make_member, new_skill, give_skills, queries_of
):
    web = new_skill("Développement web", "Web development")
    graphisme = new_skill("Graphisme", "Graphic design")
    photo = new_skill("Photographie", "Photography")
    login(make_member(display_name="Zoé Visiteuse"))

    count_queries = queries_of

    def add_holders(first, last):
        for i in range(first, last):
            member = make_member(display_name=f"Membre {i:02d}", trade="Graphiste", city="Lyon")
            extra = [(graphisme, "expert", True)] if i % 2 else [(photo, "notions")]
            give_skills(member, (web, "practised"), *extra)

    add_holders(0, 5)
    few, page = count_queries(f"/members?skill={web}")
    assert page.count('class="member-card"') == 5
    few_api, _ = count_queries(f"/api/v1/members?skill={web}&skill={graphisme}")
    add_holders(5, 25)
    many, page = count_queries(f"/members?skill={web}")
    assert page.count('class="member-card"') == 25
    assert page.count("Web development: Practised") == 25
    assert 0 < many == few
    many_api, body = count_queries(f"/api/v1/members?skill={web}&skill={graphisme}")
    assert body.count("Graphic design: Expert, can teach it") == 12
    assert many_api == few_api
