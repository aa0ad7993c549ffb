"""Co-contracts: amounts that add up, the accounting team's service request (through the
kernel's hook), and the collaboration they record."""

import pytest

from network.core import registries


@pytest.fixture
def fake_desk():
    opened = []

    def opener(team, subject, body, requester):
        opened.append((team, subject, body, requester.id))
        return f"/services/requests/{len(opened)}"

    saved = list(registries._service_request_opener)
    registries.register_service_request_opener(opener)
    yield opened
    registries._service_request_opener[:] = saved


def _body(lead, partner, **more):
    return {
        "kind": "co_contracting",
        "client": "Mairie de Lyon",
        "lead_id": lead.id,
        "total": {"cents": 1_000_000},
        "parts": [
            {"member_id": lead.id, "amount": {"cents": 600_000}},
            {"member_id": partner.id, "amount": {"cents": 400_000}},
        ],
        "starts_on": "2027-01-04",
        "ends_on": "2027-03-31",
        **more,
    }


def _endorse(client, headers, member, skill):
    return client.post(
        f"/api/v1/members/{member.id}/endorsements", json={"skills": [skill]}, headers=headers
    )


def _reasons(client, headers, skill, member) -> str:
    found = client.post("/api/v1/collaborators", json={"skills": [skill]}, headers=headers)
    assert found.status_code == 200, found.get_json()
    results = {r["member"]["id"]: r["reasons"] for r in found.get_json()["results"]}
    return " | ".join(results[member.id])


def test_a_confirmed_cocontract_goes_to_accounting(client, member_api, fake_desk, make_skill, hold):
    lead, lead_h = member_api(display_name="Aline")
    partner, partner_h = member_api(display_name="Bruno")
    made = client.post("/api/v1/cocontracts", json=_body(lead, partner), headers=lead_h)
    assert made.status_code == 201, made.get_json()
    data = made.get_json()
    assert data["state"] == "pending" and data["service_request_url"] is None
    assert [(p["amount_cents"], p["state"]) for p in data["parts"]] == [
        (600_000, "confirmed"),
        (400_000, "pending"),
    ]
    assert fake_desk == []  # accounting acts on what every party agreed to
    assert [
        c["id"] for c in client.get("/api/v1/cocontracts", headers=partner_h).get_json()["items"]
    ] == [data["id"]]
    site = make_skill("Site web")
    hold(partner, site)
    hold(lead, site)
    # a declaration alone is no collaboration: no endorsement, no "already collaborated"
    assert _endorse(client, lead_h, partner, site).status_code == 403
    assert _endorse(client, partner_h, lead, site).status_code == 403
    assert "collaborated" not in _reasons(client, lead_h, site, partner)
    assert (
        client.post(f"/api/v1/cocontracts/{data['id']}/confirm", headers=lead_h).status_code == 409
    )
    confirmed = client.post(f"/api/v1/cocontracts/{data['id']}/confirm", headers=partner_h)
    assert confirmed.status_code == 200, confirmed.get_json()
    assert confirmed.get_json()["state"] == "confirmed"
    assert confirmed.get_json()["service_request_url"] == "/services/requests/1"
    team, subject, body, requester = fake_desk[0]
    assert team == "accounting" and requester == lead.id and "Mairie de Lyon" in subject
    assert "6000.00 €" in body and "Bruno" in body
    again = client.post(f"/api/v1/cocontracts/{data['id']}/confirm", headers=partner_h)
    assert again.status_code == 409 and len(fake_desk) == 1
    assert _endorse(client, lead_h, partner, site).status_code == 201  # now a collaboration
    assert "already collaborated with you" in _reasons(client, lead_h, site, partner)
    assert (
        client.post(f"/api/v1/cocontracts/{data['id']}/decline", headers=partner_h).status_code
        == 409
    )


