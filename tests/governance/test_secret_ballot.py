"""A secret ballot keeps who voted apart from what was voted: nothing links a member to a
choice, not even a dump of the database; receipts let voters check and change their
ballot."""

import json

from sqlalchemy import text

from network.extensions import db
from tests.governance.conftest import option_id

VOTERS = 8


def _dump(app) -> list[tuple[str, list]]:
    """Every row of the governance tables, in the order the database stores them."""
    with app.app_context():
        tables = ["decision_ballots", "decision_electors", "decision_votes"]
        found = []
        for table in tables:
            order = "ctid" if db.engine.dialect.name == "postgresql" else "1"
            query = f"SELECT * FROM {table}" + (" ORDER BY ctid" if order == "ctid" else "")
            found.append((table, [list(row) for row in db.session.execute(text(query))]))
        return found


def test_a_database_dump_never_links_a_member_to_a_secret_choice(
    app, client, member_api, opened, vote
):
    author, headers = member_api()
    voters = [member_api() for _ in range(VOTERS)]
    decision = opened(
        headers,
        kind="single_choice",
        options=[f"Option {n}" for n in range(VOTERS)],
        secret=True,
        results="after_close",
    )
    choices = {}
    for n, (member, voter_headers) in enumerate(voters):
        choice = option_id(decision, f"Option {n}")  # each voter a different choice
        answer = vote(voter_headers, decision["id"], choice=choice, reason=f"because {n}")
        assert answer.status_code == 200
        assert answer.get_json()["secret"] is True and len(answer.get_json()["receipt"]) == 16
        choices[member.id] = choice
    closed = client.post(f"/api/v1/decisions/{decision['id']}/close", headers=headers)
    assert closed.status_code == 200

    dump = dict(_dump(app))
    assert dump["decision_votes"] == []
    ballots = dump["decision_ballots"]
    assert len(ballots) == VOTERS
    member_ids = {m.id for m, _h in voters} | {author.id}
    for row in ballots:  # receipt, decision, choices, reason: no member, no time
        assert len(row) == 4
        assert not any(isinstance(v, int) and v in member_ids and v != decision["id"] for v in row)
        assert "T" not in str(row[0]) or len(row[0]) == 16
    stored_order = [json.loads(r[2]) if isinstance(r[2], str) else r[2] for r in ballots]
    voting_order = [{str(choices[m.id]): 1} for m, _h in voters]
    assert stored_order != voting_order  # rows are not in the order of the votes
    assert sorted(r[0] for r in ballots) == [r[0] for r in ballots]  # but by random receipt
    electors = dump["decision_electors"]
    assert [row[1] for row in electors] == sorted(row[1] for row in electors)
    assert all(row[2] in (1, True) for row in electors if row[1] != author.id)

    # Nothing in the API, the pages, the notifications or the audit log says who chose what.
    detail = client.get(f"/api/v1/decisions/{decision['id']}", headers=headers).get_json()
    assert detail["my_vote"] is None
    page = client.get(f"/api/v1/decisions/{decision['id']}/receipts", headers=headers).get_json()
    assert len(page["items"]) == VOTERS
    assert all(set(item) == {"receipt", "choices", "reason"} for item in page["items"])
    with app.app_context():
        audit = db.session.execute(text("SELECT details FROM audit_events")).scalars().all()
        assert not any("choice" in str(d) for d in audit)


def test_a_secret_ballot_changes_only_with_its_receipt(client, member_api, opened, vote):
    _author, headers = member_api()
    decision = opened(headers, secret=True, results="after_close")
    agree, disagree = option_id(decision, "agree"), option_id(decision, "disagree")
    receipt = vote(headers, decision["id"], choice=agree).get_json()["receipt"]
    again = vote(headers, decision["id"], choice=disagree)
    assert again.status_code == 409
    assert "receipt code" in again.get_json()["detail"]
    wrong = vote(headers, decision["id"], choice=disagree, receipt="0" * 16)
    assert wrong.status_code == 422
    changed = vote(headers, decision["id"], choice=disagree, receipt=receipt)
    assert changed.status_code == 200 and changed.get_json()["receipt"] == receipt
    hidden = client.get(f"/api/v1/decisions/{decision['id']}/results", headers=headers)
    assert hidden.status_code == 403  # a secret ballot's tally never moves in sight of voters
    gone = client.delete(
        f"/api/v1/decisions/{decision['id']}/vote?receipt={receipt}", headers=headers
    )
    assert gone.status_code == 204
    detail = client.get(f"/api/v1/decisions/{decision['id']}", headers=headers).get_json()
    assert detail["turnout"]["voted"] == 0 and detail["results"] is None
    early = client.get(f"/api/v1/decisions/{decision['id']}/receipts", headers=headers)
    assert early.status_code == 409


def test_secrecy_is_chosen_before_opening_and_fixed(client, member_api, opened):
    _author, headers = member_api()
    live = client.post(
        "/api/v1/decisions",
        json={"kind": "proposal", "title": "T", "secret": True, "results": "always"},
        headers=headers,
    )
    assert live.status_code == 422
    assert live.get_json()["errors"]["results"] == (
        "A secret ballot shows its results only after the close."
    )
    decision = opened(headers, secret=True, results="after_close")
    fixed = client.patch(
        f"/api/v1/decisions/{decision['id']}", json={"secret": False}, headers=headers
    )
    assert fixed.status_code == 409
