"""Fixtures for the skills tests: a signed-in staff client, skills made through the staff
page, and members' skills set through the API (public surfaces only)."""

import pytest

from tests.conftest import form_post

EN = {"Accept-Language": "en"}


@pytest.fixture
def staff_client(app, make_member, login):
    """A client signed in as a staff member (the test's `client` stays free)."""
    return login(make_member(role="staff", display_name="Équipe Appui"), c=app.test_client())


@pytest.fixture
def new_skill(staff_client):
    """Create an accepted skill through the staff page; returns its id."""

    def create(name_fr, name_en="", category="", synonyms=""):
        data = {"name_fr": name_fr, "name_en": name_en, "category": category}
        response = form_post(
            staff_client, "/staff/skills", {**data, "synonyms": synonyms}, page="/staff/skills"
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        return skill_id(staff_client, name_fr)

    return create


def skill_id(client, name_fr):
    """The id of the live skill named `name_fr`, read from the API."""
    items = client.get("/api/v1/skills").get_json()["items"]
    found = [s["id"] for s in items if s["name_fr"] == name_fr]
    assert found, f"no skill {name_fr!r} in {[s['name_fr'] for s in items]}"
    return found[0]


@pytest.fixture
def give_skills(client, token_for):
    """Set a member's skills through PUT /api/v1/me/skills; returns the saved items."""

    def give(member, *items):
        skills = []
        for item in items:
            if isinstance(item, tuple):  # (skill_id, level[, can_teach])
                sid, level, *teach = item
                item = {"skill_id": sid, "level": level, "can_teach": bool(teach and teach[0])}
            skills.append(item)
        response = client.put(
            "/api/v1/me/skills", headers=token_for(member), json={"skills": skills}
        )
        assert response.status_code == 200, response.get_json()
        return response.get_json()["items"]

    return give
