"""Endorsements only on the ground of a recorded collaboration, of skills the member holds."""


def _recorded(taken_up, confirm, helper_h, helped_h):
    _offer, exchange = taken_up(helper_h, helped_h)
    confirm(helper_h, exchange["id"], "1")
    assert confirm(helped_h, exchange["id"], "1").get_json()["state"] == "recorded"
    return exchange


def test_no_endorsement_without_a_recorded_collaboration(
    client, member_api, make_skill, hold, taken_up, confirm
):
    site = make_skill("Site web")
    helper, helper_h = member_api(display_name="Aline")
    helped, helped_h = member_api(display_name="Bruno")
    hold(helper, site)
    url = f"/api/v1/members/{helper.id}/endorsements"
    assert client.post(url, json={"skills": [site]}, headers=helped_h).status_code == 403
    _offer, exchange = taken_up(helper_h, helped_h)
    assert client.post(url, json={"skills": [site]}, headers=helped_h).status_code == 403
    confirm(helper_h, exchange["id"], "1")  # one confirmation: still nothing recorded
    assert client.post(url, json={"skills": [site]}, headers=helped_h).status_code == 403
    confirm(helped_h, exchange["id"], "1")
    made = client.post(url, json={"skills": [site], "comment": "Super"}, headers=helped_h)
    assert made.status_code == 201, made.get_json()
    item = made.get_json()["items"][0]
    assert item["endorser"]["id"] == helped.id and item["collaboration_id"]
    listed = client.get(url, headers=helper_h).get_json()["items"]
    assert [(e["skill_id"], e["comment"]) for e in listed] == [(site, "Super")]
    assert client.post(url, json={"skills": [site]}, headers=helped_h).status_code == 409


def test_bad_endorsements(client, member_api, make_skill, hold, taken_up, confirm):
    site, compta = make_skill("Site web"), make_skill("Comptabilité")
    helper, helper_h = member_api()
    helped, helped_h = member_api()
    hold(helper, site)
    _recorded(taken_up, confirm, helper_h, helped_h)
    url = f"/api/v1/members/{helper.id}/endorsements"
    not_held = client.post(url, json={"skills": [compta]}, headers=helped_h)
    assert not_held.status_code == 422 and "skills" in not_held.get_json()["errors"]
    own = client.post(
        f"/api/v1/members/{helper.id}/endorsements", json={"skills": [site]}, headers=helper_h
    )
    assert own.status_code == 422
    assert client.post(url, json={"skills": []}, headers=helped_h).status_code == 422
    assert client.post(url, json={"skills": [999999]}, headers=helped_h).status_code == 422
    assert (
        client.post(
            "/api/v1/members/999999/endorsements", json={"skills": [site]}, headers=helped_h
        ).status_code
        == 404
    )
    assert client.post(url, json={"skills": [site]}).status_code == 401


def test_withdrawing_and_the_other_way_round(
    client, member_api, make_skill, hold, taken_up, confirm
):
    site, compta = make_skill("Site web"), make_skill("Comptabilité")
    helper, helper_h = member_api()
    helped, helped_h = member_api()
    _stranger, stranger_h = member_api()
    hold(helper, site)
    hold(helped, compta)
    _recorded(taken_up, confirm, helper_h, helped_h)
    back = client.post(
        f"/api/v1/members/{helped.id}/endorsements", json={"skills": [compta]}, headers=helper_h
    )
    assert back.status_code == 201  # each party may endorse the other
    eid = back.get_json()["items"][0]["id"]
    assert client.delete(f"/api/v1/endorsements/{eid}", headers=stranger_h).status_code == 403
    assert client.delete(f"/api/v1/endorsements/{eid}", headers=helper_h).status_code == 204
    assert (
        client.get(f"/api/v1/members/{helped.id}/endorsements", headers=helper_h).get_json()[
            "items"
        ]
        == []
    )
    assert client.delete(f"/api/v1/endorsements/{eid}", headers=helper_h).status_code == 404


def test_the_database_keeps_the_link(app, make_member, make_skill):
    """An endorsement row without a collaboration is refused by the database itself."""
    import pytest
    from sqlalchemy.exc import IntegrityError

    from network.extensions import db
    from network.mutual_aid.models import Endorsement

    site = make_skill("Site web")
    a, b = make_member(), make_member()
    with app.app_context():
        db.session.add(
            Endorsement(endorser_id=a.id, member_id=b.id, skill_id=site, collaboration_id=424242)
        )
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
