"""Decisions through the API: drafting, opening with a frozen electorate, voting and
changing one's vote, results shown as chosen, closing, outcome; every bad input answered
with a clear 4xx."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from network.extensions import db
from tests.governance.conftest import later, option_id


def test_a_proposal_from_draft_to_outcome(client, member_api, opened, vote):
    author, headers = member_api(status="associate")
    voter, voter_headers = member_api()
    decision = opened(headers, context="We **adopt** it.")
    assert decision["state"] == "open"
    assert decision["turnout"] == {"voted": 0, "electorate": 2}
    assert decision["electorate"]["kind"] == "members"
    assert decision["context_html"] == "<p>We <strong>adopt</strong> it.</p>"
    assert [o["label"] for o in decision["options"]] == ["Agree", "Abstain", "Disagree", "Block"]

    # Results after voting (the default): hidden before, shown after.
    hidden = client.get(f"/api/v1/decisions/{decision['id']}/results", headers=voter_headers)
    assert hidden.status_code == 403
    assert "who have voted" in hidden.get_json()["detail"]
    answer = vote(voter_headers, decision["id"], choice=option_id(decision, "agree"))
    assert answer.status_code == 200
    assert answer.get_json()["choices"] == {str(option_id(decision, "agree")): 1}
    results = client.get(f"/api/v1/decisions/{decision['id']}/results", headers=voter_headers)
    assert results.status_code == 200
    assert results.get_json()["turnout"] == {"voted": 1, "electorate": 2}
    assert results.get_json()["results"]["winners"] == [option_id(decision, "agree")]

    closed = client.post(f"/api/v1/decisions/{decision['id']}/close", headers=headers)
    assert closed.get_json()["state"] == "closed"
    late = vote(voter_headers, decision["id"], choice=option_id(decision, "disagree"))
    assert late.status_code == 409
    outcome = client.put(
        f"/api/v1/decisions/{decision['id']}/outcome",
        json={
            "outcome": "Adopted.",
            "review_on": (datetime.now(UTC) + timedelta(days=90)).date().isoformat(),
        },
        headers=headers,
    )
    assert outcome.status_code == 200
    assert outcome.get_json()["outcome_html"] == "<p>Adopted.</p>"
    notes = client.get("/api/v1/notifications", headers=voter_headers).get_json()["items"]
    texts = [n["text"] for n in notes]
    assert any("awaits your vote" in t for t in texts)
    assert any("Decision closed" in t for t in texts)
    assert any("Outcome published" in t for t in texts)


def test_a_block_and_an_objection_need_a_reason_and_show_as_such(
    app, client, member_api, opened, vote, login
):
    author, headers = member_api()
    decision = opened(headers, results="always")
    block = option_id(decision, "block")
    missing = vote(headers, decision["id"], choice=block)
    assert missing.status_code == 422
    assert missing.get_json()["errors"]["reason"] == "A block or an objection needs a reason."
    assert vote(headers, decision["id"], choice=block, reason="Too costly").status_code == 200
    results = client.get(f"/api/v1/decisions/{decision['id']}/results", headers=headers).get_json()
    assert results["results"]["blocked"] is True
    browser = login(author, c=app.test_client())
    page = browser.get(f"/decisions/{decision['id']}", headers={"Accept-Language": "en"})
    assert "Blocked: at least one member blocks this proposal" in page.get_data(as_text=True)

    consent = opened(headers, kind="consent", results="always")
    assert vote(headers, consent["id"], choice=option_id(consent, "object")).status_code == 422
    assert (
        vote(headers, consent["id"], choice=option_id(consent, "object"), reason="No").status_code
        == 200
    )


def test_one_vote_per_member_changed_until_the_close(app, member_api, opened, vote):
    from network.governance.models import Vote

    _author, headers = member_api()
    decision = opened(headers, kind="single_choice", options=["Lyon", "Paris", "Nantes"])
    for city in ("Lyon", "Paris", "Nantes"):
        assert vote(headers, decision["id"], choice=option_id(decision, city)).status_code == 200
    with app.app_context():
        votes = db.session.scalars(select(Vote)).all()
        assert [v.choices for v in votes] == [{str(option_id(decision, "Nantes")): 1}]
    with app.test_client() as c:
        assert (
            c.delete(f"/api/v1/decisions/{decision['id']}/vote", headers=headers).status_code == 204
        )
        again = c.delete(f"/api/v1/decisions/{decision['id']}/vote", headers=headers)
        assert again.status_code == 404
        assert (
            c.get(f"/api/v1/decisions/{decision['id']}", headers=headers).get_json()["turnout"][
                "voted"
            ]
            == 0
        )


def test_the_unique_rule_is_the_databases(app, member_api, opened):
    """Two vote rows for one member and decision are refused by the database itself."""
    from sqlalchemy.exc import IntegrityError

    from network.governance.models import Vote

    member, headers = member_api()
    decision = opened(headers)
    with app.app_context():
        db.session.add(Vote(decision_id=decision["id"], member_id=member.id, choices={}))
        db.session.add(Vote(decision_id=decision["id"], member_id=member.id, choices={}))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_a_binding_electorate_is_the_associates_frozen_at_opening(
    client, app, member_api, opened, vote, login
):
    _author, headers = member_api(status="associate")
    associate, associate_headers = member_api(status="associate")
    cesa, cesa_headers = member_api(status="employee_entrepreneur")
    decision = opened(headers, electorate="associates")
    assert decision["electorate"] == {
        "kind": "associates",
        "description": "Binding: the associates of the cooperative (one person, one vote)",
        "size": 2,
        "binding": True,
    }
    refused = vote(cesa_headers, decision["id"], choice=option_id(decision, "agree"))
    assert refused.status_code == 403
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert "not in this decision's electorate" in refused.get_json()["detail"]
    # Becoming an associate afterwards does not enter the frozen electorate.
    with app.test_request_context():
        from network.members.models import Member

        db.session.get(Member, cesa.id).status = "associate"
        db.session.commit()
    assert (
        vote(cesa_headers, decision["id"], choice=option_id(decision, "agree")).status_code == 403
    )
    assert (
        vote(associate_headers, decision["id"], choice=option_id(decision, "agree")).status_code
        == 200
    )
    browser = login(cesa, c=app.test_client())
    page = browser.get(f"/decisions/{decision['id']}", headers={"Accept-Language": "en"})
    assert "not in this decision" in page.get_data(as_text=True)
    assert "<span data-voted>1</span> of 2 associates have voted" in page.get_data(as_text=True)


def test_only_associates_or_staff_open_a_binding_decision(client, member_api, draft):
    _cesa, headers = member_api(status="employee_entrepreneur")
    member_api(status="associate")
    made = draft(headers, electorate="associates")
    refused = client.post(f"/api/v1/decisions/{made['id']}/open", headers=headers)
    assert refused.status_code == 403
    _staff, staff_headers = member_api(role="staff")
    assert (
        client.post(f"/api/v1/decisions/{made['id']}/open", headers=staff_headers).status_code
        == 200
    )


def test_candidates_and_former_members_do_not_propose(client, member_api):
    _candidate, headers = member_api(status="candidate")
    body = {"kind": "proposal", "title": "T", "closes_at": later()}
    assert client.post("/api/v1/decisions", json=body, headers=headers).status_code == 403


def test_consultative_electorates_by_status_channel_and_names(client, member_api, opened, app):
    _author, headers = member_api(status="associate")
    cape, _h = member_api(status="support_contract")
    cesa, _h2 = member_api(status="employee_entrepreneur")
    member_api(status="candidate")
    by_status = opened(
        headers, electorate="statuses", statuses=["support_contract", "employee_entrepreneur"]
    )
    assert by_status["electorate"]["size"] == 2
    everyone = opened(headers, electorate="members")
    assert everyone["electorate"]["size"] == 3  # the candidate is not (yet) in the cooperative
    named = opened(headers, electorate="named", members=[cape.id])
    assert named["electorate"]["size"] == 1
    channel = client.post(
        "/api/v1/channels", json={"name": "jardin", "kind": "public"}, headers=headers
    )
    assert channel.status_code == 201, channel.get_json()
    in_channel = opened(
        headers, electorate="group", group="channel", group_id=channel.get_json()["id"]
    )
    assert in_channel["electorate"]["size"] == 1
    assert in_channel["electorate"]["description"] == "The members of #jardin"


def test_a_decision_for_its_electorate_only_is_missing_for_others(
    app, client, member_api, opened, login
):
    _author, headers = member_api(status="associate")
    other, other_headers = member_api(status="employee_entrepreneur")
    decision = opened(headers, electorate="associates", visibility="electorate", title="Salaries")
    assert (
        client.get(f"/api/v1/decisions/{decision['id']}", headers=other_headers).status_code == 404
    )
    assert login(other, c=app.test_client()).get(f"/decisions/{decision['id']}").status_code == 404
    listed = client.get("/api/v1/decisions", headers=other_headers).get_json()["items"]
    assert listed == []
    feed = client.get("/api/v1/feed", headers=other_headers).get_json()["items"]
    assert all(item["kind"] != "decision" for item in feed)
    assert client.get("/api/v1/decisions/999999", headers=headers).status_code == 404


def test_results_only_after_close_are_never_shown_early(client, member_api, opened, vote):
    _author, headers = member_api(role="staff")
    decision = opened(headers, results="after_close")
    vote(headers, decision["id"], choice=option_id(decision, "agree"))
    assert (
        client.get(f"/api/v1/decisions/{decision['id']}/results", headers=headers).status_code
        == 403
    )
    assert (
        client.get(f"/api/v1/decisions/{decision['id']}", headers=headers).get_json()["results"]
        is None
    )
    changed = client.patch(
        f"/api/v1/decisions/{decision['id']}", json={"results": "always"}, headers=headers
    )
    assert changed.status_code == 409
    client.post(f"/api/v1/decisions/{decision['id']}/close", headers=headers)
    assert (
        client.get(f"/api/v1/decisions/{decision['id']}/results", headers=headers).status_code
        == 200
    )


def test_edits_keep_a_history_until_the_first_vote(client, app, member_api, opened, vote):
    from network.governance.models import DecisionEdit

    _author, headers = member_api()
    decision = opened(headers, kind="single_choice", options=["A", "B"])
    url = f"/api/v1/decisions/{decision['id']}"
    edited = client.patch(
        url, json={"title": "Better", "options": ["A", "B", "C"]}, headers=headers
    )
    assert edited.status_code == 200
    assert [o["label"] for o in edited.get_json()["options"]] == ["A", "B", "C"]
    with app.app_context():
        kept = db.session.scalars(select(DecisionEdit)).all()
        assert [(e.title, e.options) for e in kept] == [("Adopt the new charter", ["A", "B"])]
    vote(headers, decision["id"], choice=option_id(edited.get_json(), "C"))
    frozen = client.patch(url, json={"title": "Worse"}, headers=headers)
    assert frozen.status_code == 409
    assert client.patch(url, json={"secret": True}, headers=headers).status_code == 409
    extended = client.patch(url, json={"closes_at": later(days=5)}, headers=headers)
    assert extended.status_code == 200
    shortened = client.patch(url, json={"closes_at": later(days=1)}, headers=headers)
    assert shortened.status_code == 422
    _other, other_headers = member_api()
    assert (
        client.patch(url, json={"closes_at": later(days=9)}, headers=other_headers).status_code
        == 403
    )


@pytest.mark.parametrize(
    ("kind", "fields", "body", "field"),
    [
        (
            "ranked_choice",
            {"options": ["A", "B", "C"]},
            lambda o: {"ranking": [o["A"], o["A"]]},
            "ranking",
        ),
        ("ranked_choice", {"options": ["A", "B", "C"]}, lambda o: {"ranking": []}, "ranking"),
        (
            "score",
            {"options": ["A", "B"], "max_score": 3},
            lambda o: {"scores": {str(o["A"]): 4, str(o["B"]): 0}},
            "scores",
        ),
        (
            "score",
            {"options": ["A", "B"]},
            lambda o: {"scores": {str(o["A"]): -1, str(o["B"]): 0}},
            "scores",
        ),
        (
            "multiple_choice",
            {"options": ["A", "B", "C"], "max_choices": 2},
            lambda o: {"choices": [o["A"], o["B"], o["C"]]},
            "choices",
        ),
        (
            "multiple_choice",
            {"options": ["A", "B", "C"], "min_choices": 2},
            lambda o: {"choices": [o["A"]]},
            "choices",
        ),
        ("single_choice", {"options": ["A", "B"]}, lambda o: {"choice": 999999}, "choice"),
        ("single_choice", {"options": ["A", "B"]}, lambda o: {"choice": "A"}, "choice"),
        (
            "single_choice",
            {"options": ["A", "B"]},
            lambda o: {"choice": o["A"], "reason": "x" * 501},
            "reason",
        ),
        (
            "date_poll",
            {"options": ["2027-01-10T18:00", "2027-01-11T18:00"]},
            lambda o: {"answers": {}},
            "answers",
        ),
    ],
    ids=[
        "rank-duplicate",
        "rank-empty",
        "score-too-high",
        "score-negative",
        "too-many-choices",
        "too-few-choices",
        "option-of-another",
        "option-as-text",
        "reason-too-long",
        "date-poll-unanswered",
    ],
)
def test_bad_ballots_are_refused_clearly(member_api, opened, vote, kind, fields, body, field):
    _author, headers = member_api()
    decision = opened(headers, kind=kind, results="always", **fields)
    options = {o["label"]: o["id"] for o in decision["options"]}
    answer = vote(headers, decision["id"], **body(options))
    assert answer.status_code == 422, answer.get_json()
    problem = answer.get_json()
    errors = problem.get("errors", {})
    assert field in errors or (field == "answers" and "scores" in errors), problem
    assert decision["turnout"]["voted"] == 0


def test_an_option_of_another_decision_is_refused(member_api, opened, vote):
    _author, headers = member_api()
    first = opened(headers, kind="single_choice", options=["A", "B"])
    second = opened(headers, kind="single_choice", options=["C", "D"])
    answer = vote(headers, second["id"], choice=option_id(first, "A"))
    assert answer.status_code == 422


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"closes_at": "2020-01-01T10:00"}, "closes_at"),
        ({"closes_at": "tomorrow"}, "closes_at"),
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"kind": "referendum"}, "kind"),
        ({"electorate": "everyone"}, "electorate"),
        ({"electorate": "statuses", "statuses": []}, "statuses"),
        ({"options": ["Same", "same"], "kind": "single_choice"}, "options"),
        ({"max_score": 0, "kind": "score"}, "max_score"),
        ({"secret": "yes"}, "secret"),
        ({"members": [0]}, "members"),
        ({"colour": "red"}, "colour"),
    ],
    ids=[
        "closing-in-the-past",
        "closing-not-a-date",
        "no-title",
        "title-too-long",
        "unknown-kind",
        "unknown-electorate",
        "no-status",
        "same-options",
        "score-zero",
        "flag-as-text",
        "bad-member-id",
        "unknown-field",
    ],
)
def test_bad_decisions_are_refused_clearly(client, member_api, fields, field):
    _author, headers = member_api()
    body = {"kind": "proposal", "title": "T", "closes_at": later(), **fields}
    answer = client.post("/api/v1/decisions", json=body, headers=headers)
    assert answer.status_code == 422, answer.get_json()
    assert field in answer.get_json()["errors"]


def test_opening_needs_voters_options_and_a_future_close(client, member_api, draft, vote):
    _author, headers = member_api()
    nobody = draft(headers, electorate="named", members=[999999])
    refused = client.post(f"/api/v1/decisions/{nobody['id']}/open", headers=headers)
    assert refused.status_code == 422
    assert "electorate" in refused.get_json()["errors"]
    no_options = draft(headers, kind="single_choice", options=["Only one"])
    assert (
        "options"
        in client.post(f"/api/v1/decisions/{no_options['id']}/open", headers=headers).get_json()[
            "errors"
        ]
    )
    on_draft = draft(headers)
    assert vote(headers, on_draft["id"], choice=on_draft["options"][0]["id"]).status_code == 409
    assert (
        client.post(f"/api/v1/decisions/{on_draft['id']}/close", headers=headers).status_code == 409
    )
    _other, other_headers = member_api()
    assert (
        client.get(f"/api/v1/decisions/{on_draft['id']}", headers=other_headers).status_code == 404
    )


def test_voters_may_add_options_where_allowed(client, member_api, opened, vote):
    _author, headers = member_api()
    _voter, voter_headers = member_api()
    fixed = opened(headers, kind="single_choice", options=["A", "B"])
    url = f"/api/v1/decisions/{fixed['id']}/options"
    assert client.post(url, json={"label": "C"}, headers=voter_headers).status_code == 403
    open_ended = opened(headers, kind="ranked_choice", options=["A", "B"], voters_add_options=True)
    url = f"/api/v1/decisions/{open_ended['id']}/options"
    added = client.post(url, json={"label": "C"}, headers=voter_headers)
    assert added.status_code == 201
    assert client.post(url, json={"label": "c"}, headers=voter_headers).status_code == 422
    assert (
        vote(voter_headers, open_ended["id"], ranking=[added.get_json()["id"]]).status_code == 200
    )


def test_every_kind_counts_through_the_api(client, member_api, opened, vote):
    _author, headers = member_api()
    voters = [member_api()[1] for _ in range(4)]
    ranked = opened(headers, kind="ranked_choice", options=["A", "B", "C"], results="always")
    o = {x["label"]: x["id"] for x in ranked["options"]}
    for ranking in ([o["A"], o["B"]], [o["B"], o["A"]], [o["C"], o["B"]], [o["B"], o["C"]]):
        assert vote(voters.pop(), ranked["id"], ranking=ranking).status_code == 200
    result = client.get(f"/api/v1/decisions/{ranked['id']}/results", headers=headers).get_json()[
        "results"
    ]
    assert result["winners"] == [o["B"]]
    assert len(result["rounds"]) == 2

    poll = opened(
        headers,
        kind="date_poll",
        options=["2027-01-10T18:00", "2027-01-11T18:00"],
        results="always",
    )
    first, second = (x["id"] for x in poll["options"])
    assert (
        vote(headers, poll["id"], answers={str(first): "maybe", str(second): "yes"}).status_code
        == 200
    )
    result = client.get(f"/api/v1/decisions/{poll['id']}/results", headers=headers).get_json()[
        "results"
    ]
    assert result["winners"] == [second]

    scored = opened(headers, kind="score", options=["A", "B"], max_score=3, results="always")
    a, b = (x["id"] for x in scored["options"])
    assert vote(headers, scored["id"], scores={str(a): 1, str(b): 3}).status_code == 200
    assert client.get(f"/api/v1/decisions/{scored['id']}/results", headers=headers).get_json()[
        "results"
    ]["winners"] == [b]


def test_the_list_filters_by_state_kind_and_my_vote(client, member_api, opened, draft, vote):
    _author, headers = member_api()
    proposal = opened(headers)
    poll = opened(headers, kind="single_choice", options=["A", "B"])
    mine = draft(headers, title="Not yet")

    def listed(query):
        return [
            d["id"]
            for d in client.get(f"/api/v1/decisions?{query}", headers=headers).get_json()["items"]
        ]  # noqa: E731

    assert listed("state=open") == [poll["id"], proposal["id"]]
    assert listed("state=draft") == [mine["id"]]
    assert listed("kind=single_choice") == [poll["id"]]
    vote(headers, proposal["id"], choice=option_id(proposal, "agree"))
    assert listed("mine=1") == [poll["id"]]
    assert client.get("/api/v1/decisions?state=sideways", headers=headers).status_code == 422
    assert client.get("/api/v1/decisions?kind=x", headers=headers).status_code == 422
    page = client.get("/api/v1/decisions?limit=1", headers=headers).get_json()
    assert (
        client.get(f"/api/v1/decisions?limit=1&before={page['next']}", headers=headers).get_json()[
            "items"
        ][0]["id"]
        == poll["id"]
    )


def test_the_cron_closes_due_decisions_and_reminds_once(app, client, member_api, opened, vote):
    from network.governance import operations
    from network.governance.models import Decision

    _author, headers = member_api()
    _voter, voter_headers = member_api()
    decision = opened(headers, closes_at=later(hours=5))
    runner = app.test_cli_runner()
    first = runner.invoke(args=["governance", "tick"])
    assert "1 reminder(s)" in first.output
    assert "0 reminder(s)" in runner.invoke(args=["governance", "tick"]).output
    texts = [
        n["text"]
        for n in client.get("/api/v1/notifications", headers=voter_headers).get_json()["items"]
    ]
    assert any("Last hours to vote" in t for t in texts)
    with app.test_request_context():
        found = db.session.get(Decision, decision["id"])
        found.closes_at = datetime.now(UTC) - timedelta(minutes=1)
        db.session.commit()
    assert (
        vote(voter_headers, decision["id"], choice=option_id(decision, "agree")).status_code == 409
    )
    assert "1 decision(s) closed" in runner.invoke(args=["governance", "tick"]).output
    with app.app_context():
        found = db.session.get(Decision, decision["id"])
        assert found.state == "closed" and found.results["ballots"] == 0
        assert operations.is_closed(found)


def test_the_author_is_reminded_of_the_outcomes_review_date(app, client, member_api, opened):

    from network.governance.models import Decision

    author, headers = member_api()
    decision = opened(headers)
    client.post(f"/api/v1/decisions/{decision['id']}/close", headers=headers)
    review = (datetime.now(UTC) + timedelta(days=30)).date().isoformat()
    written = client.put(
        f"/api/v1/decisions/{decision['id']}/outcome",
        json={"outcome": "Fait.", "review_on": review},
        headers=headers,
    )
    assert written.status_code == 200
    bad = client.put(
        f"/api/v1/decisions/{decision['id']}/outcome",
        json={"outcome": "Fait.", "review_on": "2001-01-01"},
        headers=headers,
    )
    assert bad.status_code == 422 and "review_on" in bad.get_json()["errors"]
    runner = app.test_cli_runner()
    assert "0 review(s) due" in runner.invoke(args=["governance", "tick"]).output
    with app.app_context():
        db.session.get(Decision, decision["id"]).review_on = datetime.now(UTC).date()
        db.session.commit()
    assert "1 review(s) due" in runner.invoke(args=["governance", "tick"]).output
    assert "0 review(s) due" in runner.invoke(args=["governance", "tick"]).output  # once
    texts = [
        n["text"] for n in client.get("/api/v1/notifications", headers=headers).get_json()["items"]
    ]
    assert any("Time to review the outcome" in t for t in texts)