def test_a_declined_cocontract_never_counts(client, member_api, fake_desk, make_skill, hold):
    lead, lead_h = member_api()
    partner, partner_h = member_api()
    third, third_h = member_api()
    body = _body(lead, partner)
    body["parts"][1]["amount"] = {"cents": 300_000}
    body["parts"].append({"member_id": third.id, "amount": {"cents": 100_000}})
    data = client.post("/api/v1/cocontracts", json=body, headers=lead_h).get_json()
    _x, outsider_h = member_api()
    for verb in ("confirm", "decline"):
        url = f"/api/v1/cocontracts/{data['id']}/{verb}"
        assert client.post(url, headers=outsider_h).status_code == 404
        assert client.post(f"/api/v1/cocontracts/999999/{verb}", headers=lead_h).status_code == 404
    declined = client.post(f"/api/v1/cocontracts/{data['id']}/decline", headers=partner_h)
    assert declined.status_code == 200 and declined.get_json()["state"] == "declined"
    late = client.post(f"/api/v1/cocontracts/{data['id']}/confirm", headers=partner_h)
    assert late.status_code == 409
    assert (
        client.post(f"/api/v1/cocontracts/{data['id']}/confirm", headers=third_h).status_code == 409
    )
    site = make_skill("Site web")
    hold(partner, site)
    hold(third, site)
    assert _endorse(client, lead_h, partner, site).status_code == 403
    assert _endorse(client, lead_h, third, site).status_code == 403
    assert "collaborated" not in _reasons(client, lead_h, site, partner)
    assert fake_desk == []


def test_collaborations_only_between_confirmed_parties(
    client, member_api, fake_desk, make_skill, hold
):
    lead, lead_h = member_api()
    partner, partner_h = member_api()
    third, _third_h = member_api()
    body = _body(lead, partner)
    body["parts"][1]["amount"] = {"cents": 300_000}
    body["parts"].append({"member_id": third.id, "amount": {"cents": 100_000}})
    data = client.post("/api/v1/cocontracts", json=body, headers=lead_h).get_json()
    assert (
        client.post(f"/api/v1/cocontracts/{data['id']}/confirm", headers=partner_h).status_code
        == 200
    )
    site = make_skill("Site web")
    hold(partner, site)
    hold(third, site)
    assert _endorse(client, lead_h, partner, site).status_code == 201
    assert _endorse(client, lead_h, third, site).status_code == 403  # the third has not said
    assert fake_desk == []  # not every party has confirmed


def test_partners_are_notified_to_confirm(client, member_api, fake_desk):
    lead, lead_h = member_api(display_name="Aline")
    partner, partner_h = member_api()
    client.post("/api/v1/cocontracts", json=_body(lead, partner), headers=lead_h)
    found = client.get("/api/v1/notifications", headers=partner_h)
    assert found.status_code == 200, found.get_json()
    assert "Aline" in found.get_data(as_text=True)


def test_declaring_is_rate_limited(client, member_api, fake_desk, monkeypatch):
    from limits import RateLimitItemPerHour

    from network.mutual_aid import operations

    monkeypatch.setattr(operations, "COCONTRACTS_PER_HOUR", RateLimitItemPerHour(2))
    lead, lead_h = member_api()
    partner, _h = member_api()
    answers = [
        client.post("/api/v1/cocontracts", json=_body(lead, partner), headers=lead_h).status_code
        for _ in range(3)
    ]
    assert answers == [201, 201, 429]


def test_without_a_desk_the_url_is_null(client, member_api):
    saved = list(registries._service_request_opener)
    registries._service_request_opener.clear()
    try:
        lead, lead_h = member_api()
        partner, _h = member_api()
        made = client.post("/api/v1/cocontracts", json=_body(lead, partner), headers=lead_h)
        assert made.status_code == 201 and made.get_json()["service_request_url"] is None
    finally:
        registries._service_request_opener[:] = saved


@pytest.mark.parametrize(
    "change, field",
    [
        ({"total": {"cents": 999_999}}, "parts"),
        ({"total": {"cents": 0}}, "total"),
        ({"total": 10.5}, "total"),
        ({"ends_on": "2026-12-01"}, "ends_on"),
        ({"client": ""}, "client"),
        ({"kind": "merger"}, "kind"),
        ({"parts": []}, "parts"),
    ],
)
def test_bad_cocontracts(client, member_api, fake_desk, change, field):
    lead, lead_h = member_api()
    partner, _h = member_api()
    answer = client.post("/api/v1/cocontracts", json=_body(lead, partner, **change), headers=lead_h)
    assert answer.status_code == 422, answer.get_json()
    assert field in answer.get_json()["errors"]
    assert fake_desk == []


def test_an_outsider_cannot_declare_for_others(client, member_api, fake_desk):
    lead, _l = member_api()
    partner, _p = member_api()
    _x, outsider_h = member_api()
    answer = client.post("/api/v1/cocontracts", json=_body(lead, partner), headers=outsider_h)
    assert answer.status_code == 403
    negative = _body(lead, partner)
    negative["parts"][1]["amount"] = {"cents": -5}
    assert client.post("/api/v1/cocontracts", json=negative, headers=_l).status_code == 422
