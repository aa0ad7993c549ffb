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


def test_a_declared_cocontract_goes_to_accounting(client, member_api, fake_desk, make_skill, hold):
    lead, lead_h = member_api(display_name="Aline")
    partner, partner_h = member_api(display_name="Bruno")
    made = client.post("/api/v1/cocontracts", json=_body(lead, partner), headers=lead_h)
    assert made.status_code == 201, made.get_json()
    data = made.get_json()
    assert data["service_request_url"] == "/services/requests/1"
    assert [p["amount_cents"] for p in data["parts"]] == [600_000, 400_000]
    team, subject, body, requester = fake_desk[0]
    assert team == "accounting" and requester == lead.id and "Mairie de Lyon" in subject
    assert "6000.00 €" in body and "Bruno" in body
    assert [
        c["id"] for c in client.get("/api/v1/cocontracts", headers=partner_h).get_json()["items"]
    ] == [data["id"]]
    site = make_skill("Site web")
    hold(partner, site)
    endorsed = client.post(
        f"/api/v1/members/{partner.id}/endorsements", json={"skills": [site]}, headers=lead_h
    )
    assert endorsed.status_code == 201  # a co-contract is a collaboration


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
