"""Offers and needs, responses, acceptance, confirmation by both, the ledger and its floor."""

from sqlalchemy import func, select

from network.extensions import db


def _ledger(client, headers):
    response = client.get("/api/v1/me/ledger", headers=headers)
    assert response.status_code == 200
    return response.get_json()


def test_an_offer_taken_up_and_confirmed_by_both_moves_hours(client, member_api, taken_up, confirm):
    helper, helper_h = member_api(display_name="Aline")
    helped, helped_h = member_api(display_name="Bruno")
    offer, exchange = taken_up(helper_h, helped_h)
    assert exchange["helper"]["id"] == helper.id and exchange["helped"]["id"] == helped.id
    first = confirm(helper_h, exchange["id"], "1h30")
    assert first.status_code == 200 and first.get_json()["state"] == "open"
    assert _ledger(client, helper_h)["balance_minutes"] == 0  # one confirmation records nothing
    second = confirm(helped_h, exchange["id"], "1,5")
    assert second.status_code == 200, second.get_json()
    assert second.get_json()["state"] == "recorded" and second.get_json()["minutes"] == 90
    assert _ledger(client, helper_h)["balance_minutes"] == 90
    mine = _ledger(client, helped_h)
    assert mine["balance_minutes"] == -90
    assert [e["minutes"] for e in mine["items"]] == [-90]
    assert mine["items"][0]["counterpart"]["id"] == helper.id
    again = confirm(helped_h, exchange["id"], "1,5")
    assert again.status_code == 409


def test_a_need_makes_the_responder_the_helper(member_api, taken_up, confirm, client):
    author, author_h = member_api()
    responder, responder_h = member_api()
    _offer, exchange = taken_up(author_h, responder_h, kind="need", title="Je cherche un avis")
    assert exchange["helper"]["id"] == responder.id and exchange["helped"]["id"] == author.id
    confirm(author_h, exchange["id"], 1)
    assert confirm(responder_h, exchange["id"], {"minutes": 60}).get_json()["state"] == "recorded"
    assert _ledger(client, responder_h)["balance_minutes"] == 60


def test_different_times_are_disputed_and_settled_by_staff(member_api, taken_up, confirm, client):
    _a, a_h = member_api()
    _b, b_h = member_api()
    _s, staff_h = member_api(role="staff")
    _offer, exchange = taken_up(a_h, b_h)
    confirm(a_h, exchange["id"], "2")
    disputed = confirm(b_h, exchange["id"], "1")
    assert disputed.get_json()["state"] == "disputed"
    assert _ledger(client, a_h)["balance_minutes"] == 0
    forbidden = client.post(
        f"/api/v1/exchanges/{exchange['id']}/settle", json={"hours": "1h30"}, headers=a_h
    )
    assert forbidden.status_code == 403
    settled = client.post(
        f"/api/v1/exchanges/{exchange['id']}/settle", json={"hours": "1h30"}, headers=staff_h
    )
    assert settled.status_code == 200 and settled.get_json()["state"] == "recorded"
    assert _ledger(client, a_h)["balance_minutes"] == 90


def test_a_dispute_can_also_be_agreed_by_confirming_again(member_api, taken_up, confirm):
    _a, a_h = member_api()
    _b, b_h = member_api()
    _offer, exchange = taken_up(a_h, b_h)
    confirm(a_h, exchange["id"], "2")
    confirm(b_h, exchange["id"], "1")
    assert confirm(a_h, exchange["id"], "1").get_json()["state"] == "recorded"


def test_bad_hours_are_refused(member_api, taken_up, confirm):
    _a, a_h = member_api()
    _b, b_h = member_api()
    _offer, exchange = taken_up(a_h, b_h)
    for bad in (0, -1, "-2", 0.001, "0,001", 10**6, "1000000", "abc", True, None, "1h75", 1e-7):
        answer = confirm(a_h, exchange["id"], bad)
        assert answer.status_code == 422, (bad, answer.get_json())
        assert answer.content_type.startswith("application/problem+json")


