"""The guided first run (/welcome and /api/v1/me/welcome): steps with progress (profile,
skills, channels, the CAE journey), each skippable, resumable, and finished once."""

from datetime import timedelta

import pytest

from tests.conftest import form_post, paris_today

EN = {"Accept-Language": "en"}
STEPS = ["profile", "skills", "channels", "journey"]


@pytest.fixture
def channels(client, make_member, token_for):
    """Public channels #entraide and #lyon, and a private one, made by staff."""
    staff = token_for(make_member(role="staff"))
    made = {}
    for name, kind in (("entraide", "public"), ("lyon", "public"), ("secret", "private")):
        response = client.post("/api/v1/channels", json={"name": name, "kind": kind}, headers=staff)
        assert response.status_code == 201, response.get_json()
        made[name] = response.get_json()["id"]
    return made


def _step(client, name, data=None, **kwargs):
    return form_post(client, f"/welcome/{name}", data or {}, page=f"/welcome/{name}", **kwargs)


def test_the_first_sign_in_leads_to_the_first_run_once(app, client, login, make_member):
    member = make_member()
    response = form_post(
        client, "/login", {"email": member.email, "password": "correct horse battery"}
    )
    assert response.headers["Location"] == "/welcome"
    assert client.get("/welcome").headers["Location"] == "/welcome/profile"
    assert form_post(client, "/welcome/finish", {}, page="/welcome/profile").status_code == 302
    other = app.test_client()
    login(member, c=other)
    again = form_post(other, "/login", {"email": member.email, "password": "x"})
    assert again.status_code == 302 and again.headers["Location"] == "/"


def test_each_step_saves_and_shows_progress(client, login, make_member, channels, token_for):
    member = make_member(status="support_contract", joined_on=paris_today() - timedelta(days=30))
    login(member)
    page = client.get("/welcome/profile", headers=EN).get_data(as_text=True)
    assert "Step 1 of 4" in page and '<progress max="4" value="1"' in page
    assert [s in page for s in ("Your profile", "Your skills", "Channels to join")] == [True] * 3
    response = _step(
        client,
        "profile",
        {"action": "next", "headline": "Graphiste", "trade": "Graphisme", "city": "Lyon",
         "postcode": "69003"},
    )  # fmt: skip
    assert response.headers["Location"] == "/welcome/skills"
    assert "Step 2 of 4" in client.get("/welcome/skills", headers=EN).get_data(as_text=True)
    assert (
        _step(
            client, "skills", {"action": "next", "skills": "Illustration, Mise en page"}
        ).status_code
        == 302
    )
    page = client.get("/welcome/channels", headers=EN).get_data(as_text=True)
    assert "#entraide" in page and "#lyon" in page and "#secret" not in page
    assert (
        _step(
            client, "channels", {"action": "next", "channel_ids": [str(channels["lyon"])]}
        ).headers["Location"]
        == "/welcome/journey"
    )
    journey = client.get("/welcome/journey", headers=EN).get_data(as_text=True)
    cape_end = paris_today() - timedelta(days=30)
    assert "Porteur de projet (CAPE)" in journey and "12 months, renewable 2 times" in journey
    assert "Your current CAPE term ends on" in journey
    assert str(cape_end.replace(year=cape_end.year + 1).year) in journey
    done = _step(client, "journey", {"action": "next"})
    assert done.headers["Location"] == "/"
    headers = {**token_for(member), **EN}
    me = client.get("/api/v1/me", headers=headers).get_json()
    assert (me["headline"], me["city"], me["postcode"]) == ("Graphiste", "Lyon", "69003")
    skills = client.get("/api/v1/me/skills", headers=headers).get_json()["items"]
    assert sorted(s["name"] for s in skills) == ["Illustration", "Mise en page"]
    mine = [c["name"] for c in client.get("/api/v1/channels", headers=headers).get_json()["items"]]
    assert "lyon" in mine and "entraide" not in mine
    assert client.get("/api/v1/me/welcome", headers=headers).get_json()["finished"] is True
    assert "Continue your first steps" not in client.get("/", headers=EN).get_data(as_text=True)


def test_a_skipped_step_changes_nothing_and_the_run_resumes(app, client, login, make_member):
    member = make_member(headline="Avant")
    login(member)
    skipped = _step(client, "profile", {"action": "skip", "headline": "Après"})
    assert skipped.headers["Location"] == "/welcome/skills"
    assert "Continue your first steps" in client.get("/", headers=EN).get_data(as_text=True)
    other = app.test_client()  # another day, another browser: it resumes at the skills
    form_post(other, "/login", {"email": member.email, "password": "correct horse battery"})
    assert other.get("/welcome").headers["Location"] == "/welcome/skills"
    assert "Avant" in other.get(f"/members/{member.id}", headers=EN).get_data(as_text=True)


def test_bad_input_keeps_the_member_on_the_step(client, login, make_member):
    login(make_member())
    response = _step(
        client,
        "profile",
        {"action": "next", "postcode": "<script>", "headline": "x" * 300},
        headers=EN,
    )
    assert response.status_code == 422
    assert "Step 1 of 4" in response.get_data(as_text=True)
    channels = _step(client, "channels", {"action": "next", "channel_ids": ["abc"]}, headers=EN)
    assert channels.status_code == 422
    assert "Choose channels from the list." in channels.get_data(as_text=True)
    assert client.get("/welcome").headers["Location"] == "/welcome/profile"


def test_an_unknown_step_is_a_404_and_signed_out_visitors_sign_in(app, client, login, make_member):
    assert app.test_client().get("/welcome/profile").status_code == 302
    login(make_member())
    assert client.get("/welcome/nothing").status_code == 404


def test_the_first_run_through_the_api(client, member_api, channels):
    _member, headers = member_api()
    state = client.get("/api/v1/me/welcome", headers=headers).get_json()
    assert [s["name"] for s in state["steps"]] == STEPS
    assert state["current"] == "profile" and state["finished"] is False
    step = client.post("/api/v1/me/welcome/profile", json={"city": "Grenoble"}, headers=headers)
    assert step.get_json()["current"] == "skills"
    skipped = client.post("/api/v1/me/welcome/skills", json={"skip": True}, headers=headers)
    assert skipped.get_json()["current"] == "channels"
    joined = client.post(
        "/api/v1/me/welcome/channels", json={"channel_ids": [channels["entraide"]]}, headers=headers
    )
    assert joined.get_json()["current"] == "journey"
    private = client.post(
        "/api/v1/me/welcome/channels", json={"channel_ids": [channels["secret"]]}, headers=headers
    )
    assert private.status_code == 404
    bad = client.post("/api/v1/me/welcome/skills", json={"skip": "yes"}, headers=headers)
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"
    done = client.post("/api/v1/me/welcome/finish", headers=headers).get_json()
    assert done == {**done, "current": None, "finished": True}
    assert client.get("/api/v1/me", headers=headers).get_json()["city"] == "Grenoble"


def test_the_first_run_in_french(client, login, make_member):
    login(make_member())
    page = client.get("/welcome/journey").get_data(as_text=True)
    assert "Étape 4 sur 4" in page and "Votre parcours dans la coopérative" in page
