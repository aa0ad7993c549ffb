# ruff: noqa: E501
"""Twenty members book the last seat at the same instant, through two real server processes
sharing the test database (SQLite, or PostgreSQL with TERREAU_TEST_BACKEND=postgresql):
exactly one wins, the others get a clear 409, and the database never holds more than the
capacity."""

import os
import threading

import requests
from sqlalchemy import func, select

from network.extensions import db
from tests.servers import running_servers
from tests.workspaces.conftest import at, next_weekday

CLIENTS = 20


def _tokens(app, members):
    from network.members import operations
    from network.members.models import Member

    tokens = []
    with app.test_request_context():
        for member in members:
            _token, raw = operations.create_api_token(db.session.get(Member, member.id))
            tokens.append(raw)
        db.session.commit()
    return tokens


def test_twenty_members_booking_the_last_seat_at_once(
    app, make_member, make_space, book, member_api, tmp_path
):
    from network.workspaces.models import HOLDING, Booking

    space_id = make_space(kind="desk_area", capacity=3)
    day = next_weekday(2)
    start, end = at(day, 10), at(day, 12)
    for _ in range(2):  # two seats already taken: one left
        _m, headers = member_api()
        assert book(headers, space_id, start, end).status_code == 201
    tokens = _tokens(app, [make_member() for _ in range(CLIENTS)])
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "TERREAU_DATA_DIR": str(tmp_path),
        "SECRET_KEY": "workspaces-race",
    }
    with running_servers(2, env) as urls:
        barrier = threading.Barrier(CLIENTS)
        answers: list[requests.Response] = []
        lock = threading.Lock()

        def attempt(index: int) -> None:
            session = requests.Session()
            session.headers.update(
                {"Authorization": f"Bearer {tokens[index]}", "Accept-Language": "en"}
            )
            session.get(f"{urls[index % 2]}/api/v1/me", timeout=10)  # connection ready
            barrier.wait()
            response = session.post(
                f"{urls[index % 2]}/api/v1/bookings",
                json={"space_id": space_id, "start": start, "end": end},
                timeout=30,
            )
            with lock:
                answers.append(response)

        threads = [threading.Thread(target=attempt, args=(i,)) for i in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    statuses = sorted(r.status_code for r in answers)
    assert statuses == [201] + [409] * (CLIENTS - 1), [
        r.text for r in answers if r.status_code not in (201, 409)
    ]
    for response in answers:
        if response.status_code == 409:
            problem = response.json()
            assert response.headers["Content-Type"].startswith("application/problem+json")
            assert "is full" in problem["detail"] and "0 of 3 seats free" in problem["detail"]
            assert problem["conflicts"][0]["reason"] == "full"
    with app.app_context():
        held = db.session.scalar(
            select(func.sum(Booking.seats)).where(
                Booking.space_id == space_id, Booking.status.in_(HOLDING)
            )
        )
    assert held == 3