def test_a_stranger_cannot_confirm_and_sees_nothing(member_api, taken_up, confirm):
    _a, a_h = member_api()
    _b, b_h = member_api()
    _c, c_h = member_api()
    _offer, exchange = taken_up(a_h, b_h)
    assert confirm(c_h, exchange["id"], "1").status_code == 404


def test_the_floor_stops_a_transfer(app, member_api, taken_up, confirm, client):

    _a, a_h = member_api()
    _b, b_h = member_api()
    _offer, first = taken_up(a_h, b_h, estimate="1")
    confirm(a_h, first["id"], "8")
    assert confirm(b_h, first["id"], "8").get_json()["state"] == "recorded"
    _offer, second = taken_up(a_h, b_h, title="Encore un coup de main", estimate="1")
    confirm(a_h, second["id"], "3")
    refused = confirm(b_h, second["id"], "3")  # -8 -3 = -11 < -10 (the default floor)
    assert refused.status_code == 409, refused.get_json()
    assert _ledger(client, b_h)["balance_minutes"] == -8 * 60
    assert confirm(b_h, second["id"], "2").get_json()["state"] == "disputed"
    assert confirm(a_h, second["id"], "2").get_json()["state"] == "recorded"  # exactly -10
    assert _ledger(client, b_h)["balance_minutes"] == -10 * 60


def test_responding_to_ones_own_or_an_expired_offer(app, member_api, post_offer, client):
    from network.mutual_aid.models import Offer
    from tests.mutual_aid.conftest import in_days

    _a, a_h = member_api()
    _b, b_h = member_api()
    offer = post_offer(a_h)
    own = client.post(f"/api/v1/offers/{offer['id']}/responses", json={}, headers=a_h)
    assert own.status_code == 409
    with app.app_context():
        from datetime import date

        db.session.get(Offer, offer["id"]).expires_on = date.fromisoformat(in_days(-1))
        db.session.commit()
    expired = client.post(f"/api/v1/offers/{offer['id']}/responses", json={}, headers=b_h)
    assert expired.status_code == 409
    assert "expired" in expired.get_json()["detail"]
    past = client.post(
        "/api/v1/offers",
        json={
            "kind": "offer",
            "title": "x",
            "place": "remote",
            "estimate": "1",
            "expires_on": in_days(-1),
        },
        headers=a_h,
    )
    assert past.status_code == 422


def test_only_the_author_accepts_and_twice_is_a_conflict(member_api, post_offer, client):
    _a, a_h = member_api()
    _b, b_h = member_api()
    offer = post_offer(a_h)
    response = client.post(f"/api/v1/offers/{offer['id']}/responses", json={}, headers=b_h)
    rid = response.get_json()["id"]
    twice = client.post(f"/api/v1/offers/{offer['id']}/responses", json={}, headers=b_h)
    assert twice.status_code == 409
    assert client.post(f"/api/v1/responses/{rid}/accept", headers=b_h).status_code == 403
    assert client.post(f"/api/v1/responses/{rid}/accept", headers=a_h).status_code == 201
    assert client.post(f"/api/v1/responses/{rid}/accept", headers=a_h).status_code == 409


def test_several_responders_each_get_an_exchange(member_api, post_offer, client):
    _a, a_h = member_api()
    offer = post_offer(a_h)
    exchanges = []
    for _ in range(2):
        _m, m_h = member_api()
        rid = client.post(
            f"/api/v1/offers/{offer['id']}/responses", json={}, headers=m_h
        ).get_json()["id"]
        exchanges.append(client.post(f"/api/v1/responses/{rid}/accept", headers=a_h).get_json())
    assert len({e["exchange"]["id"] for e in exchanges}) == 2
    assert all(e["response"]["conversation_url"].startswith("/") for e in exchanges)


