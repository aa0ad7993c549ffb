import itertools

import pytest

from network.extensions import db

_ids = itertools.count(1)


def new_client_id() -> str:
    return f"submit-{next(_ids)}"


@pytest.fixture
def seat(app):
    """seat(member): put the member on the solidarity committee (as a staff member would)."""
    from network.members.models import Member
    from network.services.money import operations

    def add(member):
        with app.test_request_context():
            staff = db.session.scalars(
                db.select(Member).where(Member.role.in_(("staff", "admin")))
            ).first()
            if staff is None:
                staff = Member(
                    email=f"staff-seat-{member.id}@example.org",
                    display_name="Seat staff",
                    name_key="seat staff",
                    role="staff",
                    status="associate",
                )
                db.session.add(staff)
                db.session.flush()
            operations.add_committee_member(staff, member.id)
            db.session.commit()

    return add


@pytest.fixture
def ask(client):
    """ask(headers, **fields) → the response of POST /api/v1/money-requests."""

    def send(headers, **fields):
        body = {
            "kind": "loan",
            "amount": "1 000,00",
            "purpose": "Acheter un ordinateur pour mon activité",
            "months": 3,
            "client_id": new_client_id(),
            **fields,
        }
        body = {k: v for k, v in body.items() if v is not ...}
        return client.post("/api/v1/money-requests", json=body, headers=headers)

    return send


@pytest.fixture
def committee(member_api, seat):
    """Three committee members (with their API headers), seated."""
    people = [member_api(status="associate") for _ in range(3)]
    for member, _headers in people:
        seat(member)
    return people
