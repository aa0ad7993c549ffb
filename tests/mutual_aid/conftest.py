"""Fixtures for mutual aid: skills made by staff, members with skills, offers posted and
exchanges taken up through the API."""

from datetime import timedelta

import pytest

from network.extensions import db


@pytest.fixture
def make_skill(app, make_member):
    staff = {}

    def make(name_fr: str, name_en: str = "") -> int:
        from network.members.models import Member
        from network.skills.operations import create_skill

        if "member" not in staff:
            staff["member"] = make_member(role="staff", display_name="Skills staff")
        with app.test_request_context():
            actor = db.session.get(Member, staff["member"].id)
            skill = create_skill(actor, name_fr=name_fr, name_en=name_en or name_fr)
            db.session.commit()
            return skill.id

    return make


@pytest.fixture
def hold(client, token_for):
    """hold(member, *skill_ids): the member lists these skills (practised)."""

    def give(member, *skill_ids):
        skills = [{"skill_id": s, "level": "practised"} for s in skill_ids]
        response = client.put(
            "/api/v1/me/skills", headers=token_for(member), json={"skills": skills}
        )
        assert response.status_code == 200, response.get_json()

    return give


@pytest.fixture
def post_offer(client):
    def post(headers, **fields):
        body = {
            "kind": "offer",
            "title": "Je peux aider à refaire un site",
            "place": "remote",
            "estimate": "2",
            **fields,
        }
        response = client.post("/api/v1/offers", json=body, headers=headers)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return post


@pytest.fixture
def taken_up(client, post_offer):
    """taken_up(author_headers, responder_headers, **offer) → (offer, exchange) JSON."""

    def take(author, responder, **fields):
        offer = post_offer(author, **fields)
        response = client.post(
            f"/api/v1/offers/{offer['id']}/responses",
            json={"message": "Avec plaisir"},
            headers=responder,
        )
        assert response.status_code == 201, response.get_json()
        accepted = client.post(
            f"/api/v1/responses/{response.get_json()['id']}/accept", headers=author
        )
        assert accepted.status_code == 201, accepted.get_json()
        return offer, accepted.get_json()["exchange"]

    return take


@pytest.fixture
def confirm(client):
    def send(headers, exchange_id, hours):
        return client.post(
            f"/api/v1/exchanges/{exchange_id}/confirm", json={"hours": hours}, headers=headers
        )

    return send


def in_days(days: int) -> str:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    today = datetime.now(ZoneInfo("Europe/Paris")).date()
    return (today + timedelta(days=days)).isoformat()