def test_offers_crud_filters_and_anonymous(client, member_api, post_offer, make_skill):
    _a, a_h = member_api()
    site = make_skill("Site web")
    offer = post_offer(a_h, skills=[site], place="city", city="Saint-Étienne")
    post_offer(a_h, kind="need", title="Je cherche un relecteur", place="on_site")
    assert client.get("/api/v1/offers").status_code == 401
    by_skill = client.get(f"/api/v1/offers?skill={site}", headers=a_h).get_json()["items"]
    assert [o["id"] for o in by_skill] == [offer["id"]]
    by_city = client.get("/api/v1/offers?city=saint-etienne", headers=a_h).get_json()["items"]
    assert [o["id"] for o in by_city] == [offer["id"]]
    needs = client.get("/api/v1/offers?kind=need", headers=a_h).get_json()["items"]
    assert [o["kind"] for o in needs] == ["need"]
    assert client.get("/api/v1/offers?place=moon", headers=a_h).status_code == 422
    _b, b_h = member_api()
    assert (
        client.patch(f"/api/v1/offers/{offer['id']}", json={"title": "x"}, headers=b_h).status_code
        == 403
    )
    edited = client.patch(f"/api/v1/offers/{offer['id']}", json={"title": "Nouveau"}, headers=a_h)
    assert edited.get_json()["title"] == "Nouveau"
    assert client.delete(f"/api/v1/offers/{offer['id']}", headers=a_h).status_code == 204
    assert client.get(f"/api/v1/offers/{offer['id']}", headers=b_h).status_code == 404
    bad = client.post(
        "/api/v1/offers",
        json={"kind": "offer", "title": "", "place": "city", "estimate": "1"},
        headers=a_h,
    )
    assert bad.status_code == 422


def test_the_ledger_balances_and_the_command_says_so(app, member_api, taken_up, confirm):
    from network.mutual_aid.models import LedgerEntry

    people = [member_api() for _ in range(3)]
    for (_x, x_h), (_y, y_h) in (
        (people[0], people[1]),
        (people[1], people[2]),
        (people[2], people[0]),
    ):
        _offer, exchange = taken_up(x_h, y_h)
        confirm(x_h, exchange["id"], "1h15")
        confirm(y_h, exchange["id"], "1h15")
    with app.app_context():
        assert db.session.scalar(select(func.sum(LedgerEntry.minutes))) == 0
    result = app.test_cli_runner().invoke(args=["mutual-aid", "check"])
    assert result.exit_code == 0, result.output


def test_corrections_are_new_entries_and_opening_credit(app, make_member):
    from network.members.models import Member
    from network.mutual_aid import operations
    from network.mutual_aid.models import LedgerEntry

    staff = make_member(role="staff")
    a, b = make_member(), make_member()
    with app.test_request_context():
        operations.grant_opening_credit(a.id, 300)
        assert operations.grant_opening_credit(a.id, 300) is None  # once
        operations.correct_ledger(db.session.get(Member, staff.id), a.id, b.id, "1", "erreur")
        db.session.commit()
        entries = db.session.scalars(select(LedgerEntry).order_by(LedgerEntry.id)).all()
        assert [(e.member_id, e.kind.value, e.minutes) for e in entries] == [
            (a.id, "opening", 300),
            (a.id, "correction", -60),
            (b.id, "correction", 60),
        ]
        assert operations.check_ledger() == []


def test_posting_is_rate_limited(client, member_api, monkeypatch):
    from limits import RateLimitItemPerHour

    from network.mutual_aid import operations

    monkeypatch.setattr(operations, "POSTS_PER_HOUR", RateLimitItemPerHour(2))
    _a, headers = member_api()
    body = {"kind": "offer", "title": "Aide", "place": "remote", "estimate": "1"}
    answers = [
        client.post("/api/v1/offers", json=body, headers=headers).status_code for _ in range(3)
    ]
    assert answers == [201, 201, 429]
