from tests.conftest import form_post

EN = {"Accept-Language": "en"}


def test_members_list_filters_by_name_status_trade_and_city(app, client, login, make_member):
    viewer = make_member(display_name="Zoé Viewer")
    make_member(
        display_name="Élodie Durand", status="associate", trade="Électricienne", city="Lyon"
    )
    make_member(
        display_name="Hugo Durand", status="support_contract", trade="Plombier", city="Vienne"
    )
    make_member(display_name="Anaïs Petit", status="associate", trade="Graphiste", city="Lyon")
    login(viewer)

    def names(query):
        page = client.get(f"/members?{query}", headers=EN).get_data(as_text=True)
        page = page.split('class="member-grid"', 1)[-1] if 'class="member-grid"' in page else ""
        return [
            n for n in ("Élodie Durand", "Hugo Durand", "Anaïs Petit", "Zoé Viewer") if n in page
        ]

    assert names("q=durand") == ["Élodie Durand", "Hugo Durand"]
    assert names("q=ELODIE") == ["Élodie Durand"]
    assert names("status=associate") == ["Élodie Durand", "Anaïs Petit"]
    assert names("trade=electricienne") == ["Élodie Durand"]
    assert names("city=LYON&status=associate") == ["Élodie Durand", "Anaïs Petit"]
    assert "No member matches these filters." in client.get(
        "/members?q=nobody", headers=EN
    ).get_data(as_text=True)


def test_members_list_paginates_with_a_cursor(client, login, make_member):
    members = [make_member(display_name=f"Membre {i:02d}") for i in range(7)]
    login(members[0])
    seen, cursor = [], None
    while True:
        url = "/api/v1/members?limit=3" + (f"&cursor={cursor}" if cursor else "")
        body = client.get(url).get_json()
        seen += [item["display_name"] for item in body["items"]]
        cursor = body["next"]
        if not cursor:
            break
    assert seen == [f"Membre {i:02d}" for i in range(7)]
    page = client.get("/members?limit=3").get_data(as_text=True)
    assert 'rel="next"' in page


def test_deactivated_members_are_listed_for_staff_only(app, client, login, make_member):
    member = make_member()
    gone = make_member(display_name="Parti Ailleurs")
    staff = make_member(role="staff", display_name="Équipe Appui")
    staff_client = login(staff, c=app.test_client())
    form_post(staff_client, f"/staff/members/{gone.id}/deactivate", page="/staff/members")
    login(member)
    assert "Parti Ailleurs" not in client.get("/members").get_data(as_text=True)
    assert client.get(f"/members/{gone.id}").status_code == 404
    assert client.get(f"/api/v1/members/{gone.id}").status_code == 404
    assert "Parti Ailleurs" in staff_client.get("/staff/members").get_data(as_text=True)
    assert staff_client.get(f"/members/{gone.id}").status_code == 200


def test_bad_list_parameters_get_a_clear_4xx(client, login, make_member):
    login(make_member())
    for query in (
        "cursor=%%%garbage",
        "cursor=WzFd",
        "status=emperor",
        "limit=0",
        "limit=abc",
        "q=" + "x" * 200,
    ):
        html = client.get(f"/members?{query}", headers=EN)
        api = client.get(f"/api/v1/members?{query}", headers=EN)
        assert html.status_code == 422, query
        assert api.status_code == 422, query
        assert api.mimetype == "application/problem+json"


def test_unknown_member_is_404(client, login, make_member):
    login(make_member())
    assert client.get("/members/999999").status_code == 404
    assert client.get("/api/v1/members/999999").status_code == 404


def test_members_list_costs_a_bounded_number_of_queries(login, make_member, queries_of):
    login(make_member())
    few, _ = queries_of("/members")
    for i in range(15):
        make_member(display_name=f"Autre {i}", trade="Graphiste", city="Lyon")
    assert queries_of("/members")[0] == few
    assert queries_of("/api/v1/members?limit=50")[0] <= few


def test_well_formed_cursors_with_wrong_values_are_refused(client, login, make_member):
    import base64
    import json

    login(make_member())
    for values in (["a", "x"], ["a", [1]], ["a", 1e30], ["a", 10**30], [1, 1], ["a", True]):
        raw = base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")
        assert client.get(f"/members?cursor={raw}").status_code == 422, values
        assert client.get(f"/api/v1/members?cursor={raw}").status_code == 422, values


def test_ids_beyond_the_database_range_are_404(client, login, make_member):
    login(make_member(role="admin"))
    for path in (
        "/members/99999999999999999999",
        "/members/2147483648",
        "/api/v1/members/99999999999999999999",
        "/staff/members/99999999999999999999",
    ):
        assert client.get(path).status_code == 404, path
    for path in (
        "/staff/members/99999999999999999999/role",
        "/staff/invitations/99999999999999999999/revoke",
        "/me/tokens/99999999999999999999/revoke",
    ):
        assert form_post(client, path, {"role": "staff"}, page="/members").status_code == 404


def test_control_characters_and_broken_unicode_are_refused(client, login, make_member, token_for):
    member = make_member()
    login(member)
    assert client.get("/members?q=%00").status_code == 422
    assert client.get("/api/v1/members?trade=%00").status_code == 422
    assert form_post(client, "/login", {"email": "a\x00@b.c", "password": "x"}).status_code in (
        302,
        422,
    )  # already signed in: redirected, or refused
    headers = token_for(member)
    for body in ({"headline": "a\u0000b"}, {"display_name": "ab\ud800"}):
        response = client.patch("/api/v1/me", headers=headers, json=body)
        assert response.status_code == 422, body
    raw = b'{"email": "a@b.c", "password": "\\ud800"}'
    assert (
        client.post("/api/v1/auth/token", data=raw, content_type="application/json").status_code
        == 422
    )


def test_wrong_json_types_are_refused_not_stored(client, make_member, token_for):
    member = make_member(display_name="Nom Correct")
    headers = token_for(member)
    for body in (
        {"display_name": ["a", "b"]},
        {"website": 5},
        {"open_to": "coffee"},
        {"headline": None if False else 12},
        {"links": "http://[::1"},
        {"website": "http://[::1"},
        {"languages": [1, 2]},
        {"display_name": "\u200b\u200b"},
    ):
        response = client.patch("/api/v1/me", headers=headers, json=body)
        assert response.status_code == 422, body
        assert response.mimetype == "application/problem+json"
    assert client.get("/api/v1/me", headers=headers).get_json()["display_name"] == "Nom Correct"


def test_a_card_links_to_the_profile_and_shows_only_visible_fields(client, login, make_member):
    ana = make_member(
        display_name="Ana <Lopez>",
        status="associate",
        trade="Menuisière",
        trading_name="Bois & Co",
        city="Lyon",
    )
    make_member(display_name="Bea Discrète", trade="Plombière", city="Vienne", vis_location="staff")
    login(make_member(display_name="Zoé Viewer"))
    page = client.get("/members", headers=EN).get_data(as_text=True)
    card = page.split(f'href="/members/{ana.id}"', 1)[1].split("</li>", 1)[0]
    assert "Ana &lt;Lopez&gt;" in card and "<Lopez>" not in card  # escaped
    assert '<span class="badge status-associate">Entrepreneur salarié associé</span>' in card
    assert "Menuisière · Bois &amp; Co" in card and "Lyon" in card
    assert client.get(f"/members/{ana.id}").status_code == 200
    bea = page.split("Bea Discrète", 1)[1].split("</li>", 1)[0]
    assert "Plombière" in bea and "Vienne" not in bea  # a staff-only city stays hidden
