"""Committee members decide on the same request at the same instant, through two real server
processes sharing the test database (SQLite, or PostgreSQL with
TERREAU_TEST_BACKEND=postgresql): one decision is taken, every other one gets 409."""

import os
import threading

import requests
from sqlalchemy import func, select

from network.extensions import db
from tests.servers import running_servers

ATTEMPTS = 8


def _token(app, member) -> str:
    from network.members import operations
    from network.members.models import Member

    with app.test_request_context():
        _row, raw = operations.create_api_token(db.session.get(Member, member.id))
        db.session.commit()
    return raw


def test_simultaneous_decisions_leave_exactly_one(app, member_api, ask, seat, tmp_path):
    from network.core.audit import AuditEvent
    from network.services.money.models import Instalment, MoneyRequest, Schedule

    _requester, headers = member_api()
    made = ask(headers, amount="1 200", months=4).get_json()
    reviewers = [member_api(status="associate")[0] for _ in range(4)]
    for reviewer in reviewers:
        seat(reviewer)
    tokens = [_token(app, r) for r in reviewers]
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "TERREAU_DATA_DIR": str(tmp_path),
        "SECRET_KEY": "money-race",
    }
    answers: list[requests.Response] = []
    lock = threading.Lock()
    with running_servers(2, env) as urls:
        barrier = threading.Barrier(ATTEMPTS)

        def attempt(index: int) -> None:
            session = requests.Session()
            session.headers.update(
                {"Authorization": f"Bearer {tokens[index % 4]}", "Accept-Language": "en"}
            )
            session.get(f"{urls[index % 2]}/api/v1/me", timeout=10)
            body = (
                {"approved": True, "months": 2 + index}
                if index % 2
                else {"approved": False, "reason": f"Refus {index}"}
            )
            barrier.wait()
            response = session.post(
                f"{urls[index % 2]}/api/v1/money-requests/{made['id']}/decision",
                json=body,
                timeout=30,
            )
            with lock:
                answers.append(response)

        threads = [threading.Thread(target=attempt, args=(i,)) for i in range(ATTEMPTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    statuses = sorted(r.status_code for r in answers)
    assert statuses == [200] + [409] * (ATTEMPTS - 1), [r.text for r in answers]
    winner = next(r.json() for r in answers if r.status_code == 200)
    with app.app_context():
        found = db.session.get(MoneyRequest, made["id"])
        assert found.state.value == winner["state"]
        agreed = db.session.scalar(
            select(func.count())
            .select_from(Instalment)
            .where(Instalment.request_id == found.id, Instalment.schedule == Schedule.AGREED)
        )
        assert agreed == len(winner["schedule"])
        decided = db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "money_request_decided")
        )
        assert decided == 1
