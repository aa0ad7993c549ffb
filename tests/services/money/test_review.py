"""The committee: opinions with reasons, recusal (the requester, a declared conflict of
interest), the decision taken once, notifications and the audit log."""

from sqlalchemy import select

from network.core.audit import AuditEvent
from network.extensions import db

EN = {"Accept-Language": "en"}


def _opinion(client, headers, request_id, stance="favourable", reason="Projet solide"):
    return client.post(
        f"/api/v1/money-requests/{request_id}/opinions",
        json={"stance": stance, "reason": reason},
        headers=headers,
    )


def _decide(client, headers, request_id, **body):
    return client.post(f"/api/v1/money-requests/{request_id}/decision", json=body, headers=headers)


def test_reviewers_give_opinions_and_one_decides_once(app, client, member_api, ask, committee):
    requester, headers = member_api()
    made = ask(headers, amount="900", months=3).get_json()
    (a, a_headers), (b, b_headers), (_c, c_headers) = committee
    assert _opinion(client, a_headers, made["id"]).status_code == 201
    seen = _opinion(client, b_headers, made["id"], "unfavourable", "Trop tôt").get_json()
    assert [o["stance"] for o in seen["opinions"]] == ["favourable", "unfavourable"]
    assert seen["can_review"] is True and seen["recused"] is False
    # changing one's opinion keeps one per reviewer
    again = _opinion(client, b_headers, made["id"], "favourable", "Après discussion").get_json()
    assert [o["stance"] for o in again["opinions"]] == ["favourable", "favourable"]
    decided = _decide(client, c_headers, made["id"], approved=True, amount="600")
    assert decided.status_code == 200, decided.get_json()
    body = decided.get_json()
    assert body["state"] == "approved"
    assert body["approved_amount"]["cents"] == 60000
    assert [i["amount"]["cents"] for i in body["schedule"]] == [20000, 20000, 20000]
    assert [i["due_on"] for i in body["schedule"]] == [
        i["due_on"] for i in body["proposed_schedule"]
    ]
    second = _decide(client, a_headers, made["id"], approved=False, reason="Non")
    assert second.status_code == 409
    # an invalid second decision is told the request is decided, not what to fix in it
    for invalid in (
        {},
        {"approved": "maybe"},
        {"approved": False},
        {"approved": True, "amount": 1.5},
    ):
        late = _decide(client, a_headers, made["id"], **invalid)
        assert late.status_code == 409, (invalid, late.get_json())
    assert _opinion(client, a_headers, made["id"]).status_code == 409
    mine = client.get(f"/api/v1/money-requests/{made['id']}", headers=headers).get_json()
    assert mine["state"] == "approved" and mine["opinions"] is None
    assert mine["balance"]["cents"] == 60000
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
        assert actions.count("money_opinion_given") == 3
        assert "money_request_submitted" in actions and "money_request_decided" in actions
    notes = client.get("/api/v1/notifications", headers=headers).get_json()["items"]
    assert [n["kind"] for n in notes] == ["money_request_decided"]
    assert "approved" in notes[0]["text"] and notes[0]["url"] == f"/money/{made['id']}"
    reviewer_notes = client.get("/api/v1/notifications", headers=a_headers).get_json()["items"]
    assert {n["kind"] for n in reviewer_notes} == {
        "money_request_submitted",
        "money_request_decided",
    }


def test_a_refusal_needs_a_reason(client, member_api, ask, committee):
    _requester, headers = member_api()
    made = ask(headers).get_json()
    _a, a_headers = committee[0]
    missing = _decide(client, a_headers, made["id"], approved=False)
    assert missing.status_code == 422 and "reason" in missing.get_json()["errors"]
    assert _decide(client, a_headers, made["id"], approved="maybe").status_code == 422
    refused = _decide(client, a_headers, made["id"], approved=False, reason="Fonds épuisé")
    assert refused.get_json()["state"] == "refused"
    assert refused.get_json()["decision_reason"] == "Fonds épuisé"


def test_the_committee_grants_at_most_what_was_asked_with_a_schedule_that_adds_up(
    client, member_api, ask, committee
):
    _requester, headers = member_api()
    made = ask(headers, amount="1000").get_json()
    _a, a_headers = committee[0]
    more = _decide(client, a_headers, made["id"], approved=True, amount="1000,01")
    assert more.status_code == 422
    wrong = _decide(client, a_headers, made["id"], approved=True, amounts=["500", "400"])
    assert wrong.status_code == 422 and "amounts" in wrong.get_json()["errors"]
    ok = _decide(client, a_headers, made["id"], approved=True, months=7)
    cents = [i["amount"]["cents"] for i in ok.get_json()["schedule"]]
    assert sum(cents) == 100000 and max(cents) - min(cents) <= 1 and len(cents) == 7


def test_the_requester_cannot_review_or_decide_their_own_request(
    client, member_api, ask, committee
):
    requester, headers = committee[0]  # a committee member asks for money
    made = ask(headers).get_json()
    assert made["recused"] is True and made["opinions"] is None
    own = _opinion(client, headers, made["id"])
    assert own.status_code == 403
    assert "your own request" in own.get_json()["detail"]
    assert _decide(client, headers, made["id"], approved=True).status_code == 403
    # the others review it and see each other's opinions
    _b, b_headers = committee[1]
    assert _opinion(client, b_headers, made["id"]).get_json()["opinions"] is not None
    assert (
        client.get(f"/api/v1/money-requests/{made['id']}", headers=headers).get_json()["opinions"]
        is None
    )


