import re

from tests.conftest import PASSWORD, csrf_token


def test_token_lifecycle(client, make_member):
    member = make_member()
    response = client.post("/api/v1/auth/token", json={"email": member.email, "password": PASSWORD})
    assert response.status_code == 201
    body = response.get_json()
    assert body["token"].startswith("trr_") and body["expires_at"]
    headers = {"Authorization": f"Bearer {body['token']}"}
    assert client.get("/api/v1/me", headers=headers).get_json()["email"] == member.email
    assert client.delete("/api/v1/auth/token", headers=headers).status_code == 204
    revoked = client.get("/api/v1/me", headers=headers)
    assert revoked.status_code == 401
    assert revoked.mimetype == "application/problem+json"


def test_tokens_are_stored_hashed(app, client, make_member, db):
    from network.members.models import ApiToken

    member = make_member()
    raw = client.post(
        "/api/v1/auth/token", json={"email": member.email, "password": PASSWORD}
    ).get_json()["token"]
    with app.app_context():
        stored = db.session.scalars(db.select(ApiToken.token_hash)).all()
    assert raw not in stored and len(stored[0]) == 64


def test_bad_credentials_and_bad_bodies(client, make_member):
    member = make_member()
    wrong = client.post(
        "/api/v1/auth/token",
        json={"email": member.email, "password": "no"},
        headers={"Accept-Language": "en"},
    )
    assert wrong.status_code == 401
    assert wrong.get_json()["detail"] == "Unknown e-mail or wrong password."
    unknown = client.post(
        "/api/v1/auth/token",
        json={"email": "x@y.org", "password": "no"},
        headers={"Accept-Language": "en"},
    )
    assert unknown.get_json().keys() == wrong.get_json().keys()
    assert unknown.get_json() | {"request_id": ""} == wrong.get_json() | {"request_id": ""}
    malformed = client.post("/api/v1/auth/token", data="{not json", content_type="application/json")
    assert malformed.status_code == 422
    assert malformed.mimetype == "application/problem+json"
    array = client.post("/api/v1/auth/token", json=[1, 2])
    assert array.status_code == 422
    form = client.post("/api/v1/auth/token", data={"email": member.email})
    assert form.status_code == 422


def test_token_endpoint_is_rate_limited(app, client, make_member):
    member = make_member()
    app.config["LOGIN_RATE_LIMIT"] = "2 per minute"
    try:
        codes = [
            client.post(
                "/api/v1/auth/token", json={"email": member.email, "password": "bad"}
            ).status_code
            for _ in range(3)
        ]
    finally:
        app.config["LOGIN_RATE_LIMIT"] = "1000 per minute"
    assert codes == [401, 401, 429]


def test_anonymous_api_calls_are_401_problems(client):
    for path in ("/api/v1/me", "/api/v1/members", "/api/v1/members/1"):
        response = client.get(path)
        assert response.status_code == 401
        assert response.mimetype == "application/problem+json"
    assert (
        client.get("/api/v1/me", headers={"Authorization": "Bearer trr_forged"}).status_code == 401
    )


def test_patch_me_updates_the_profile(client, make_member, token_for):
    member = make_member()
    headers = token_for(member)
    response = client.patch(
        "/api/v1/me",
        headers=headers,
        json={
            "headline": "Traductrice",
            "bio": "**Bonjour**",
            "languages": ["français", "anglais"],
            "open_to": ["mentoring"],
            "visibility": {"location": "staff"},
            "locale": "en",
            "city": "Annecy",
        },
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["bio_html"] == "<p><strong>Bonjour</strong></p>"
    assert body["languages"] == ["français", "anglais"]
    assert body["visibility"]["location"] == "staff" and body["locale"] == "en"


def test_patch_me_rejects_bad_fields_and_keeps_the_profile(client, make_member, token_for):
    member = make_member(headline="Avant")
    headers = {**token_for(member), "Accept-Language": "en"}
    response = client.patch(
        "/api/v1/me",
        headers=headers,
        json={
            "headline": "y" * 500,
            "open_to": ["world-domination"],
            "role": "admin",
            "visibility": {"bio": "everyone"},
        },
    )
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert set(errors) == {"headline", "open_to", "role", "vis_bio"}
    assert client.get("/api/v1/me", headers=headers).get_json()["headline"] == "Avant"
    assert (
        client.patch(
            "/api/v1/me", headers=headers, data="[", content_type="application/json"
        ).status_code
        == 422
    )
    assert (
        client.patch("/api/v1/me", headers=headers, json={"visibility": "all"}).status_code == 422
    )


def test_cookie_sessions_need_the_csrf_token_on_the_api(client, login, make_member):
    login(make_member())
    refused = client.patch("/api/v1/me", json={"headline": "x"})
    assert refused.status_code == 400
    token = csrf_token(client, "/members")
    accepted = client.patch("/api/v1/me", json={"headline": "x"}, headers={"X-CSRFToken": token})
    assert accepted.status_code == 200


def test_deactivated_members_tokens_stop_working(app, client, login, make_member, token_for):
    from tests.conftest import form_post

    member = make_member()
    headers = token_for(member)
    staff_client = login(make_member(role="staff"), c=app.test_client())
    form_post(staff_client, f"/staff/members/{member.id}/deactivate", page="/staff/members")
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_personal_tokens_from_the_settings_page(client, login, make_member):
    from tests.conftest import form_post

    login(make_member())
    page = form_post(client, "/me/tokens", {"name": "Mon tableur"}, page="/me/settings")
    raw = re.search(r"(trr_[\w-]+)", page.get_data(as_text=True)).group(1)
    api = client.application.test_client()
    assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 200
    token_id = re.search(r"/me/tokens/(\d+)/revoke", page.get_data(as_text=True)).group(1)
    form_post(client, f"/me/tokens/{token_id}/revoke", page="/me/settings")
    assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 401
    unnamed = form_post(client, "/me/tokens", {"name": ""}, page="/me/settings")
    assert unnamed.status_code == 422


def test_a_member_cannot_revoke_someone_elses_token(app, client, login, make_member):
    from tests.conftest import form_post

    owner = make_member()
    owner_client = login(owner, c=app.test_client())
    page = form_post(owner_client, "/me/tokens", {"name": "x"}, page="/me/settings")
    token_id = re.search(r"/me/tokens/(\d+)/revoke", page.get_data(as_text=True)).group(1)
    login(make_member())
    assert (
        form_post(client, f"/me/tokens/{token_id}/revoke", page="/me/settings").status_code == 404
    )


def test_openapi_documents_every_api_route(app, client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    documented = {(path, method) for path, ops in document["paths"].items() for method in ops}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1"):
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method.lower()) in documented, (path, method)
