"""Ten "vote" requests of one member at the same instant, through two real server processes
sharing the test database (SQLite, or PostgreSQL with TERREAU_TEST_BACKEND=postgresql):
exactly one vote is left, one of those submitted."""

import os
import threading

import pytest
import requests
from sqlalchemy import func, select

from network.extensions import db
from tests.governance.conftest import option_id
from tests.servers import running_servers

REQUESTS = 10


def _token(app, member) -> str:
    from network.members import operations
    from network.members.models import Member

    with app.test_request_context():
        _token_row, raw = operations.create_api_token(db.session.get(Member, member.id))
        db.session.commit()
    return raw


@pytest.mark.parametrize("secret", [False, True], ids=["open-vote", "secret-ballot"])
def test_ten_simultaneous_votes_of_one_member_leave_one(app, member_api, opened, tmp_path, secret):
    from network.governance.models import Ballot, Decision, Vote

    member, headers = member_api()
    labels = [f"Option {n}" for n in range(REQUESTS)]
    results = "after_close" if secret else "after_vote"
    decision = opened(headers, kind="single_choice", options=labels, secret=secret, results=results)
    token = _token(app, member)
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "TERREAU_DATA_DIR": str(tmp_path),
        "SECRET_KEY": "governance-race",
    }
    answers: list[requests.Response] = []
    lock = threading.Lock()
    with running_servers(2, env) as urls:
        barrier = threading.Barrier(REQUESTS)

        def attempt(index: int) -> None:
            session = requests.Session()
            session.headers.update({"Authorization": f"Bearer {token}", "Accept-Language": "en"})
            session.get(f"{urls[index % 2]}/api/v1/me", timeout=10)
            barrier.wait()
            response = session.put(
                f"{urls[index % 2]}/api/v1/decisions/{decision['id']}/vote",
                json={"choice": option_id(decision, labels[index])},
                timeout=30,
            )
            with lock:
                answers.append(response)

        threads = [threading.Thread(target=attempt, args=(i,)) for i in range(REQUESTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    statuses = sorted(r.status_code for r in answers)
    assert all(s in (200, 409) for s in statuses), [r.text for r in answers]
    submitted = {str(option_id(decision, label)) for label in labels}
    with app.app_context():
        model = Ballot if secret else Vote
        rows = db.session.scalars(select(model).where(model.decision_id == decision["id"])).all()
        assert len(rows) == 1
        assert set(rows[0].choices) <= submitted and len(rows[0].choices) == 1
        assert db.session.get(Decision, decision["id"]).vote_count == 1
        assert db.session.scalar(select(func.count()).select_from(model)) == 1
    if secret:  # the first wins; the others are told to give their receipt to change it
        assert statuses == [200] + [409] * (REQUESTS - 1)
    else:  # each changes the one vote: all accepted, the last one stays
        assert statuses == [200] * REQUESTS


def test_twenty_simultaneous_proxies_to_one_holder_never_exceed_the_cap(
    app, client, member_api, tmp_path
):
    """21 associates (cap 1): twenty give their proxy to the same holder at the same instant
    through two servers; exactly one is accepted."""
    from datetime import UTC, datetime, timedelta

    from network.governance.models import Proxy

    _staff, staff_headers = member_api(role="staff")
    people = [member_api(status="associate") for _ in range(21)]
    body = {
        "kind": "ordinary",
        "title": "AG",
        "starts_at": (datetime.now(UTC) + timedelta(days=20)).isoformat(),
        "resolutions": [{"title": "Comptes"}],
    }
    made = client.post("/api/v1/assemblies", json=body, headers=staff_headers).get_json()
    assert (
        client.post(f"/api/v1/assemblies/{made['id']}/convene", headers=staff_headers).status_code
        == 200
    )
    holder = people[0][0]
    tokens = [_token(app, member) for member, _h in people[1:]]
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "TERREAU_DATA_DIR": str(tmp_path),
        "SECRET_KEY": "governance-race",
    }
    answers: list[requests.Response] = []
    lock = threading.Lock()
    with running_servers(2, env) as urls:
        barrier = threading.Barrier(len(tokens))

        def attempt(index: int) -> None:
            session = requests.Session()
            session.headers.update(
                {"Authorization": f"Bearer {tokens[index]}", "Accept-Language": "en"}
            )
            session.get(f"{urls[index % 2]}/api/v1/me", timeout=10)
            barrier.wait()
            response = session.post(
                f"{urls[index % 2]}/api/v1/assemblies/{made['id']}/proxies",
                json={"holder_id": holder.id},
                timeout=30,
            )
            with lock:
                answers.append(response)

        threads = [threading.Thread(target=attempt, args=(i,)) for i in range(len(tokens))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sorted(r.status_code for r in answers) == [201] + [409] * (len(tokens) - 1), [
        r.text for r in answers if r.status_code not in (201, 409)
    ]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Proxy)) == 1