def test_a_declared_conflict_recuses_the_reviewer(client, member_api, ask, committee):
    _requester, headers = member_api()
    made = ask(headers).get_json()
    (_a, a_headers), (_b, b_headers), _c = committee
    assert _opinion(client, a_headers, made["id"]).status_code == 201
    declared = _opinion(client, b_headers, made["id"], "conflict", "C'est mon associé")
    assert declared.status_code == 201
    seen = declared.get_json()
    assert seen["recused"] is True and seen["opinions"] is None and seen["can_review"] is False
    assert _opinion(client, b_headers, made["id"], "favourable").status_code == 403
    refused = _decide(client, b_headers, made["id"], approved=True)
    assert refused.status_code == 403
    assert "conflict of interest" in refused.get_json()["detail"]
    # the others see the declaration (not a vote) and decide
    others = client.get(f"/api/v1/money-requests/{made['id']}", headers=a_headers).get_json()
    assert [o["stance"] for o in others["opinions"]] == ["favourable", "conflict"]


def test_the_recused_reviewers_page_hides_the_opinions(client, member_api, ask, committee, login):
    _requester, headers = member_api()
    made = ask(headers).get_json()
    (a, a_headers), (b, b_headers), _c = committee
    _opinion(client, a_headers, made["id"], reason="Un avis très confidentiel")
    _opinion(client, b_headers, made["id"], "conflict", "Ma sœur")
    login(b)
    page = client.get(f"/money/{made['id']}").get_data(as_text=True)
    assert "Un avis très confidentiel" not in page
    assert f'action="/money/{made["id"]}/decision"' not in page


def test_members_outside_the_committee_cannot_review(client, member_api, ask):
    _requester, headers = member_api()
    made = ask(headers).get_json()
    _staff, staff_headers = member_api(role="staff")
    seen = client.get(f"/api/v1/money-requests/{made['id']}", headers=staff_headers)
    assert seen.status_code == 200  # the support team follows every request
    assert _opinion(client, staff_headers, made["id"]).status_code == 403
    assert _decide(client, staff_headers, made["id"], approved=True).status_code == 403


def test_bad_opinions_are_refused(client, member_api, ask, committee):
    _requester, headers = member_api()
    made = ask(headers).get_json()
    _a, a_headers = committee[0]
    assert _opinion(client, a_headers, made["id"], stance="bof").status_code == 422
    assert _opinion(client, a_headers, made["id"], reason="  ").status_code == 422
    assert _opinion(client, a_headers, made["id"], reason="x" * 2001).status_code == 422


def test_the_committee_reviews_through_the_pages(app, client, member_api, ask, committee, login):
    from tests.conftest import form_post

    _requester, headers = member_api()
    made = ask(headers).get_json()
    (a, _h), (b, _h2), _c = committee
    login(a)
    page = f"/money/{made['id']}"
    missing = form_post(client, f"{page}/opinion", {"stance": "favourable", "reason": ""}, page)
    assert missing.status_code == 422
    given = form_post(client, f"{page}/opinion", {"stance": "favourable", "reason": "Oui"}, page)
    assert given.status_code == 302
    no_reason = form_post(
        client, f"{page}/decision", {"approved": "0", "decision_reason": ""}, page
    )
    assert no_reason.status_code == 422
    assert 'id="decision_reason-error"' in no_reason.get_data(as_text=True)
    bad_plan = {"approved": "1", "decision_amount": "900", "decision_amounts": "500\n300"}
    kept = form_post(client, f"{page}/decision", bad_plan, page)
    assert kept.status_code == 422
    text = kept.get_data(as_text=True)
    assert 'id="decision_amounts-error"' in text and "500\n300" in text  # nothing lost
    approved = form_post(client, f"{page}/decision", {"approved": "1"}, page)
    assert approved.status_code == 302
    again = form_post(client, f"{page}/decision", {"approved": "0", "decision_reason": "Non"}, page)
    assert again.status_code == 409
    late = form_post(client, f"{page}/decision", {"approved": "0", "decision_reason": ""}, page)
    assert late.status_code == 409
    review = client.get("/money/review").get_data(as_text=True)
    assert f"/money/{made['id']}" in review


def test_self_review_and_recused_decisions_through_the_pages(
    client, member_api, ask, committee, login
):
    from tests.conftest import form_post

    (a, a_headers), (b, b_headers), _c = committee
    made = ask(a_headers).get_json()  # a committee member asks
    login(a)
    page = f"/money/{made['id']}"
    text = client.get(page, headers=EN).get_data(as_text=True)
    assert "you are recused" in text and f'action="{page}/opinion"' not in text
    own = form_post(
        client, f"{page}/opinion", {"stance": "favourable", "reason": "Moi"}, page, headers=EN
    )
    assert own.status_code == 403
    assert "your own request" in own.get_data(as_text=True)
    _opinion(client, b_headers, made["id"], "conflict", "Associé")
    other = client.application.test_client()
    login(b, c=other)
    recused = form_post(other, f"{page}/decision", {"approved": "1"}, page, headers=EN)
    assert recused.status_code == 403
    assert "conflict of interest" in recused.get_data(as_text=True)
