"""Above the cooperative's threshold, the committee's approval waits for a binding decision
of the associates, opened in governance through the kernel's hook; its outcome settles the
request. Without a decision engine, the support team records the associates' decision."""

import pytest

from network.core import registries
from network.extensions import db
from tests.conftest import form_post


def _decide(client, headers, request_id, **body):
    return client.post(f"/api/v1/money-requests/{request_id}/decision", json=body, headers=headers)


def _vote_and_close(client, committee, decision_id, stance):
    decision = client.get(f"/api/v1/decisions/{decision_id}", headers=committee[0][1]).get_json()
    assert decision["electorate"]["binding"] is True and decision["state"] == "open"
    option = next(o["id"] for o in decision["options"] if o["code"] == stance)
    for _member, headers in committee:
        voted = client.put(
            f"/api/v1/decisions/{decision_id}/vote", json={"choice": option}, headers=headers
        )
        assert voted.status_code == 200, voted.get_json()
    closed = client.post(f"/api/v1/decisions/{decision_id}/close", headers=committee[0][1])
    assert closed.status_code == 200, closed.get_json()


@pytest.mark.parametrize("stance,state", [("agree", "approved"), ("disagree", "refused")])
def test_a_large_request_waits_for_the_associates(
    app, client, member_api, ask, committee, stance, state
):
    _member, headers = member_api()
    made = ask(headers, amount="6 000", months=12).get_json()
    decided = _decide(client, committee[0][1], made["id"], approved=True)
    body = decided.get_json()
    assert decided.status_code == 200, body
    assert body["state"] == "awaiting_associates" and body["associates_decision_id"]
    assert (
        _decide(client, committee[1][1], made["id"], approved=False, reason="x").status_code == 409
    )
    _vote_and_close(client, committee, body["associates_decision_id"], stance)
    settled = client.get(f"/api/v1/money-requests/{made['id']}", headers=headers).get_json()
    assert settled["state"] == state
    if state == "approved":
        assert settled["balance"]["cents"] == 600000
        assert len(settled["next_due"]) == 3
    else:
        assert settled["balance"]["cents"] == 0 and "associates" in settled["decision_reason"]
    with app.app_context():
        from network.core.audit import AuditEvent

        outcomes = db.session.scalars(
            db.select(AuditEvent).where(AuditEvent.action == "money_request_decided")
        ).all()
        assert [e.details["outcome"] for e in outcomes] == [
            "awaiting_associates",
            "approved" if state == "approved" else "refused_by_associates",
        ]


def test_below_the_threshold_the_committee_alone_decides(client, member_api, ask, committee):
    _member, headers = member_api()
    made = ask(headers, amount="5 000", months=10).get_json()
    body = _decide(client, committee[0][1], made["id"], approved=True).get_json()
    assert body["state"] == "approved" and body["associates_decision_id"] is None


def test_without_a_decision_engine_the_support_team_records_the_outcome(
    client, member_api, ask, committee, login, make_member, monkeypatch
):
    monkeypatch.setattr(registries, "BINDING_DECISION_OPENERS", [])
    _member, headers = member_api()
    made = ask(headers, amount="8 000", months=12).get_json()
    body = _decide(client, committee[0][1], made["id"], approved=True).get_json()
    assert body["state"] == "awaiting_associates" and body["associates_decision_id"] is None
    login(make_member(role="staff"))
    page = f"/money/{made['id']}"
    assert form_post(client, f"{page}/associates", {"approved": "1"}, page).status_code == 302
    again = form_post(client, f"{page}/associates", {"approved": "0"}, page)
    assert again.status_code == 409
    settled = client.get(f"/api/v1/money-requests/{made['id']}", headers=headers).get_json()
    assert settled["state"] == "approved"


def test_a_committee_member_who_may_not_open_a_binding_vote_is_told_so(
    client, member_api, ask, seat
):
    reviewer, reviewer_headers = member_api(status="employee_entrepreneur")
    seat(reviewer)
    _member, headers = member_api()
    made = ask(headers, amount="9 000", months=12).get_json()
    refused = _decide(client, reviewer_headers, made["id"], approved=True)
    assert refused.status_code == 403
    still = client.get(f"/api/v1/money-requests/{made['id']}", headers=headers).get_json()
    assert still["state"] == "under_review"


def test_without_any_associate_the_approval_is_refused_clearly(client, member_api, ask, seat):
    staff, staff_headers = member_api(role="staff", status="employee_entrepreneur")
    seat(staff)
    _member, headers = member_api()
    made = ask(headers, amount="7 000", months=12).get_json()
    answer = _decide(client, staff_headers, made["id"], approved=True)
    assert answer.status_code == 409
    assert "could not be opened" in answer.get_json()["detail"]
    still = client.get(f"/api/v1/money-requests/{made['id']}", headers=headers).get_json()
    assert still["state"] == "under_review"
